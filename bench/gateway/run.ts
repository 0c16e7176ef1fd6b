// tools/call latency and throughput: direct to an SDK upstream vs through the gateway's drop-in
// route (/u/api/mcp) and aggregated endpoint (/mcp), in one run on one machine.
// Method: one JSON-mode SDK upstream on 127.0.0.1 and the gateway, each in its own process (as
// deployed; in one process their CPU would add up on one thread); this process is the client:
// raw JSON-RPC POSTs over keep-alive HTTP/1.1 (node:http Agent). A warm-up, then ROUNDS
// interleaved rounds: each round measures every route in turn (N/ROUNDS sequential calls for
// latency percentiles, C concurrent loops for D/ROUNDS seconds for throughput), and the report
// gives the median of the rounds with the range of the per-round ratio against direct, so
// that drift of a shared machine hits every route alike. Goal (issue #4): p50 added ≤ 0.3 ms,
// ≥ 0.8× direct rps.
// Audit: a file sink in a temporary directory, `--audit written` (the default mode: a tools/call
// answer waits until its record was handed to the kernel), `durable` (its fdatasync,
// group-committed) or `async`. A comma list (`--audit written,async`) runs one gateway per
// mode in the same interleaved rounds and prints each mode's p50 against the first one's.
// Usage: npx tsx bench/gateway/run.ts [--n 2000] [--c 16] [--d 5] [--rounds 5]
//        [--audit written|durable|async[,…]]
//        [--prof DIR]   (V8 CPU profiles of the upstream and gateway processes)
//        [--only dropin|aggregate]
//        [--floor]      (also a bare node:http pass-through proxy in its own process: what any
//                        Node.js proxy costs on this machine, the floor under the drop-in route)

import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createPost,
  measureInterleaved,
  median,
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
    rounds: { type: 'string' },
  },
});
const N = Number(values.n ?? 2000);
const C = Number(values.c ?? 16);
const D = Number(values.d ?? 5);
/** Interleaved rounds (see measureInterleaved in bench/lib/harness.ts). */
const ROUNDS = Number(values.rounds ?? 5);
const AUDIT_MODES = (values.audit ?? 'written').split(',').map((m) => m.trim());
for (const m of AUDIT_MODES)
  if (!['written', 'durable', 'async', 'sync'].includes(m))
    throw new Error(`--audit: expected written, durable or async, got ${JSON.stringify(m)}`);
/** --prof DIR: the upstream and gateway processes write V8 CPU profiles there. */
const PROF = values.prof;
/** --only dropin|aggregate: measure one gateway route (e.g. for a profile of just it). */
const ONLY = values.only;
const post = createPost(C * 2);
const session = (url: string, auth: Record<string, string>) => openSession(post, url, auth);
const spawnProc = (script: string, args: string[]) => spawnBench(script, args, { prof: PROF });
const gatewayCpu = processCpu;

/** tools/call of the upstream's `echo` (named `tool` on this route) on an open session. */
function target(
  label: string,
  url: string,
  tool: string,
  headers: Record<string, string>,
  /** The CPU clock of the process in the path, when there is one. */
  cpu?: () => Promise<number>,
): Target {
  return {
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
}

const here = new URL('.', import.meta.url).pathname;
const up = await spawnProc(join(here, 'upstream-proc.ts'), []);
const gws = [];
for (const mode of AUDIT_MODES)
  gws.push({ mode, p: await spawnProc(join(here, 'gateway-proc.ts'), [up.info.url, mode]) });
const upUrl: string = up.info.url;
const policyKind: string = gws[0].p.info.policy;
const floor = values.floor ? await spawnProc(join(here, 'floor-proc.ts'), [upUrl]) : undefined;

const targets: Target[] = [target('direct', upUrl, 'echo', await session(upUrl, {}))];
if (floor) {
  const url = `${floor.info.url}/mcp`;
  targets.push(
    target('bare node:http proxy', url, 'echo', await session(url, {}), () =>
      gatewayCpu(floor.child),
    ),
  );
}
for (const { mode, p: gwp } of gws) {
  const gwUrl: string = gwp.info.url;
  const tok = (route: string) => ({ authorization: `Bearer ${gwp.info.tokens[route]}` });
  const tag = gws.length > 1 ? `gw[${mode}]` : 'gateway';
  if (ONLY !== 'aggregate') {
    const url = `${gwUrl}/u/api/mcp`;
    targets.push(
      target(`${tag} /u/api/mcp`, url, 'echo', await session(url, tok('/u/api/mcp')), () =>
        gatewayCpu(gwp.child),
      ),
    );
  }
  if (ONLY !== 'dropin') {
    const url = `${gwUrl}/mcp`;
    targets.push(
      target(`${tag} /mcp`, url, 'api.echo', await session(url, tok('/mcp')), () =>
        gatewayCpu(gwp.child),
      ),
    );
  }
}
const results = await measureInterleaved(post, targets, { n: N, c: C, d: D, rounds: ROUNDS });
console.log(
  `mcp-warden gateway bench — node ${process.version}, ${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}`,
);
console.log(
  `policy: ${policyKind}; audit: file, mode ${AUDIT_MODES.join(' vs ')}; ${ROUNDS} interleaved rounds, N=${N} sequential, C=${C} concurrent for ${D}s in all; tools/call echo, JSON upstream`,
);
console.log('medians over the rounds; [min–max] of the per-round figure against direct');
console.log(
  'route                  p50 ms  p90 ms  p99 ms   added p50 [range]        rps   × direct [range]   gw CPU µs/call',
);
const range = (r: [number, number], digits: number) =>
  `[${r[0].toFixed(digits)}–${r[1].toFixed(digits)}]`;
for (const r of results)
  console.log(
    `${r.label.padEnd(22)} ${r.p50.toFixed(3).padStart(6)}  ${r.p90.toFixed(3).padStart(6)}  ${r.p99.toFixed(3).padStart(6)}  ${r.addedP50.toFixed(3).padStart(9)} ${range(r.addedP50Range, 2).padEnd(13)}  ${r.rps.toFixed(0).padStart(6)}  ${r.rpsRatio.toFixed(2).padStart(8)} ${range(r.rpsRatioRange, 2).padEnd(11)}  ${r.cpuPerCall === undefined ? '' : r.cpuPerCall.toFixed(0).padStart(8)}`,
  );
if (floor) {
  // The gateway's own share: each round's gateway figures against that round's bare proxy.
  const f = targets.findIndex((t) => t.label === 'bare node:http proxy');
  for (let i = f + 1; i < targets.length; i++) {
    const added = results.rounds.map((g) => g[i].p50 - g[f].p50);
    const ratio = results.rounds.map((g) => g[i].rps / g[f].rps);
    console.log(
      `${targets[i].label} vs the bare proxy: p50 +${median(added).toFixed(3)} ms, ${median(ratio).toFixed(2)}× its rps`,
    );
  }
}
if (gws.length > 1) {
  // Each mode's cost over the first one: per round, the same route's p50 difference.
  const per = targets.length - 1 - (floor ? 1 : 0);
  const routes = per / gws.length;
  const base = 1 + (floor ? 1 : 0);
  for (let g = 1; g < gws.length; g++)
    for (let r = 0; r < routes; r++) {
      const i = base + g * routes + r;
      const j = base + r;
      const d = results.rounds.map((x) => x[i].p50 - x[j].p50);
      console.log(
        `${targets[i].label} vs ${targets[j].label}: p50 ${median(d) >= 0 ? '+' : ''}${median(d).toFixed(3)} ms [${Math.min(...d).toFixed(3)}–${Math.max(...d).toFixed(3)}]`,
      );
    }
}
for (const { p } of gws) await stop(p.child);
if (floor) await stop(floor.child);
await stop(up.child);
post.close();
