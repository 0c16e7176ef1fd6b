// stdio upstreams through both routes: @modelcontextprotocol/server-everything, and a server
// that crashes mid-call (the caller gets an error, the child is restarted, later calls work).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { rawSession, rpc, startHarness, type Harness } from './harness.ts';

const require = createRequire(import.meta.url);
const EVERYTHING = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');
const CRASH = new URL('../fixtures/crash-server.mjs', import.meta.url).pathname;
const BASE = ['mcp:tools:call'];
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    upstreams: [
      { name: 'everything', command: process.execPath, args: [EVERYTHING, 'stdio'] },
      { name: 'crashy', command: process.execPath, args: [CRASH] },
    ],
  });
});
afterAll(async () => h?.close());

describe.each([
  { route: '/u/everything/mcp', name: (t: string) => t, prefix: '' },
  { route: '/mcp', name: (t: string) => `everything.${t}`, prefix: 'everything.' },
])('server-everything via $route', ({ route, name }) => {
  it('lists, calls, reads resources and prompts', async () => {
    const c = await h.client(route, await h.token(BASE, { route }));
    const tools = (await c.listTools()).tools.map((t) => t.name);
    expect(tools).toContain(name('echo'));
    const r = await c.callTool({ name: name('echo'), arguments: { message: 'via stdio' } });
    expect(JSON.stringify(r.content)).toContain('via stdio');
    const res = await c.listResources();
    expect(res.resources.length).toBeGreaterThan(0);
    const read = await c.readResource({ uri: res.resources[0].uri });
    expect(read.contents.length).toBeGreaterThan(0);
    const prompts = (await c.listPrompts()).prompts;
    expect(prompts.length).toBeGreaterThan(0);
    expect(prompts.every((p) => p.name.startsWith(route === '/mcp' ? 'everything.' : ''))).toBe(
      true,
    );
    await c.close();
  });
});

// A 2026-07-28 client in front of a stdio (2025-era) child: served statelessly by the gateway,
// the call relayed over the child's one shared session.
describe.each([
  { route: '/u/everything/mcp', tool: 'echo' },
  { route: '/mcp', tool: 'everything.echo' },
])('a 2026-07-28 client, server-everything over stdio via $route', ({ route, tool }) => {
  it('discovers and calls without a session', async () => {
    const url = `${h.gw.url}${route}`;
    const token = await h.token(BASE, { route });
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const headers = (method: string, name?: string) => ({
      authorization: `Bearer ${token}`,
      'mcp-protocol-version': '2026-07-28',
      'mcp-method': method,
      ...(name ? { 'mcp-name': name } : {}),
    });
    const d = await rpc(
      url,
      { jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: meta } },
      headers('server/discover'),
    );
    expect(d.json.result.supportedVersions).toContain('2026-07-28');
    const r = await rpc(
      url,
      {
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: tool, arguments: { message: 'stateless' }, _meta: meta },
      },
      headers('tools/call', tool),
    );
    expect(r.status, r.text).toBe(200);
    expect(r.json.result.resultType).toBe('complete');
    expect(JSON.stringify(r.json.result.content)).toContain('stateless');
  });

  it('turns the child’s sampling request into input_required, and the retry’s answer back', async () => {
    const url = `${h.gw.url}${route}`;
    const token = await h.token(BASE, { route });
    const name = tool.replace('echo', 'trigger-sampling-request');
    const call = (id: number, extra: Record<string, unknown> = {}) =>
      rpc(
        url,
        {
          jsonrpc: '2.0',
          id,
          method: 'tools/call',
          params: {
            name,
            arguments: { prompt: 'pick a colour', maxTokens: 5 },
            ...extra,
            _meta: {
              'io.modelcontextprotocol/protocolVersion': '2026-07-28',
              'io.modelcontextprotocol/clientCapabilities': { sampling: {} },
            },
          },
        },
        {
          authorization: `Bearer ${token}`,
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': name,
        },
      );
    const first = await call(11);
    expect(first.status, first.text).toBe(200);
    expect(first.json.result.resultType).toBe('input_required');
    const asked = Object.entries(first.json.result.inputRequests as Record<string, any>);
    expect(asked).toHaveLength(1);
    expect(asked[0][1]).toMatchObject({ method: 'sampling/createMessage' });
    expect(JSON.stringify(asked[0][1].params)).toContain('pick a colour');
    const answer = {
      role: 'assistant',
      model: 'stdio-test',
      content: { type: 'text', text: 'teal, said the client' },
    };
    const done = await call(12, {
      requestState: first.json.result.requestState,
      inputResponses: { [asked[0][0]]: answer },
    });
    expect(done.status, done.text).toBe(200);
    expect(done.json.result.resultType).toBe('complete');
    expect(JSON.stringify(done.json.result.content)).toContain('teal, said the client');
  });
});

describe.each(['/u/crashy/mcp', '/mcp'])(
  'a stdio upstream that crashes mid-call via %s',
  (route) => {
    it('fails that call with a JSON-RPC error, restarts the child and serves the next call', async () => {
      const up = h.gw.upstreams.find((u) => u.name === 'crashy')!;
      const before = up.process!.restarts;
      const tool = (t: string) => (route === '/mcp' ? `crashy.${t}` : t);
      const s = await rawSession(`${h.gw.url}${route}`, await h.token(BASE, { route }));
      const r = await rpc(
        `${h.gw.url}${route}`,
        {
          jsonrpc: '2.0',
          id: 5,
          method: 'tools/call',
          params: { name: tool('crash'), arguments: {} },
        },
        s,
      );
      expect(r.json).toMatchObject({ id: 5, error: { code: -32010 } });
      await new Promise((ok) => setTimeout(ok, 100));
      const rec = h
        .audit()
        .filter((x) => x.request_id === 5 && x.route === route)
        .at(-1);
      expect(rec).toMatchObject({
        tool: tool('crash'),
        upstream: 'crashy',
        decision: 'allow',
        outcome: 'error',
        error_code: -32010,
      });
      await new Promise<void>((ok) =>
        up.process!.restarts > before ? ok() : up.once('changed', () => ok()),
      );
      const again = await rpc(
        `${h.gw.url}${route}`,
        {
          jsonrpc: '2.0',
          id: 6,
          method: 'tools/call',
          params: { name: tool('pid'), arguments: {} },
        },
        s,
      );
      expect(again.json?.result?.content?.[0]?.text, again.text).toBe(String(up.process!.pid));
    });
  },
);
