// The client load of the scale-out bench: C real SDK clients (Streamable HTTP), each with its own
// token and session, calling one cheap tool in a closed loop for a fixed time. Latency is per
// call as the SDK sees it; throughput is answered calls over the measured window.

import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

export interface LoadResult {
  calls: number;
  errors: number;
  seconds: number;
  rps: number;
  p50: number;
  p99: number;
  /** CPU time per answered call, in µs, of each process group passed to `drive` (by name),
   *  plus `bench`: this process (SDK clients, JWKS, upstream). */
  cpuUsPerCall: Record<string, number>;
  /** Latencies of the answered calls, ms, sorted (to merge rounds). */
  lat: number[];
  /** CPU seconds used per group over the window. */
  cpu: Record<string, number>;
  /** Cores kept busy on average over the window by all of those processes. */
  coresBusy: number;
}

const pct = (xs: number[], p: number) =>
  xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** utime + stime of a process in seconds (proc(5): fields 14 and 15, in clock ticks). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

export async function connectClients(
  url: string,
  c: number,
  token: (i: number) => Promise<string>,
): Promise<Client[]> {
  return Promise.all(
    Array.from({ length: c }, async (_, i) => {
      const client = new Client({ name: `bench-${i}`, version: '1' }, { capabilities: {} });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(url), {
          requestInit: { headers: { authorization: `Bearer ${await token(i)}` } },
        }),
      );
      return client;
    }),
  );
}

/** Every client loops on `tool` for `warmS` (discarded), then for `seconds` (measured). */
export async function drive(
  clients: Client[],
  tool: string,
  warmS: number,
  seconds: number,
  groups: Record<string, number[]>,
): Promise<LoadResult> {
  const sample = () => {
    const out: Record<string, number> = {};
    for (const [name, pids] of Object.entries(groups))
      out[name] = pids.reduce((s, p) => s + cpuSeconds(p), 0);
    const self = process.cpuUsage();
    out.bench = (self.user + self.system) / 1e6;
    return out;
  };
  const lat: number[] = [];
  let errors = 0;
  let measuring = false;
  const warmEnd = Date.now() + warmS * 1000;
  const end = warmEnd + seconds * 1000;
  let cpu0: Record<string, number> = {};
  const startMeasure = setTimeout(() => {
    measuring = true;
    cpu0 = sample();
  }, warmS * 1000);
  // Calls still in flight when the window closes are not counted (nor their CPU).
  let cpu1: Record<string, number> | undefined;
  const stopMeasure = setTimeout(
    () => {
      measuring = false;
      cpu1 = sample();
    },
    (warmS + seconds) * 1000,
  );
  await Promise.all(
    clients.map(async (client, i) => {
      let n = 0;
      while (Date.now() < end) {
        const t = process.hrtime.bigint();
        try {
          const r = await client.callTool(
            { name: tool, arguments: { text: `c${i} ${n++}` } },
            undefined,
            { timeout: 10_000 },
          );
          if (r.isError) throw new Error(JSON.stringify(r.content));
          if (measuring) lat.push(Number(process.hrtime.bigint() - t) / 1e6);
        } catch {
          if (measuring) errors++;
        }
      }
    }),
  );
  clearTimeout(startMeasure);
  clearTimeout(stopMeasure);
  cpu1 ??= sample();
  const cpu: Record<string, number> = {};
  for (const k of Object.keys(cpu1)) cpu[k] = cpu1[k] - (cpu0[k] ?? 0);
  lat.sort((a, b) => a - b);
  return summarize([{ lat, errors, seconds, cpu }]);
}

/** One result from several windows of the same configuration (interleaved rounds). */
export function summarize(
  parts: Array<Pick<LoadResult, 'lat' | 'errors' | 'seconds' | 'cpu'>>,
): LoadResult {
  const lat = parts.flatMap((p) => p.lat).sort((a, b) => a - b);
  const seconds = parts.reduce((s, p) => s + p.seconds, 0);
  const cpu: Record<string, number> = {};
  for (const p of parts) for (const [k, v] of Object.entries(p.cpu)) cpu[k] = (cpu[k] ?? 0) + v;
  const cpuUsPerCall: Record<string, number> = {};
  for (const [k, v] of Object.entries(cpu))
    cpuUsPerCall[k] = lat.length ? (v * 1e6) / lat.length : NaN;
  return {
    calls: lat.length,
    errors: parts.reduce((s, p) => s + p.errors, 0),
    seconds,
    rps: lat.length / seconds,
    p50: pct(lat, 50) ?? NaN,
    p99: pct(lat, 99) ?? NaN,
    cpuUsPerCall,
    lat,
    cpu,
    coresBusy: Object.values(cpu).reduce((s, v) => s + v, 0) / seconds,
  };
}
