// tools/call latency and throughput: direct to an SDK upstream vs through the gateway's drop-in
// route (/u/api/mcp) and aggregated endpoint (/mcp), in one run on one machine.
// Method: one JSON-mode SDK upstream on 127.0.0.1 and the gateway, each in its own process (as
// deployed; in one process their CPU would add up on one thread); this process is the client:
// raw JSON-RPC POSTs over keep-alive HTTP/1.1
// (node:http Agent); a warm-up, then N sequential calls (latency percentiles) and C concurrent
// loops for D seconds (throughput). Goal (issue #4): p50 added ≤ 0.3 ms, ≥ 0.8× direct rps.
// Audit: a file sink in a temporary directory, `--audit sync` (the default mode: a tools/call
// answer waits for its record's fdatasync, group-committed) or `--audit async`.
// Usage: npx tsx bench/gateway/run.ts [--n 2000] [--c 16] [--d 3] [--audit sync|async]
//        [--prof DIR]   (V8 CPU profiles of the upstream and gateway processes)
//        [--only dropin|aggregate]
//        [--floor]      (also a bare node:http pass-through proxy in its own process: what any
//                        Node.js proxy costs on this machine, the floor under the drop-in route)

import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createPost,
  measure as measureTarget,
  openSession,
  processCpu,
  spawnProc as spawnBench,
  stop,
  type Target,
} from '../lib/harness.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string' },
    c: { type: 'string' },
    d: { type: 'string' },
    audit: { type: 'string' },
    prof: { type: 'string' },
    only: { type: 'string' },
    floor: { type: 'boolean' },
  },
});
const N = Number(values.n ?? 2000);
const C = Number(values.c ?? 16);
const D = Number(values.d ?? 3);
const AUDIT_MODE = values.audit ?? 'sync';
/** --prof DIR: the upstream and gateway processes write V8 CPU profiles there. */
const PROF = values.prof;
/** --only dropin|aggregate: measure one gateway route (e.g. for a profile of just it). */
const ONLY = values.only;
const post = createPost(C * 2);
const session = (url: string, auth: Record<string, string>) => openSession(post, url, auth);
const spawnProc = (script: string, args: string[]) => spawnBench(script, args, { prof: PROF });
const gatewayCpu = processCpu;

/** tools/call of the upstream's `echo` (named `tool` on this route) on an open session. */
function measure(
  label: string,
  url: string,
  tool: string,
  headers: Record<string, string>,
  /** The gateway's CPU clock, when the route goes through it. */
  cpu?: () => Promise<number>,
) {
  const target: Target = {
    label,
    url,
    expect: 'hello',
    cpu,
    call: (id) => ({
      body: JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: tool, arguments: { text: 'hello' } },
      }),
      headers,
    }),
  };
  return measureTarget(post, target, { n: N, c: C, d: D });
}

const here = new URL('.', import.meta.url).pathname;
const up = await spawnProc(join(here, 'upstream-proc.ts'), []);
const gwp = await spawnProc(join(here, 'gateway-proc.ts'), [up.info.url, AUDIT_MODE]);
const upUrl: string = up.info.url;
const gwUrl: string = gwp.info.url;
const policyKind: string = gwp.info.policy;
const tok = (route: string) => ({ authorization: `Bearer ${gwp.info.tokens[route]}` });
const floor = values.floor ? await spawnProc(join(here, 'floor-proc.ts'), [upUrl]) : undefined;

const results = [
  await measure('direct', upUrl, 'echo', await session(upUrl, {})),
  floor === undefined
    ? undefined
    : await measure(
        'bare node:http proxy',
        `${floor.info.url}/mcp`,
        'echo',
        await session(`${floor.info.url}/mcp`, {}),
        () => gatewayCpu(floor.child),
      ),
  ONLY === 'aggregate'
    ? undefined
    : await measure(
        'gateway /u/api/mcp',
        `${gwUrl}/u/api/mcp`,
        'echo',
        await session(`${gwUrl}/u/api/mcp`, tok('/u/api/mcp')),
        () => gatewayCpu(gwp.child),
      ),
  ONLY === 'dropin'
    ? undefined
    : await measure(
        'gateway /mcp',
        `${gwUrl}/mcp`,
        'api.echo',
        await session(`${gwUrl}/mcp`, tok('/mcp')),
        () => gatewayCpu(gwp.child),
      ),
].filter((r) => r !== undefined);
const direct = results[0];
console.log(
  `mcp-warden gateway bench — node ${process.version}, ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}`,
);
console.log(
  `policy: ${policyKind}; audit: file, mode ${AUDIT_MODE}; N=${N} sequential, C=${C} concurrent for ${D}s; tools/call echo, JSON upstream`,
);
console.log(
  'route                  p50 ms  p90 ms  p99 ms   added p50     rps   × direct  gw CPU µs/call',
);
for (const r of results)
  console.log(
    `${r.label.padEnd(22)} ${r.p50.toFixed(3).padStart(6)}  ${r.p90.toFixed(3).padStart(6)}  ${r.p99.toFixed(3).padStart(6)}  ${(r.p50 - direct.p50).toFixed(3).padStart(9)}  ${r.rps.toFixed(0).padStart(6)}  ${(r.rps / direct.rps).toFixed(2).padStart(8)}  ${r.cpuPerCall === undefined ? '' : r.cpuPerCall.toFixed(0).padStart(14)}`,
  );
await stop(gwp.child);
if (floor) await stop(floor.child);
await stop(up.child);
post.close();
