// tools/call latency and throughput across MCP eras, each gateway path against the direct
// baseline of the same upstream, in one run on one machine (issue #7; method as bench/gateway:
// upstreams and the gateway in their own processes, raw JSON-RPC POSTs over keep-alive HTTP/1.1
// from this process, a warm-up, N sequential calls for percentiles, C loops for D seconds).
//
//   direct 2025        SDK v1 upstream `api`, 2025-06-18 session                 (baseline A)
//   direct 2026        SDK v2 upstream `v26`, 2026-07-28 stateless               (baseline B)
//   /u/v26/mcp 2026    drop-in, forwarded statelessly                            vs B
//   /mcp 2026 → v26    aggregated, stateless dispatch, stateless upstream        vs B
//   /mcp 2026 → api    aggregated, 2025-era upstream through pooled sessions     vs A
//   /mcp 2025 → v26    aggregated session, era adapter to the stateless upstream vs B
//
// Usage: npx tsx bench/eras/run.ts [--n 1000] [--c 8] [--d 3]

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createPost,
  measure,
  openSession,
  processCpu,
  spawnProc,
  stop,
  type Measured,
  type Target,
} from '../lib/harness.ts';

const { values } = parseArgs({
  options: { n: { type: 'string' }, c: { type: 'string' }, d: { type: 'string' } },
});
const N = Number(values.n ?? 1000);
const C = Number(values.c ?? 8);
const D = Number(values.d ?? 3);
const post = createPost(C * 2);
const MODERN = '2026-07-28';
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
};
const session = (url: string, auth: Record<string, string>) => openSession(post, url, auth);

/** A measured path and the direct path it is compared with. */
type EraTarget = Target & { baseline?: string };

/** The SDK v1 upstream's `echo` takes `text`; fixture26's `test_header_param` echoes `region`,
 * which 2026-07-28 clients mirror in Mcp-Param-Region. */
const ARGS: Record<string, Record<string, string>> = {
  echo: { text: 'hello' },
  test_header_param: { region: 'hello' },
};
const argsOf = (tool: string) => ARGS[tool.slice(tool.indexOf('.') + 1)];

/** A 2025-era call on an open session. */
const legacyCall = (tool: string, headers: Record<string, string>) => (id: number) => ({
  body: JSON.stringify({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: tool, arguments: argsOf(tool) },
  }),
  headers,
});

/** A 2026-07-28 call: the envelope in `_meta`, the standard and parameter headers. */
const modernCall = (tool: string, auth: Record<string, string>) => (id: number) => {
  const args = argsOf(tool);
  return {
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name: tool, arguments: args, _meta: ENVELOPE },
    }),
    headers: {
      ...auth,
      'mcp-protocol-version': MODERN,
      'mcp-method': 'tools/call',
      'mcp-name': tool,
      ...(args.region ? { 'mcp-param-region': args.region } : {}),
    },
  };
};

const root = new URL('../..', import.meta.url).pathname;
const legacy = await spawnProc(join(root, 'bench/gateway/upstream-proc.ts'), []);
const modern = await spawnProc(join(root, 'test/conformance/fixture26-server.ts'), ['--port', '0']);
const gw = await spawnProc(join(root, 'bench/gateway/gateway-proc.ts'), [
  JSON.stringify([
    { name: 'api', url: legacy.info.url },
    { name: 'v26', url: modern.info.url },
  ]),
  'async',
]);
const G: string = gw.info.url;
const tok = (route: string) => ({ authorization: `Bearer ${gw.info.tokens[route]}` });
const cpu = () => processCpu(gw.child);

const targets: EraTarget[] = [
  {
    label: 'direct 2025 (api)',
    url: legacy.info.url,
    call: legacyCall('echo', await session(legacy.info.url, {})),
    expect: 'hello',
  },
  {
    label: 'direct 2026 (v26)',
    url: modern.info.url,
    call: modernCall('test_header_param', {}),
    expect: 'hello',
  },
  {
    label: '/u/v26/mcp 2026',
    url: `${G}/u/v26/mcp`,
    call: modernCall('test_header_param', tok('/u/v26/mcp')),
    expect: 'hello',
    baseline: 'direct 2026 (v26)',
    cpu,
  },
  {
    label: '/mcp 2026 → v26',
    url: `${G}/mcp`,
    call: modernCall('v26.test_header_param', tok('/mcp')),
    expect: 'hello',
    baseline: 'direct 2026 (v26)',
    cpu,
  },
  {
    label: '/mcp 2026 → api (2025)',
    url: `${G}/mcp`,
    call: modernCall('api.echo', tok('/mcp')),
    expect: 'hello',
    baseline: 'direct 2025 (api)',
    cpu,
  },
  {
    label: '/mcp 2025 → v26 (2026)',
    url: `${G}/mcp`,
    call: legacyCall('v26.test_header_param', await session(`${G}/mcp`, tok('/mcp'))),
    expect: 'hello',
    baseline: 'direct 2026 (v26)',
    cpu,
  },
];

const results: Array<Measured & { baseline?: string }> = [];
for (const t of targets) {
  process.stderr.write(`measuring ${t.label} …\n`);
  results.push({
    ...(await measure(post, t, { n: N, c: C, d: D, warmup: 100 })),
    baseline: t.baseline,
  });
}
const byLabel = new Map(results.map((r) => [r.label, r]));
const f = (x: number, d = 2) => x.toFixed(d);
console.log(
  `N=${N} sequential, C=${C} concurrent for ${D}s; audit async; gateway CPU per call where it is in the path\n`,
);
console.log(
  '| path | p50 ms | p99 ms | calls/s | added p50 ms | × baseline rps | gateway CPU/call ms |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of results) {
  const b = r.baseline ? byLabel.get(r.baseline)! : undefined;
  console.log(
    `| ${r.label} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.rps, 0)} | ${b ? f(r.p50 - b.p50) : '—'} | ${b ? f(r.rps / b.rps) : '—'} | ${r.cpuPerCall === undefined ? '—' : f(r.cpuPerCall / 1000)} |`,
  );
}
await Promise.all([stop(gw.child), stop(legacy.child), stop(modern.child)]);
post.close();
