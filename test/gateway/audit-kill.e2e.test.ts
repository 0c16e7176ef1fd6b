// Issue #5 "Durability": `warden serve` (a child process, audit.mode written and durable) in
// front of a real SDK upstream; SDK clients drive 1,000 tools/calls (bounded concurrency,
// through the drop-in route and the aggregated endpoint) and the gateway is SIGKILLed mid-run. Every call that got
// a response must be in the audit file — matched by route and JSON-RPC request id — and
// `warden audit verify` must pass on what was written.
// NEEDS THE REGO COMPILER: serve loads policies/ through the WASM engine.

import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';

const BIN = new URL('../../bin/warden.js', import.meta.url).pathname;
const POLICIES = new URL('../../policies/', import.meta.url).pathname;
const TOTAL = 1000;
const CONCURRENCY = 8;
const KILL_AFTER = 400;

let child: ChildProcess | undefined;
let up: SdkUpstream | undefined;
afterAll(async () => {
  child?.kill('SIGKILL');
  await up?.close();
});

async function demoToken(base: string, route: string): Promise<string> {
  const body = new URLSearchParams({ resource: `${base}${route}`, scope: 'mcp:tools:call' });
  const r = await fetch(`${base}/demo/token`, { method: 'POST', body });
  return ((await r.json()) as { access_token: string }).access_token;
}

/** An SDK client whose outgoing tools/call ids are noted by their `text` argument. */
async function client(url: string, token: string, ids: Map<string, number | string>) {
  const t = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  const send = t.send.bind(t);
  t.send = (m, o) => {
    const msg = m as { method?: string; id?: number | string; params?: any };
    if (msg.method === 'tools/call') ids.set(String(msg.params.arguments.text), msg.id!);
    return send(m, o);
  };
  const c = new Client({ name: 'kill-test', version: '1' });
  await c.connect(t);
  return c;
}

describe.each(['written', 'durable'])('warden serve, audit.mode %s, SIGKILL mid-run', (mode) => {
  it('has every answered call in the audit file, and the file verifies', async () => {
    await up?.close();
    up = await startSdkUpstream({ json: true });
    const dir = mkdtempSync(join(tmpdir(), 'warden-kill-'));
    const auditFile = join(dir, 'audit.jsonl');
    const config = join(dir, 'warden.yaml');
    writeFileSync(
      config,
      [
        'listen: { host: 127.0.0.1, port: 0 }',
        'auth: { demo: true }',
        `policy: { path: ${JSON.stringify(POLICIES)} }`,
        'log: { level: warn }',
        'audit:',
        `  mode: ${mode}`,
        `  sinks: [{ type: file, path: ${JSON.stringify(auditFile)} }]`,
        'upstreams:',
        `  - { name: api, url: ${JSON.stringify(up.url)} }`,
        '',
      ].join('\n'),
    );
    child = spawn(process.execPath, [BIN, 'serve', '--config', config], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const base = await new Promise<string>((ok, fail) => {
      child!.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) ok(m[1]);
      });
      child!.on('exit', (code) => fail(new Error(`exited ${code}: ${out}`)));
    });

    const routes = ['/u/api/mcp', '/mcp'] as const;
    const ids = new Map<string, number | string>();
    const clients = await Promise.all(
      routes.map(async (r) => client(`${base}${r}`, await demoToken(base, r), ids)),
    );
    /** Calls that got an answer: route and request id. */
    const answered: Array<{ route: string; id: number | string; text: string }> = [];
    let issued = 0;
    let killed = false;
    const worker = async (w: number) => {
      const ri = w % routes.length;
      while (issued < TOTAL) {
        const text = `call-${issued++}`;
        try {
          // A short timeout: an SSE answer cut by the kill would otherwise wait out the SDK's
          // reconnection attempts and its 60 s default.
          const r = (await clients[ri].callTool(
            { name: ri === 0 ? 'echo' : 'api.echo', arguments: { text } },
            undefined,
            { timeout: 5000 },
          )) as { content: Array<{ text: string }> };
          expect(r.content[0].text).toBe(text);
          answered.push({ route: routes[ri], id: ids.get(text)!, text });
          if (answered.length === KILL_AFTER && !killed) {
            killed = true;
            child!.kill('SIGKILL');
          }
        } catch {
          if (!killed) throw new Error(`call ${text} failed before the kill: ${out}`);
          return; // the gateway is gone: this and later calls get no answer
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
    await new Promise<void>((ok) =>
      child!.exitCode !== null || child!.signalCode !== null ? ok() : child!.once('exit', ok),
    );
    expect(killed).toBe(true);
    expect(answered.length).toBeGreaterThanOrEqual(KILL_AFTER);
    for (const c of clients) await c.close().catch(() => undefined);

    const records = readFileSync(auditFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, any>);
    // One client per route, so (route, request id) names a call; the argument must match too.
    const recorded = new Map(
      records
        .filter((r) => r.method === 'tools/call' && r.outcome === 'ok')
        .map((r) => [`${r.route} ${r.request_id}`, r.arguments?.text]),
    );
    const missing = answered.filter((a) => recorded.get(`${a.route} ${a.id}`) !== a.text);
    expect(missing).toEqual([]);
    expect(records.length).toBeGreaterThanOrEqual(answered.length);

    const verify = spawnSync(process.execPath, [BIN, 'audit', 'verify', auditFile], {
      encoding: 'utf8',
    });
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
  }, 120_000);
});
