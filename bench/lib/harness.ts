// What the request benches share (bench/gateway, bench/eras): raw JSON-RPC POSTs over a
// keep-alive node:http agent, a 2025-era session handshake, the measurement (warm-up, N
// sequential calls for percentiles, C loops for D seconds for throughput, the CPU a process in
// the path spent per call), and the processes the peers run in.

import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';

export interface Reply {
  status: number;
  headers: Record<string, unknown>;
  text: string;
}

export type Post = (url: string, body: string, headers: Record<string, string>) => Promise<Reply>;

export function createPost(maxSockets: number): Post & { close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const post: Post = (url, body, headers) =>
    new Promise((ok, fail) => {
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
  return Object.assign(post, { close: () => agent.destroy() });
}

/** A 2025-era session: initialize + initialized; returns the headers of later requests. */
export async function openSession(
  post: Post,
  url: string,
  auth: Record<string, string>,
): Promise<Record<string, string>> {
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

export const pct = (xs: number[], p: number): number =>
  xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

export interface Target {
  label: string;
  url: string;
  /** The JSON-RPC body and headers of call number `id`. */
  call: (id: number) => { body: string; headers: Record<string, string> };
  /** A substring every warm-up answer must contain. */
  expect: string;
  /** The process on the path whose CPU per call is reported (its clock, in µs). */
  cpu?: () => Promise<number>;
}

export interface Measured {
  label: string;
  p50: number;
  p90: number;
  p99: number;
  rps: number;
  /** µs of the `cpu` process per call, when there is one. */
  cpuPerCall?: number;
}

export async function measure(
  post: Post,
  t: Target,
  o: { n: number; c: number; d: number; warmup?: number },
): Promise<Measured> {
  let id = 1;
  const one = () => {
    const { body, headers } = t.call(id++);
    return post(t.url, body, headers);
  };
  for (let i = 0; i < (o.warmup ?? 200); i++) {
    const r = await one();
    if (r.status !== 200 || !r.text.includes(t.expect))
      throw new Error(`${t.label}: ${r.status} ${r.text}`);
  }
  const cpu0 = await t.cpu?.();
  const lat: number[] = [];
  for (let i = 0; i < o.n; i++) {
    const t0 = process.hrtime.bigint();
    await one();
    lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  lat.sort((a, b) => a - b);
  let done = 0;
  const until = Date.now() + o.d * 1000;
  await Promise.all(
    Array.from({ length: o.c }, async () => {
      while (Date.now() < until) {
        await one();
        done++;
      }
    }),
  );
  const cpu1 = await t.cpu?.();
  return {
    label: t.label,
    p50: pct(lat, 50),
    p90: pct(lat, 90),
    p99: pct(lat, 99),
    rps: done / o.d,
    cpuPerCall: cpu0 === undefined ? undefined : (cpu1! - cpu0) / (o.n + done),
  };
}

/** The median of a list of numbers. */
export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export interface Compared extends Measured {
  /** Per-round ratios against the first target (the baseline), their medians. */
  addedP50: number;
  rpsRatio: number;
  /** The spread of the per-round ratio (min, max): how far one round can be trusted. */
  rpsRatioRange: [number, number];
  addedP50Range: [number, number];
}

/**
 * Measures several targets in interleaved rounds: round r measures every target in turn
 * (latency: n/rounds sequential calls; throughput: c loops for d/rounds seconds), rotating the
 * order each round. A shared, noisy machine drifts (other tenants, CPU frequency, the
 * upstream's JIT); measured back to back, each target sees the same drift, so each round's
 * ratio against the baseline (the first target) is fair, and the median of the rounds' ratios
 * is reported with its range.
 */
export async function measureInterleaved(
  post: Post,
  targets: Target[],
  o: { n: number; c: number; d: number; rounds: number; warmup?: number },
): Promise<Compared[] & { rounds: Measured[][] }> {
  const rounds: Measured[][] = [];
  for (const t of targets) await measure(post, t, { n: 0, c: 0, d: 0, warmup: o.warmup });
  for (let r = 0; r < o.rounds; r++) {
    const order = targets.map((_, i) => (i + r) % targets.length);
    const got: Measured[] = [];
    for (const i of order)
      got[i] = await measure(post, targets[i], {
        n: Math.ceil(o.n / o.rounds),
        c: o.c,
        d: o.d / o.rounds,
        warmup: 20,
      });
    rounds.push(got);
  }
  const compared = targets.map((t, i): Compared => {
    const of = (f: (m: Measured, base: Measured) => number) => rounds.map((g) => f(g[i], g[0]));
    const added = of((m, b) => m.p50 - b.p50);
    const ratio = of((m, b) => m.rps / b.rps);
    const cpu = of((m) => m.cpuPerCall ?? NaN);
    return {
      label: t.label,
      p50: median(of((m) => m.p50)),
      p90: median(of((m) => m.p90)),
      p99: median(of((m) => m.p99)),
      rps: median(of((m) => m.rps)),
      cpuPerCall: t.cpu ? median(cpu) : undefined,
      addedP50: median(added),
      rpsRatio: median(ratio),
      addedP50Range: [Math.min(...added), Math.max(...added)],
      rpsRatioRange: [Math.min(...ratio), Math.max(...ratio)],
    };
  });
  return Object.assign(compared, { rounds });
}

/**
 * Starts a bench process (tsx) and resolves with the first line it prints: a JSON object, or
 * "listening on URL" (the fixture servers' CLI), read as `{url}`.
 */
export function spawnProc(
  script: string,
  args: string[],
  opts: { prof?: string } = {},
): Promise<{ child: ChildProcess; info: Record<string, any> }> {
  const node = opts.prof ? [`--cpu-prof`, `--cpu-prof-dir=${opts.prof}`] : [];
  const child = spawn(process.execPath, [...node, '--import', 'tsx', script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((ok, fail) => {
    let out = '';
    const first = (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      child.stdout!.off('data', first);
      const line = out.slice(0, nl);
      ok({ child, info: line.startsWith('{') ? JSON.parse(line) : { url: line.split(' ').pop() } });
    };
    child.stdout!.on('data', first);
    child.once('exit', (code) => fail(new Error(`${script} exited ${code}`)));
  });
}

/** CPU time a bench process has used so far, in µs (it answers a line on stdin with it). */
export function processCpu(child: ChildProcess): Promise<number> {
  return new Promise((ok) => {
    child.stdout!.once('data', (c: Buffer) => ok(JSON.parse(c.toString()).cpu_us as number));
    child.stdin!.write('cpu\n');
  });
}

export const stop = (c: ChildProcess): Promise<void> =>
  new Promise<void>((ok) => {
    c.once('exit', () => ok());
    c.kill('SIGTERM');
  });
