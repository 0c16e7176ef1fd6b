// The bench's gateway in its own process: one HTTP upstream `api`, the demo issuer, the WASM
// policy on policies/ (or its TypeScript twin when the Rego compiler is unavailable), a file
// audit sink in a temporary directory. Prints {url, policy, tokens} as one line; runs until
// SIGTERM. Usage: gateway-proc.ts UPSTREAM_URL sync|async
//        gateway-proc.ts '[{"name":"a","url":"…"},…]' sync|async   (several upstreams)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createDemoIssuer } from '../../src/auth/index.ts';
import { buildConfig } from '../../src/config/index.ts';
import { createGateway } from '../../src/gateway/gateway.ts';
import { loadPolicyDecider, type PolicyDecider } from '../../src/gateway/policy-port.ts';
import { decideInTs } from '../../src/policy/input.ts';

const [upstreamArg, mode = 'written'] = process.argv.slice(2);
const upstreams: Array<{ name: string; url: string }> = upstreamArg.startsWith('[')
  ? JSON.parse(upstreamArg)
  : [{ name: 'api', url: upstreamArg }];
let policy: PolicyDecider;
let policyKind = 'WASM engine (policies/)';
try {
  policy = await loadPolicyDecider('policies/', 'mcp/authz/decision');
} catch {
  policyKind = 'TypeScript twin (decideInTs): the Rego compiler is not available in this build';
  policy = { revision: 'ts-twin', decide: (i) => decideInTs(i) };
}
const dir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
const issuer = await createDemoIssuer();
const gw = await createGateway(
  buildConfig(
    {
      listen: { port: 0 },
      auth: { demo: true },
      audit: { mode, sinks: [{ type: 'file', path: join(dir, 'audit.jsonl') }] },
      log: { level: 'silent' },
      upstreams,
    },
    'bench',
  ),
  { policy, demoIssuer: issuer, logger: pino({ level: 'silent' }) },
);
await gw.listen();
const tokens: Record<string, string> = {};
for (const route of [...upstreams.map((u) => `/u/${u.name}/mcp`), '/mcp'])
  tokens[route] = await issuer.mint({
    sub: 'bench',
    scopes: ['mcp:tools:call'],
    audience: `${gw.url}${route}`,
  });
process.stdout.write(`${JSON.stringify({ url: gw.url, policy: policyKind, tokens })}\n`);
// Each line on stdin asks for this process's CPU time so far (µs, user + system): the bench
// divides it by the calls made, a figure that contention from other processes barely moves.
process.stdin.setEncoding('utf8');
process.stdin.on('data', () => {
  const u = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ cpu_us: u.user + u.system })}\n`);
});
process.once(
  'SIGTERM',
  () =>
    void gw.close().then(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }),
);
