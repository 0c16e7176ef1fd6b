// tools/call latency and throughput: direct to an SDK upstream vs through the gateway's drop-in
// route (/u/api/mcp) and aggregated endpoint (/mcp), in one run on one machine.
// Method: one JSON-mode SDK upstream on 127.0.0.1; raw JSON-RPC POSTs over keep-alive HTTP/1.1
// (node:http Agent); a warm-up, then N sequential calls (latency percentiles) and C concurrent
// loops for D seconds (throughput). Goal (issue #4): p50 added ≤ 0.3 ms, ≥ 0.8× direct rps.
// Usage: npx tsx bench/gateway/run.ts [--n 2000] [--c 16] [--d 3]

import { Agent, request } from 'node:http';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createDemoIssuer } from '../../src/auth/index.ts';
import { buildConfig } from '../../src/config/index.ts';
import { createGateway } from '../../src/gateway/gateway.ts';
import { loadPolicyDecider, type PolicyDecider } from '../../src/gateway/policy-port.ts';
import { decideInTs } from '../../src/policy/input.ts';
import { startSdkUpstream } from '../../test/fixtures/sdk-upstream.ts';

const { values } = parseArgs({
  options: { n: { type: 'string' }, c: { type: 'string' }, d: { type: 'string' } },
});
const N = Number(values.n ?? 2000);
const C = Number(values.c ?? 16);
const D = Number(values.d ?? 3);
const agent = new Agent({ keepAlive: true, maxSockets: C * 2 });

function post(
  url: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((ok, fail) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => ok({ status: res.statusCode!, headers: res.headers, text }));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

async function session(url: string, auth: Record<string, string>): Promise<Record<string, string>> {
  const init = {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'bench', version: '1' },
    },
  };
  const r = await post(url, JSON.stringify(init), auth);
  if (r.status !== 200) throw new Error(`initialize at ${url}: ${r.status} ${r.text}`);
  const h = {
    ...auth,
    'mcp-session-id': String(r.headers['mcp-session-id']),
    'mcp-protocol-version': '2025-06-18',
  };
  await post(url, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), h);
  return h;
}

const pct = (xs: number[], p: number) =>
  xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function measure(label: string, url: string, tool: string, headers: Record<string, string>) {
  let id = 1;
  const body = () =>
    JSON.stringify({
      jsonrpc: '2.0',
      id: id++,
      method: 'tools/call',
      params: { name: tool, arguments: { text: 'hello' } },
    });
  for (let i = 0; i < 200; i++) {
    const r = await post(url, body(), headers);
    if (r.status !== 200 || !r.text.includes('hello'))
      throw new Error(`${label}: ${r.status} ${r.text}`);
  }
  const lat: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = process.hrtime.bigint();
    await post(url, body(), headers);
    lat.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  lat.sort((a, b) => a - b);
  let done = 0;
  const until = Date.now() + D * 1000;
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (Date.now() < until) {
        await post(url, body(), headers);
        done++;
      }
    }),
  );
  return { label, p50: pct(lat, 50), p90: pct(lat, 90), p99: pct(lat, 99), rps: done / D };
}

const up = await startSdkUpstream({ json: true });
let policy: PolicyDecider;
let policyKind = 'WASM engine (policies/)';
try {
  policy = await loadPolicyDecider('policies/', 'mcp/authz/decision');
} catch {
  policyKind = 'TypeScript twin (decideInTs): the Rego compiler is not available in this build';
  policy = { revision: 'ts-twin', decide: (i) => decideInTs(i) };
}
const issuer = await createDemoIssuer();
const config = buildConfig(
  {
    listen: { port: 0 },
    auth: { demo: true },
    audit: { sinks: [{ type: 'file', path: '/dev/null' }] },
    log: { level: 'silent' },
    upstreams: [{ name: 'api', url: up.url }],
  },
  'bench',
);
const gw = await createGateway(config, {
  policy,
  demoIssuer: issuer,
  logger: pino({ level: 'silent' }),
});
await gw.listen();
const tok = async (route: string) => ({
  authorization: `Bearer ${await issuer.mint({ sub: 'bench', scopes: ['mcp:tools:call'], audience: `${gw.url}${route}` })}`,
});

const results = [
  await measure('direct', up.url, 'echo', await session(up.url, {})),
  await measure(
    'gateway /u/api/mcp',
    `${gw.url}/u/api/mcp`,
    'echo',
    await session(`${gw.url}/u/api/mcp`, await tok('/u/api/mcp')),
  ),
  await measure(
    'gateway /mcp',
    `${gw.url}/mcp`,
    'api.echo',
    await session(`${gw.url}/mcp`, await tok('/mcp')),
  ),
];
const direct = results[0];
console.log(
  `mcp-warden gateway bench — node ${process.version}, ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}`,
);
console.log(
  `policy: ${policyKind}; N=${N} sequential, C=${C} concurrent for ${D}s; tools/call echo, JSON upstream`,
);
console.log('route                  p50 ms  p90 ms  p99 ms   added p50     rps   × direct');
for (const r of results)
  console.log(
    `${r.label.padEnd(22)} ${r.p50.toFixed(3).padStart(6)}  ${r.p90.toFixed(3).padStart(6)}  ${r.p99.toFixed(3).padStart(6)}  ${(r.p50 - direct.p50).toFixed(3).padStart(9)}  ${r.rps.toFixed(0).padStart(6)}  ${(r.rps / direct.rps).toFixed(2).padStart(8)}`,
  );
await gw.close();
await up.close();
agent.destroy();
