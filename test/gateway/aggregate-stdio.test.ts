// A stdio child is one upstream session shared by every downstream session: through /mcp,
// subscriptions are counted per session (the child unsubscribes only when the last holder
// does), updates reach only subscribed sessions, the child's log level is the most verbose
// any session asked for while each session still sees only messages at or above its own level.
// Real SDK clients through the gateway; the child is an SDK server run by `node -e`.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { startHarness, type Harness } from './harness.ts';

/** The child: resources kid://x and kid://y; tools touch (update if subscribed), subs (the
 * child's subscriptions), shout (logs info and error, returns the child's log level). */
const CHILD = `
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import * as t from '@modelcontextprotocol/sdk/types.js';
const subs = new Set();
let level = 'unset';
const server = new Server({ name: 'kid', version: '1' },
  { capabilities: { tools: {}, resources: { subscribe: true }, logging: {} } });
const input = { type: 'object', properties: { uri: { type: 'string' } } };
server.setRequestHandler(t.ListToolsRequestSchema, () => ({ tools: ['touch', 'subs', 'shout']
  .map((name) => ({ name, inputSchema: input, annotations: { readOnlyHint: true } })) }));
server.setRequestHandler(t.ListResourcesRequestSchema, () => ({
  resources: ['x', 'y'].map((n) => ({ uri: 'kid://' + n, name: n })) }));
server.setRequestHandler(t.ReadResourceRequestSchema, (r) => ({
  contents: [{ uri: r.params.uri, text: 'kid' }] }));
server.setRequestHandler(t.SubscribeRequestSchema, (r) => { subs.add(r.params.uri); return {}; });
server.setRequestHandler(t.UnsubscribeRequestSchema, (r) => { subs.delete(r.params.uri); return {}; });
server.setRequestHandler(t.SetLevelRequestSchema, (r) => { level = r.params.level; return {}; });
const text = (s) => ({ content: [{ type: 'text', text: s }] });
server.setRequestHandler(t.CallToolRequestSchema, async (r, extra) => {
  const { name, arguments: a = {} } = r.params;
  if (name === 'touch') {
    if (subs.has(a.uri)) await server.sendResourceUpdated({ uri: a.uri });
    return text(String(subs.has(a.uri)));
  }
  if (name === 'subs') return text(JSON.stringify([...subs].sort()));
  for (const lv of ['info', 'error'])
    await extra.sendNotification({ method: 'notifications/message', params: { level: lv, data: lv } });
  return text(level);
});
await server.connect(new StdioServerTransport());
`;

let h: Harness;
const clients: Client[] = [];
async function session() {
  const c = await h.client('/mcp', await h.token(['mcp:tools:call']));
  clients.push(c);
  const seen = { updates: [] as string[], logs: [] as string[] };
  c.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    seen.updates.push(n.params.uri);
  });
  c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    seen.logs.push(String(n.params.data));
  });
  const tool = async (name: string, uri = '') => {
    const r = await c.callTool({ name: `kid.${name}`, arguments: { uri } });
    return (r.content as Array<{ text: string }>)[0].text;
  };
  return { c, seen, tool };
}

/** Repeats `step` until `cond` holds (no timing assertion: gives up after 100 rounds). */
async function until(cond: () => boolean, step: () => Promise<unknown>) {
  for (let i = 0; i < 100; i++) {
    if (cond()) return;
    await step();
  }
  throw new Error('condition not reached');
}

beforeAll(async () => {
  h = await startHarness({
    upstreams: [
      {
        name: 'kid',
        command: process.execPath,
        args: ['--input-type=module', '-e', CHILD],
        cwd: process.cwd(), // resolves @modelcontextprotocol/sdk from the project
      },
    ],
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await h?.close();
});

describe('/mcp in front of a shared stdio child', () => {
  it('counts subscriptions per session: the child unsubscribes after the last holder', async () => {
    const [a, b] = [await session(), await session()];
    await a.c.subscribeResource({ uri: 'kid://x' });
    await b.c.subscribeResource({ uri: 'kid://x' });
    expect(await a.tool('subs')).toBe('["kid://x"]');
    await a.c.unsubscribeResource({ uri: 'kid://x' });
    expect(await a.tool('subs')).toBe('["kid://x"]');
    await b.c.unsubscribeResource({ uri: 'kid://x' });
    expect(await a.tool('subs')).toBe('[]');
  });

  it('relays an update to the sessions subscribed to it, and to no other', async () => {
    const [a, b] = [await session(), await session()];
    await a.c.subscribeResource({ uri: 'kid://x' });
    await b.c.subscribeResource({ uri: 'kid://y' });
    // GET streams open asynchronously: touch until heard.
    await until(
      () => a.seen.updates.includes('kid://x'),
      () => a.tool('touch', 'kid://x'),
    );
    await until(
      () => b.seen.updates.includes('kid://y'),
      () => b.tool('touch', 'kid://y'),
    );
    // One more update on a's stream, after every kid://y went out: a never got one.
    const n = a.seen.updates.length;
    await until(
      () => a.seen.updates.length > n,
      () => a.tool('touch', 'kid://x'),
    );
    expect(new Set(a.seen.updates)).toEqual(new Set(['kid://x']));
    expect(new Set(b.seen.updates)).toEqual(new Set(['kid://y']));
    // A session that ends (DELETE) gives up its subscriptions on the child.
    await (a.c.transport as StreamableHTTPClientTransport).terminateSession();
    await b.c.unsubscribeResource({ uri: 'kid://y' });
    let subs = '';
    await until(
      () => subs === '[]',
      async () => (subs = await b.tool('subs')),
    );
  });

  it('serves a 2026-07-28 listen stream from the shared child, and releases it after', async () => {
    const a = await session(); // a 2025 session to touch the child and read its subscriptions
    const ac = new AbortController();
    const token = await h.token(['mcp:tools:call']);
    const res = await fetch(`${h.gw.url}/mcp`, {
      signal: ac.signal,
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'subscriptions/listen',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 31,
        method: 'subscriptions/listen',
        params: {
          notifications: { resourceSubscriptions: ['kid://x'] },
          _meta: {
            'io.modelcontextprotocol/protocolVersion': '2026-07-28',
            'io.modelcontextprotocol/clientCapabilities': {},
          },
        },
      }),
    });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const read = () =>
      reader.read().then(({ value }) => {
        text += value ?? '';
      });
    await read();
    expect(text).toContain('"resourceSubscriptions":["kid://x"]'); // acknowledged
    await until(
      () => text.includes('notifications/resources/updated'),
      async () => {
        await a.tool('touch', 'kid://x');
        await Promise.race([read(), new Promise((r) => setTimeout(r, 50))]);
      },
    );
    expect(text).toContain('"uri":"kid://x"');
    expect(text).toContain('"io.modelcontextprotocol/subscriptionId":31');
    // The stream ends: nobody else holds kid://x, so the child is told to unsubscribe.
    ac.abort();
    let subs = '';
    await until(
      () => subs === '[]',
      async () => (subs = await a.tool('subs')),
    );
  });

  it('runs the child at the most verbose level; each session sees its own level', async () => {
    const [a, b] = [await session(), await session()];
    await a.tool('subs'); // both sessions use the child before setting levels
    await a.c.setLoggingLevel('error');
    await b.c.setLoggingLevel('debug');
    expect(await a.tool('shout')).toBe('debug');
    expect(a.seen.logs).toEqual(['error']);
    expect(await b.tool('shout')).toBe('debug');
    expect(b.seen.logs).toEqual(['info', 'error']);
  });
});
