// Bounded work per request: an upstream SSE answer that never answers is cut at the upstream
// timeout on the drop-in route (and audited as a timeout); one oversized SSE event is refused
// with a bounded amount read; /metrics label values never grow with client-chosen strings;
// sessions per subject are capped (limits.max_sessions_per_subject).

import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INIT, rawSession, rpc, startHarness, type Harness } from '../gateway/harness.ts';
import { startLenientUpstream, type LenientUpstream } from '../fixtures/lenient-upstream.ts';
import { makeRoom } from '../../src/gateway/session-cap.ts';

const MiB = 1024 * 1024;
const DEFAULT_MAX_ANSWER = 32 * MiB;

/** A 2025-era upstream whose POST answers are SSE streams: `hang` ones send a log message and
 *  then nothing, `big` ones one event larger than the gateway's default bound. */
async function streamingUpstream() {
  const sent = { big: 0, bigDone: false, hangOpen: 0 };
  const tools = [
    { name: 'hang', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
    { name: 'big', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
    { name: 'paced', inputSchema: { type: 'object' }, annotations: { readOnlyHint: true } },
  ];
  const sse = (res: ServerResponse) =>
    res.writeHead(200, { 'content-type': 'text/event-stream', 'mcp-session-id': 's-1' });
  const server: Server = createServer((req, res) => {
    if (req.method !== 'POST') return void res.writeHead(405).end();
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const m = JSON.parse(body) as { id?: number; method: string; params?: any };
      const reply = (result: unknown) => {
        res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 's-1' });
        res.end(JSON.stringify({ jsonrpc: '2.0', id: m.id, result }));
      };
      if (m.id === undefined) return void res.writeHead(202).end();
      if (m.method === 'initialize')
        return reply({
          protocolVersion: m.params.protocolVersion,
          capabilities: { tools: {}, resources: {} },
          serverInfo: { name: 'streaming', version: '1' },
        });
      if (m.method === 'tools/list') return reply({ tools });
      const name = m.params?.name ?? m.params?.uri;
      if (name === 'hang' || name === 'mem://hang') {
        sse(res);
        sent.hangOpen++;
        res.on('close', () => sent.hangOpen--);
        res.write(
          `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'working' } })}\n\n`,
        );
        return; // …and never answers
      }
      if (name === 'paced') {
        // Progress every 300 ms for 2.4 s, then the answer: longer than the timeout in total,
        // never quiet for long.
        sse(res);
        const token = m.params?._meta?.progressToken;
        let n = 0;
        const tick = setInterval(() => {
          if (++n <= 8) {
            const p = { progressToken: token, progress: n, total: 8 };
            res.write(
              `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: p })}\n\n`,
            );
            return;
          }
          clearInterval(tick);
          const result = { content: [{ type: 'text', text: 'paced done' }] };
          res.end(
            `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: m.id, result })}\n\n`,
          );
        }, 300);
        res.on('close', () => clearInterval(tick));
        return;
      }
      if (name === 'big' || name === 'mem://big') {
        sse(res);
        res.write('event: message\ndata: {"jsonrpc":"2.0","id":' + m.id + ',"result":{"x":"');
        const chunk = 'x'.repeat(256 * 1024);
        const total = DEFAULT_MAX_ANSWER + 16 * MiB;
        const pump = () => {
          while (sent.big < total) {
            sent.big += chunk.length;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          sent.bigDone = true;
          res.end('"}}\n\n');
        };
        res.on('error', () => undefined);
        return pump();
      }
      // Anything else (server/discover included: a 2025-era server): method not found.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: 'no' } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  return {
    url,
    sent,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('drop-in SSE answers', () => {
  let h: Harness;
  let up: Awaited<ReturnType<typeof streamingUpstream>>;
  let headers: Record<string, string>;
  const route = '/u/stream/mcp';
  const url = () => `${h.gw.url}${route}`;
  beforeAll(async () => {
    up = await streamingUpstream();
    h = await startHarness({
      upstreams: [
        { name: 'stream', url: up.url, timeout_ms: 400 },
        // The same server, with time to send 32 MiB on a loaded machine.
        { name: 'bulk', url: up.url, timeout_ms: 60_000 },
        // 1.5 s: less than the paced answer takes, more than its progress interval.
        { name: 'paced', url: up.url, timeout_ms: 1500 },
      ],
    });
    headers = await rawSession(url(), await h.token(['mcp:tools:call'], { route }));
  });
  afterAll(async () => {
    await h?.close();
    await up?.close();
  });

  it('a tools/call whose stream never answers is cut at the upstream timeout, audited as one', async () => {
    const r = await rpc(
      url(),
      { jsonrpc: '2.0', id: 11, method: 'tools/call', params: { name: 'hang', arguments: {} } },
      headers,
    );
    // The stream was open (the log message came first): the timeout error ends it.
    expect(r.text).toContain('notifications/message');
    const events = [...r.text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]));
    expect(events.at(-1)).toMatchObject({ id: 11, error: { code: -32011 } });
    for (let i = 0; i < 50 && up.sent.hangOpen > 0; i++)
      await new Promise((res) => setTimeout(res, 20));
    expect(up.sent.hangOpen).toBe(0); // the upstream stream was closed too
    const rec = h.audit().find((a) => a.request_id === 11);
    // `timeout`: the gateway gave up; the upstream may still have run the call.
    expect(rec).toMatchObject({ outcome: 'timeout', error_code: -32011, tool: 'hang' });
  });

  it('any other request whose stream never answers is cut too (the streamed-through path)', async () => {
    const r = await rpc(
      url(),
      { jsonrpc: '2.0', id: 12, method: 'resources/read', params: { uri: 'mem://hang' } },
      headers,
    );
    const events = [...r.text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]));
    expect(events.at(-1)).toMatchObject({ id: 12, error: { code: -32011 } });
  });

  it('progress for the request restarts the wait; without a progress token it does not', async () => {
    const paced = `${h.gw.url}/u/paced/mcp`;
    const s = await rawSession(paced, await h.token(['mcp:tools:call'], { route: '/u/paced/mcp' }));
    const call = (id: number, _meta?: object) =>
      rpc(
        paced,
        {
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: { name: 'paced', arguments: {}, ...(_meta ? { _meta } : {}) },
        },
        s,
      );
    const withToken = await call(21, { progressToken: 'p-21' });
    const last = [...withToken.text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1])).at(-1);
    expect(last).toMatchObject({ id: 21, result: { content: [{ text: 'paced done' }] } });
    const without = await call(22);
    const cut = [...without.text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1])).at(-1);
    expect(cut).toMatchObject({ id: 22, error: { code: -32011 } });
  }, 20_000);

  it('one SSE event over the 32 MiB default is refused, with a bounded amount read', async () => {
    const bulk = `${h.gw.url}/u/bulk/mcp`;
    const s = await rawSession(bulk, await h.token(['mcp:tools:call'], { route: '/u/bulk/mcp' }));
    const before = process.memoryUsage().rss;
    const r = await rpc(
      bulk,
      { jsonrpc: '2.0', id: 13, method: 'tools/call', params: { name: 'big', arguments: {} } },
      s,
    );
    expect(r.status).toBe(502);
    expect(r.json.error).toMatchObject({ code: -32010 });
    expect(r.json.error.message).toMatch(/exceeds/);
    // The gateway stopped reading past the bound: the upstream could not send it all.
    expect(up.sent.bigDone).toBe(false);
    expect(up.sent.big).toBeLessThan(DEFAULT_MAX_ANSWER + 8 * MiB);
    // Held: the event's chunks once (strings of 1-byte chars), not a copy per chunk.
    expect(process.memoryUsage().rss - before).toBeLessThan(256 * MiB);
  });
});

describe('/metrics label values', () => {
  let h: Harness;
  let up: LenientUpstream;
  beforeAll(async () => {
    up = await startLenientUpstream();
    h = await startHarness({ upstreams: [{ name: 'notes', url: up.url }] });
  });
  afterAll(async () => {
    await h?.close();
    await up?.close();
  });

  it('3,000 requests with random methods, tools, paths and headers leave /metrics small', async () => {
    const route = '/u/notes/mcp';
    const drop = `${h.gw.url}${route}`;
    const s = await rawSession(drop, await h.token(['mcp:tools:call'], { route }));
    const agg = `${h.gw.url}/mcp`;
    const a = await rawSession(agg, await h.token(['mcp:tools:call'], { route: '/mcp' }));
    const rand = (i: number) => `${i.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    const one = async (i: number) => {
      const k = i % 6;
      const version = { 'mcp-protocol-version': `v-${rand(i)}` };
      if (k === 0)
        await rpc(drop, { jsonrpc: '2.0', id: i, method: `x/${rand(i)}` }, { ...s, ...version });
      else if (k === 1)
        await rpc(
          drop,
          {
            jsonrpc: '2.0',
            id: i,
            method: 'tools/call',
            params: { name: `t:${rand(i)}`, arguments: {} },
          },
          s,
        );
      else if (k === 2)
        await rpc(agg, { jsonrpc: '2.0', id: i, method: `y/${rand(i)}` }, { ...a, ...version });
      else if (k === 3)
        await rpc(
          agg,
          {
            jsonrpc: '2.0',
            id: i,
            method: 'tools/call',
            params: { name: `notes.${rand(i)}`, arguments: {} },
          },
          a,
        );
      else if (k === 4)
        await fetch(`${h.gw.url}/u/${rand(i)}/mcp/${rand(i)}`, {
          method: ['GET', 'PUT', 'PATCH', 'OPTIONS'][i % 4],
        });
      else await rpc(`${h.gw.url}/${rand(i)}`, {}, version);
    };
    for (let i = 0; i < 3000; i += 30)
      await Promise.all(Array.from({ length: 30 }, (_, j) => one(i + j)));
    const body = await (await fetch(`${h.gw.url}/metrics`)).text();
    expect(body.length).toBeLessThan(64 * 1024);
    // The known values are still there; none of the random ones is.
    expect(body).toMatch(/method="other"/);
    expect(body).toMatch(/reason="no such tool"/);
    expect(body).not.toMatch(/x\/|y\/|v-[0-9a-z]|t:[0-9a-z]/);
  }, 120_000);
});

describe('sessions per subject (limits.max_sessions_per_subject)', () => {
  let h: Harness;
  let up: LenientUpstream;
  beforeAll(async () => {
    up = await startLenientUpstream();
    h = await startHarness({
      limits: { max_sessions_per_subject: 3 },
      upstreams: [{ name: 'notes', url: up.url }],
    });
  });
  afterAll(async () => {
    await h?.close();
    await up?.close();
  });

  it.each(['/mcp', '/u/notes/mcp'])(
    '%s: the 4th session ends the least recently used one',
    async (route) => {
      const url = `${h.gw.url}${route}`;
      const alice = await h.token(['mcp:tools:call'], { route });
      const bob = await h.token(['mcp:tools:call'], { route, sub: 'bob' });
      const list = { jsonrpc: '2.0', id: 5, method: 'tools/list' };
      const b = await rawSession(url, bob);
      const s = [
        await rawSession(url, alice),
        await rawSession(url, alice),
        await rawSession(url, alice),
      ];
      // Using the first makes the second the least recently used.
      expect((await rpc(url, list, s[0])).status).toBe(200);
      s.push(await rawSession(url, alice));
      expect((await rpc(url, list, s[1])).status).toBe(404);
      for (const i of [0, 2, 3]) expect((await rpc(url, list, s[i])).status).toBe(200);
      expect((await rpc(url, list, b)).status).toBe(200); // another subject's are not counted
      // Never more than the cap: a fifth ends the one now least recently used (s[0]).
      const init = await rpc(url, INIT, { authorization: `Bearer ${alice}` });
      expect(init.status).toBe(200);
      expect((await rpc(url, list, s[0])).status).toBe(404);
      for (const i of [2, 3]) expect((await rpc(url, list, s[i])).status).toBe(200);
    },
  );

  it('refuses with 429 / -32000 only when every held session is busy', () => {
    const ended: number[] = [];
    const held = [3, 1, 2].map((t) => ({ lastSeen: t, busy: false, end: () => ended.push(t) }));
    makeRoom(held, 3);
    expect(ended).toEqual([1]);
    const busy = held.map((s) => ({ ...s, busy: true }));
    let err: unknown;
    try {
      makeRoom(busy, 3);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'SESSION_LIMIT', status: 429, rpcCode: -32000 });
    makeRoom(busy, 4); // under the cap: nothing to do
  });
});
