// The aggregated endpoint /mcp beyond tools: prompt renames, completion/complete, logging
// (setLevel forwarded, messages relayed on the call), resources/subscribe and unsubscribe
// (routed to the owning upstream, updates relayed to the subscriber). Real SDK clients through
// the gateway, in front of the conformance fixture (HTTP, SDK server) and a second SDK upstream
// that offers subscriptions but no completions; tokens from the demo issuer.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  LoggingMessageNotificationSchema,
  ReadResourceRequestSchema,
  ResourceUpdatedNotificationSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { buildConfig } from '../../src/config/index.ts';
import { startFixtureServer, type FixtureServer } from '../conformance/fixture-server.ts';
import { TEXTS } from '../conformance/fixture/content.ts';
import { rawSession, rpc, startHarness, type Harness } from './harness.ts';
import { serveSessions } from '../fixtures/session-server.ts';

/** An SDK upstream with subscribable resources (notes://a, notes://b), no completions. */
async function startNotes(): Promise<{ url: string; close(): Promise<void> }> {
  const session = () => {
    const subs = new Set<string>();
    const server = new Server(
      { name: 'notes', version: '1' },
      { capabilities: { tools: {}, resources: { subscribe: true } } },
    );
    server.setRequestHandler(ListResourcesRequestSchema, () => ({
      resources: ['a', 'b'].map((n) => ({ uri: `notes://${n}`, name: n })),
    }));
    server.setRequestHandler(ReadResourceRequestSchema, (r) => ({
      contents: [{ uri: r.params.uri, text: 'note' }],
    }));
    server.setRequestHandler(SubscribeRequestSchema, (r) => {
      subs.add(r.params.uri);
      return {};
    });
    server.setRequestHandler(UnsubscribeRequestSchema, (r) => {
      subs.delete(r.params.uri);
      return {};
    });
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: [
        {
          name: 'touch',
          inputSchema: { type: 'object', properties: { uri: { type: 'string' } } },
          annotations: { readOnlyHint: true },
        },
      ],
    }));
    // Changes a note: subscribers of this upstream session hear of it on the call's stream.
    server.setRequestHandler(CallToolRequestSchema, async (r, extra) => {
      const uri = String(r.params.arguments?.uri);
      if (subs.has(uri))
        await extra.sendNotification({
          method: 'notifications/resources/updated',
          params: { uri },
        });
      return { content: [{ type: 'text', text: `subscribed=${subs.has(uri)}` }] };
    });
    return server;
  };
  return serveSessions(session);
}

/** Polls `cond` (no timing assertion: gives up after `n` rounds of `step`). */
async function until(cond: () => boolean | Promise<boolean>, step?: () => Promise<unknown>) {
  for (let i = 0; i < 100; i++) {
    if (await cond()) return;
    await (step ? step() : new Promise((r) => setTimeout(r, 20)));
  }
  throw new Error('condition not reached');
}

const code = (p: Promise<unknown>) =>
  p.then(
    () => 'ok',
    (e: { code?: number }) => e.code,
  );

let fixture: FixtureServer;
let notes: Awaited<ReturnType<typeof startNotes>>;
let h: Harness;
let token: string;
const clients: Client[] = [];
async function client(): Promise<Client> {
  const c = await h.client('/mcp', token);
  clients.push(c);
  return c;
}

beforeAll(async () => {
  fixture = await startFixtureServer();
  notes = await startNotes();
  h = await startHarness({
    upstreams: [
      {
        name: 'fx',
        url: fixture.url,
        tools: { test_tool_with_logging: { destructive: false } },
        prompts: { test_simple_prompt: { rename: 'simple' } },
      },
      { name: 'notes', url: notes.url },
    ],
  });
  token = await h.token(['mcp:tools:call']);
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await h?.close();
  await notes?.close();
  await fixture?.close();
});

describe('/mcp: prompts, completion, logging and subscriptions', () => {
  it('declares logging, completions and resource subscriptions', async () => {
    const c = await client();
    expect(c.getServerCapabilities()).toMatchObject({
      logging: {},
      completions: {},
      resources: { subscribe: true },
    });
  });

  it('renames prompts from upstreams[].prompts.<name>.rename; others stay prefixed', async () => {
    const c = await client();
    const names = (await c.listPrompts()).prompts.map((p) => p.name);
    expect(names).toContain('simple');
    expect(names).toContain('fx.test_prompt_with_arguments');
    expect(names).not.toContain('fx.test_simple_prompt');
    const got = await c.getPrompt({ name: 'simple' });
    expect(got.messages[0].content).toEqual({ type: 'text', text: TEXTS.simplePrompt });
    const args = await c.getPrompt({
      name: 'fx.test_prompt_with_arguments',
      arguments: { arg1: 'x', arg2: 'y' },
    });
    expect(JSON.stringify(args.messages)).toContain("arg1='x'");
    expect(await code(c.getPrompt({ name: 'fx.test_simple_prompt' }))).toBe(-32602);
  });

  it('checks prompt renames in config like tool renames', () => {
    const doc = (rename: unknown) => ({
      upstreams: [{ name: 'fx', url: 'http://127.0.0.1:1/mcp', prompts: { p: { rename } } }],
    });
    expect(buildConfig(doc('bare'), 'test').upstreams[0].prompts).toEqual({
      p: { rename: 'bare' },
    });
    expect(() => buildConfig(doc('has space'), 'test')).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', where: 'upstreams[0].prompts.p.rename' }),
    );
  });

  it('completion/complete: ref/prompt by exposed name, ref/resource by template', async () => {
    const c = await client();
    const byPrompt = await c.complete({
      ref: { type: 'ref/prompt', name: 'fx.test_prompt_with_arguments' },
      argument: { name: 'arg1', value: 'pa' },
    });
    expect(byPrompt.completion.values).toEqual(['paris', 'park', 'party']);
    const renamed = await c.complete({
      ref: { type: 'ref/prompt', name: 'simple' },
      argument: { name: 'arg2', value: 'wor' },
    });
    expect(renamed.completion.values).toEqual(['world', 'work']);
    const byTemplate = await c.complete({
      ref: { type: 'ref/resource', uri: 'test://template/{id}/data' },
      argument: { name: 'id', value: '1' },
    });
    expect(byTemplate.completion.values).toEqual(['1', '123']);
    // An upstream without `completions` has nothing to suggest; an unknown prompt is -32602.
    const none = await c.complete({
      ref: { type: 'ref/resource', uri: 'notes://a' },
      argument: { name: 'x', value: '' },
    });
    expect(none.completion.values).toEqual([]);
    const unknown = c.complete({
      ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' },
      argument: { name: 'arg1', value: '' },
    });
    expect(await code(unknown)).toBe(-32602);
  });

  it('logging/setLevel reaches the upstream; its messages arrive during the call', async () => {
    const c = await client();
    const logs: LoggingMessageNotification['params'][] = [];
    c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params));
    await c.setLoggingLevel('debug');
    const r = await c.callTool({ name: 'fx.test_tool_with_logging', arguments: {} });
    expect(r.isError).toBeFalsy();
    await until(() => logs.length >= 3);
    expect(logs.map((l) => l.data)).toEqual([
      'Tool execution started',
      'Tool processing data',
      'Tool execution completed',
    ]);
    expect(logs.every((l) => l.level === 'info')).toBe(true);
    // Above the messages' level: the upstream sends nothing (they would precede the result).
    await c.setLoggingLevel('error');
    await c.callTool({ name: 'fx.test_tool_with_logging', arguments: {} });
    expect(logs).toHaveLength(3);
  });

  it('resources/subscribe goes to the owning upstream; updates reach the subscriber only', async () => {
    const [a, b] = [await client(), await client()];
    const seen = { a: [] as string[], b: [] as string[] };
    a.setNotificationHandler(
      ResourceUpdatedNotificationSchema,
      (n) => void seen.a.push(n.params.uri),
    );
    b.setNotificationHandler(
      ResourceUpdatedNotificationSchema,
      (n) => void seen.b.push(n.params.uri),
    );
    await a.subscribeResource({ uri: 'notes://a' });
    await b.subscribeResource({ uri: 'notes://b' });
    const touch = (c: Client, uri: string) =>
      c.callTool({ name: 'notes.touch', arguments: { uri } });
    // The client's GET stream (where updates travel) opens asynchronously: touch until heard.
    await until(
      () => seen.a.includes('notes://a'),
      () => touch(a, 'notes://a'),
    );
    await touch(b, 'notes://a');
    await until(
      () => seen.b.includes('notes://b'),
      () => touch(b, 'notes://b'),
    );
    expect(seen.b).not.toContain('notes://a');
    expect(seen.a).not.toContain('notes://b');

    await a.unsubscribeResource({ uri: 'notes://a' });
    const after = await touch(a, 'notes://a');
    expect(after.content).toEqual([{ type: 'text', text: 'subscribed=false' }]);
    // Routed by URI across upstreams: the fixture's resource, and one nobody owns.
    await a.subscribeResource({ uri: 'test://watched-resource' });
    await a.unsubscribeResource({ uri: 'test://watched-resource' });
    expect(await code(a.subscribeResource({ uri: 'nope://x' }))).toBe(-32002);
  });

  it('the new methods are authenticated and audited like resources/read', async () => {
    const url = `${h.gw.url}/mcp`;
    const headers = await rawSession(url, token);
    const calls = [
      { method: 'logging/setLevel', params: { level: 'info' } },
      {
        method: 'completion/complete',
        params: {
          ref: { type: 'ref/prompt', name: 'simple' },
          argument: { name: 'arg1', value: 'p' },
        },
      },
      { method: 'resources/subscribe', params: { uri: 'notes://b' } },
      { method: 'resources/unsubscribe', params: { uri: 'notes://b' } },
    ];
    for (const [i, m] of calls.entries()) {
      const id = 900 + i;
      // No token, and a token for another audience: 401 before anything is forwarded.
      const { authorization: _drop, ...noAuth } = headers;
      expect((await rpc(url, { jsonrpc: '2.0', id, ...m }, noAuth)).status).toBe(401);
      const other = await h.token(['mcp:tools:call'], { route: '/u/fx/mcp' });
      const wrongAud = { ...headers, authorization: `Bearer ${other}` };
      expect((await rpc(url, { jsonrpc: '2.0', id, ...m }, wrongAud)).status).toBe(401);
      const ok = await rpc(url, { jsonrpc: '2.0', id, ...m }, headers);
      expect(ok.status).toBe(200);
      expect(ok.json.error).toBeUndefined();
    }
    await until(() =>
      calls.every((m, i) =>
        h
          .audit()
          .some(
            (r) =>
              r.method === m.method &&
              r.request_id === 900 + i &&
              r.subject === 'alice' &&
              r.outcome === 'ok',
          ),
      ),
    );
    const denied = h.audit().filter((r) => r.method === 'POST' && r.outcome === 'denied');
    expect(denied.length).toBeGreaterThanOrEqual(calls.length * 2);
  });
});
