// subscriptions/listen on /mcp (MCP 2026-07-28): the gateway holds a listen stream to each
// 2026-07-28 upstream that declares listChanged, and passes list_changed on to the clients'
// listen streams on the aggregated endpoint — only the kinds each asked for, tagged with its
// subscription id, after the acknowledgement, and ended with a result at shutdown.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpServer, createMcpHandler, fromJsonSchema } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { startFixture26Server, type Fixture26Server } from '../conformance/fixture26-server.ts';
import { rpc, startHarness, type Harness } from './harness.ts';
import { NOTES, startNotesUpstream, type NotesUpstream } from '../fixtures/notes-upstream.ts';

const V = '2026-07-28';
const META = {
  'io.modelcontextprotocol/protocolVersion': V,
  'io.modelcontextprotocol/clientCapabilities': {},
};

/** Reads SSE frames of a streaming answer as JSON-RPC messages. */
async function* frames(res: Response): AsyncGenerator<Record<string, any>> {
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += value;
    let cut: number;
    while ((cut = buf.indexOf('\n\n')) >= 0) {
      const data = buf
        .slice(0, cut)
        .split('\n')
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).trim())
        .join('');
      buf = buf.slice(cut + 2);
      if (data) yield JSON.parse(data);
    }
  }
}

describe('subscriptions/listen on /mcp', () => {
  let fx: Fixture26Server;
  let h: Harness;
  let token: string;
  const url = () => `${h.gw.url}/mcp`;
  const headers = (method: string, name?: string) => ({
    authorization: `Bearer ${token}`,
    'mcp-protocol-version': V,
    'mcp-method': method,
    ...(name ? { 'mcp-name': name } : {}),
  });

  let watched: Awaited<ReturnType<typeof startWatchedUpstream>>;
  let notes: NotesUpstream;

  beforeAll(async () => {
    fx = await startFixture26Server({ legacy: 'reject' });
    watched = await startWatchedUpstream();
    notes = await startNotesUpstream();
    h = await startHarness({
      upstreams: [
        { name: 'fx', url: fx.url, default_scope: 'mcp:tools:call' },
        { name: 'w', url: watched.url, default_scope: 'mcp:tools:call' },
        { name: 'notes', url: notes.url, default_scope: 'mcp:tools:call' },
      ],
    });
    token = await h.token(['mcp:tools:call'], { route: '/mcp' });
  });
  afterAll(async () => {
    await h?.close();
    await fx?.close();
    await watched?.close();
    await notes?.close();
  });

  const listen = (id: number, notifications: Record<string, unknown>, signal?: AbortSignal) =>
    fetch(url(), {
      signal,
      method: 'POST',
      headers: {
        ...headers('subscriptions/listen'),
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id,
        method: 'subscriptions/listen',
        params: { notifications, _meta: META },
      }),
    });

  it('declares listChanged in server/discover', async () => {
    const r = await rpc(
      url(),
      { jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: META } },
      headers('server/discover'),
    );
    expect(r.json.result.capabilities).toMatchObject({
      tools: { listChanged: true },
      prompts: { listChanged: true },
      // `w` (2026-07-28) supports resource subscriptions, so /mcp relays them.
      resources: { subscribe: true },
    });
  });

  it('acknowledges what it honours, then relays an upstream tools/list_changed', async () => {
    const ac = new AbortController();
    const res = await listen(
      7,
      { toolsListChanged: true, resourceSubscriptions: ['x://nobody-owns-this'] },
      ac.signal,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const it = frames(res);
    const ack = (await it.next()).value!;
    expect(ack).toMatchObject({
      method: 'notifications/subscriptions/acknowledged',
      params: {
        notifications: { toolsListChanged: true },
        _meta: { 'io.modelcontextprotocol/subscriptionId': 7 },
      },
    });
    // A URI no upstream owns cannot be watched, so it is not acknowledged.
    expect(ack.params.notifications.resourceSubscriptions).toBeUndefined();
    // The upstream announces a change on its own listen stream; the gateway re-lists and passes
    // the notice on.
    const trigger = await rpc(
      url(),
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'fx.test_trigger_tool_change', arguments: {}, _meta: META },
      },
      headers('tools/call', 'fx.test_trigger_tool_change'),
    );
    expect(trigger.status).toBe(200);
    const next = (await it.next()).value!;
    expect(next).toMatchObject({
      method: 'notifications/tools/list_changed',
      params: { _meta: { 'io.modelcontextprotocol/subscriptionId': 7 } },
    });
    ac.abort();
  });

  it('relays resources/updated for the URIs a 2026-07-28 upstream can watch', async () => {
    const ac = new AbortController();
    const res = await listen(
      11,
      { resourceSubscriptions: [WATCHED, 'test://static-text'] },
      ac.signal,
    );
    const it = frames(res);
    const ack = (await it.next()).value!;
    // fixture26 (owner of test://static-text) declares no subscribe: only `w`'s URI is honoured.
    expect(ack.params.notifications).toEqual({ resourceSubscriptions: [WATCHED] });
    // The gateway's listen stream to `w` opens asynchronously: touch until an update arrives.
    const next = it.next();
    let got: IteratorResult<Record<string, any>> | undefined;
    void next.then((r) => (got = r));
    for (let i = 0; i < 50 && !got; i++) {
      watched.touch();
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await next).value).toMatchObject({
      method: 'notifications/resources/updated',
      params: { uri: WATCHED, _meta: { 'io.modelcontextprotocol/subscriptionId': 11 } },
    });
    ac.abort();
  });

  it('relays resources/updated from a 2025-era upstream it subscribes to, and unsubscribes after', async () => {
    const ac = new AbortController();
    const res = await listen(13, { resourceSubscriptions: [NOTES[0], WATCHED] }, ac.signal);
    const it = frames(res);
    const ack = (await it.next()).value!;
    expect(ack.params.notifications).toEqual({ resourceSubscriptions: [NOTES[0], WATCHED] });
    // The gateway's own session subscribes asynchronously: wait for it upstream.
    for (let i = 0; i < 500 && notes.subscribers(NOTES[0]) === 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(notes.subscribers(NOTES[0])).toBe(1);
    expect(notes.subscribers(NOTES[1])).toBe(0); // only what the client asked for
    const next = it.next();
    let got: IteratorResult<Record<string, any>> | undefined;
    void next.then((r) => (got = r));
    // Its GET stream may open a moment after the subscription: touch until an update arrives.
    for (let i = 0; i < 200 && !got; i++) {
      await notes.touch(NOTES[0]);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await next).value).toMatchObject({
      method: 'notifications/resources/updated',
      params: { uri: NOTES[0], _meta: { 'io.modelcontextprotocol/subscriptionId': 13 } },
    });
    // The client leaves: the gateway unsubscribes and ends its upstream session.
    ac.abort();
    for (let i = 0; i < 500 && notes.subscribers(NOTES[0]) > 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(notes.subscribers(NOTES[0])).toBe(0);
  });

  it('sends only the kinds asked for, and ends the stream with a result at shutdown', async () => {
    const res = await listen(9, { promptsListChanged: true });
    const it = frames(res);
    expect((await it.next()).value).toMatchObject({
      params: { notifications: { promptsListChanged: true } },
    });
    // A tools change is not a prompts change: nothing for this stream.
    await rpc(
      url(),
      {
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'fx.test_trigger_tool_change', arguments: {}, _meta: META },
      },
      headers('tools/call', 'fx.test_trigger_tool_change'),
    );
    await h.close();
    const rest: Array<Record<string, any>> = [];
    for await (const f of it) rest.push(f);
    expect(rest).toEqual([
      expect.objectContaining({
        id: 9,
        result: expect.objectContaining({
          resultType: 'complete',
          _meta: expect.objectContaining({ 'io.modelcontextprotocol/subscriptionId': 9 }),
        }),
      }),
    ]);
  });
});

const WATCHED = 'watch://w/doc';

/** A 2026-07-28 upstream (SDK v2) with one resource clients may watch; `touch()` publishes
 *  notifications/resources/updated for it on the subscribed listen streams. */
async function startWatchedUpstream(): Promise<{
  url: string;
  touch(): void;
  close(): Promise<void>;
}> {
  const mcp = createMcpHandler(
    () => {
      const s = new McpServer(
        { name: 'watched', version: '1.0.0' },
        { capabilities: { resources: { subscribe: true }, tools: {} } },
      );
      s.registerResource('doc', WATCHED, { mimeType: 'text/plain' }, (uri) => ({
        contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'v1' }],
      }));
      s.registerTool(
        'noop',
        {
          description: 'does nothing',
          inputSchema: fromJsonSchema({ type: 'object', properties: {} }),
        },
        () => ({ content: [{ type: 'text', text: 'ok' }] }),
      );
      return s;
    },
    { legacy: 'reject', onerror: () => {} },
  );
  const serve = toNodeHandler(mcp);
  const http: Server = createServer((req, res) => void serve(req, res));
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    touch: () => mcp.notify.resourceUpdated(WATCHED),
    async close() {
      await mcp.close();
      http.closeAllConnections();
      await new Promise<void>((ok) => http.close(() => ok()));
    },
  };
}
