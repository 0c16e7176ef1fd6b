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

import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { n: { type: 'string' }, c: { type: 'string' }, d: { type: 'string' } },
});
const N = Number(values.n ?? 1000);
const C = Number(values.c ?? 8);
const D = Number(values.d ?? 3);
const agent = new Agent({ keepAlive: true, maxSockets: C * 2 });
const MODERN = '2026-07-28';
const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': MODERN,
  'io.modelcontextprotocol/clientCapabilities': {},
};

type Reply = { status: number; headers: Record<string, unknown>; text: string };

function post(url: string, body: string, headers: Record<string, string>): Promise<Reply> {
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

/** A 2025-era session: initialize + initialized; returns the headers of later requests. */
async function session(url: string, auth: Record<string, string>): Promise<Record<string, string>> {
  const init = {
    jsonrpc: '2.0',
    id: 0,
    method: 'initialize',
    params: {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'b', version: '1' },
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

interface Target {
  label: string;
  url: string;
  /** The JSON-RPC body and headers of call number `id`. */
  call: (id: number) => { body: string; headers: Record<string, string> };
  expect: string;
  baseline?: string;
  cpu?: () => Promise<number>;
}

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

const pct = (xs: number[], p: number) =>
  xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function measure(t: Target) {
  let id = 1;
  const one = async () => {
    const { body, headers } = t.call(id++);
    return post(t.url, body, headers);
  };
  for (let i = 0; i < 100; i++) {
    const r = await one();
    if (r.status !== 200 || !r.text.includes(t.expect))
      throw new Error(`${t.label}: ${r.status} ${r.text}`);
  }
  const cpu0 = await t.cpu?.();
  const lat: number[] = [];
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    await one();
    lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  lat.sort((a, b) => a - b);
  let done = 0;
  const until = Date.now() + D * 1000;
  await Promise.all(
    Array.from({ length: C }, async () => {
      while (Date.now() < until) {
        await one();
        done++;
      }
    }),
  );
  const cpu1 = await t.cpu?.();
  return {
    label: t.label,
    baseline: t.baseline,
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    rps: done / D,
    cpuPerCall: cpu0 === undefined ? undefined : (cpu1! - cpu0) / (N + done),
  };
}

function spawnProc(
  script: string,
  args: string[],
): Promise<{ child: ChildProcess; info: Record<string, any> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
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
      // fixture26-server prints "listening on URL"; the bench processes print JSON.
      ok({ child, info: line.startsWith('{') ? JSON.parse(line) : { url: line.split(' ').pop() } });
    };
    child.stdout!.on('data', first);
    child.once('exit', (code) => fail(new Error(`${script} exited ${code}`)));
  });
}

function cpuOf(child: ChildProcess): Promise<number> {
  return new Promise((ok) => {
    child.stdout!.once('data', (c: Buffer) => ok(JSON.parse(c.toString()).cpu_us as number));
    child.stdin!.write('cpu\n');
  });
}

const stop = (c: ChildProcess) =>
  new Promise<void>((ok) => {
    c.once('exit', () => ok());
    c.kill('SIGTERM');
  });

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
const cpu = () => cpuOf(gw.child);

const targets: Target[] = [
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

const results = [];
for (const t of targets) {
  process.stderr.write(`measuring ${t.label} …\n`);
  results.push(await measure(t));
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
agent.destroy();
