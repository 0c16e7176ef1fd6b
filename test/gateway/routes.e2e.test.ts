// The same end-to-end suite through both routes: the drop-in route (/u/<upstream>/mcp, proxied)
// and the aggregated endpoint (/mcp), against real SDK upstreams in JSON and SSE modes, with the
// real SDK client and tokens from the auth module's demo issuer.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';
import { rawSession, rpc, startHarness, type Harness } from './harness.ts';

let json: SdkUpstream;
let sse: SdkUpstream;
let h: Harness;
const BASE = ['mcp:tools:call'];

beforeAll(async () => {
  json = await startSdkUpstream({ json: true, pageSize: 3 });
  sse = await startSdkUpstream({ json: false });
  const tools = { delete_all: { scope: 'x:admin' } };
  h = await startHarness({
    upstreams: [
      {
        name: 'api',
        url: json.url,
        tools,
        auth: { type: 'headers', headers: { authorization: 'Bearer upstream-secret' } },
      },
      { name: 'sse', url: sse.url, tools },
    ],
  });
});
afterAll(async () => {
  await h?.close();
  await json?.close();
  await sse?.close();
});

const CASES = [
  {
    label: 'drop-in, JSON upstream',
    route: '/u/api/mcp',
    up: 'api',
    name: (t: string) => t,
    streams: false,
  },
  {
    label: 'drop-in, SSE upstream',
    route: '/u/sse/mcp',
    up: 'sse',
    name: (t: string) => t,
    streams: true,
  },
  {
    label: 'aggregated, JSON upstream',
    route: '/mcp',
    up: 'api',
    name: (t: string) => `api.${t}`,
    streams: false,
  },
  {
    label: 'aggregated, SSE upstream',
    route: '/mcp',
    up: 'sse',
    name: (t: string) => `sse.${t}`,
    streams: true,
  },
];

describe.each(CASES)('$label', ({ route, up, name, streams }) => {
  const url = () => `${h.gw.url}${route}`;
  const call = (id: number, tool: string, args: unknown = {}) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: tool, arguments: args },
  });

  it('lists only the tools the token may call (all pages)', async () => {
    const c = await h.client(route, await h.token(BASE, { route }));
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await c.listTools(cursor ? { cursor } : undefined);
      names.push(...page.tools.map((t) => t.name));
      cursor = page.nextCursor;
    } while (cursor);
    expect(names).toContain(name('echo'));
    expect(names).toContain(name('whoami'));
    expect(names).not.toContain(name('delete_all'));
    await c.close();
    const admin = await h.client(route, await h.token([...BASE, 'x:admin'], { route }));
    expect((await admin.listTools()).tools.map((t) => t.name)).toContain(name('delete_all'));
    await admin.close();
  });

  it('forwards an allowed call and never passes the client token upstream', async () => {
    const c = await h.client(route, await h.token(BASE, { route }));
    expect(
      (await c.callTool({ name: name('echo'), arguments: { text: 'hello' } })).content,
    ).toEqual([{ type: 'text', text: 'hello' }]);
    const who = await c.callTool({ name: name('whoami'), arguments: {} });
    expect(who.content).toEqual([
      { type: 'text', text: up === 'api' ? 'Bearer upstream-secret' : 'none' },
    ]);
    await c.close();
  });

  it('answers a missing scope with 403 and a step-up challenge', async () => {
    const token = await h.token(BASE, { route });
    const s = await rawSession(url(), token);
    const r = await rpc(url(), call(7, name('delete_all')), s);
    expect(r.status).toBe(403);
    const challenge = r.headers.get('www-authenticate')!;
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toMatch(/scope="[^"]*x:admin/);
    expect(challenge).toContain('resource_metadata="');
    expect(r.json).toMatchObject({ id: 7, error: { code: -32003 } });
    expect(r.json.error.message).toContain('missing scope: x:admin');
  });

  it('requires a fresh human approval for a destructive tool', async () => {
    const s = await rawSession(url(), await h.token([...BASE, 'x:admin'], { route }));
    const r = await rpc(url(), call(8, name('delete_all')), s);
    expect(r.status).toBe(403);
    expect(r.headers.get('www-authenticate')).toContain('approved:by:human');
    const stale = await rawSession(
      url(),
      await h.token([...BASE, 'x:admin', 'approved:by:human'], {
        route,
        approvedAt: Math.floor(Date.now() / 1000) - 3600,
      }),
    );
    expect((await rpc(url(), call(9, name('delete_all')), stale)).status).toBe(403);
    const c = await h.client(
      route,
      await h.token([...BASE, 'x:admin', 'approved:by:human'], { route, approved: true }),
    );
    expect((await c.callTool({ name: name('delete_all'), arguments: {} })).content).toEqual([
      { type: 'text', text: 'delete_all done' },
    ]);
    await c.close();
  });

  it('answers other policy denials with a JSON-RPC error carrying the reasons', async () => {
    const s = await rawSession(url(), await h.token(BASE, { route }));
    const big = await rpc(url(), call(10, name('echo'), { text: 'x'.repeat(9000) }), s);
    expect(big.status).toBe(200);
    expect(big.json).toMatchObject({
      jsonrpc: '2.0',
      id: 10,
      error: { code: -32003, data: { reasons: ['payload too large (> 8192 bytes)'] } },
    });
    expect(big.json.error.message).toContain('payload too large (> 8192 bytes)');
    const unknown = await rpc(url(), call(11, name('nope')), s);
    expect(unknown.json).toMatchObject({ id: 11, error: { code: -32003 } });
    expect(unknown.json.error.message).toContain(`no such tool: ${name('nope')}`);
  });

  it.runIf(streams)('relays progress notifications', async () => {
    const c = await h.client(route, await h.token(BASE, { route }));
    const seen: number[] = [];
    const r = await c.callTool({ name: name('slow'), arguments: { steps: 3 } }, undefined, {
      onprogress: (p) => void seen.push(p.progress),
    });
    expect(r.content).toEqual([{ type: 'text', text: 'slow done 3' }]);
    expect(seen).toEqual([1, 2, 3]);
    await c.close();
  });

  it.runIf(streams)('routes sampling and elicitation back to the calling client', async () => {
    const c = await h.client(route, await h.token(BASE, { route }), {
      sampling: true,
      elicitation: true,
    });
    c.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: 'assistant',
      model: 'm',
      content: { type: 'text', text: 'forty-two' },
    }));
    c.setRequestHandler(ElicitRequestSchema, async () => ({
      action: 'accept',
      content: { name: 'Ada' },
    }));
    expect((await c.callTool({ name: name('ask_llm'), arguments: {} })).content).toEqual([
      { type: 'text', text: 'llm said: forty-two' },
    ]);
    expect((await c.callTool({ name: name('ask_user'), arguments: {} })).content).toEqual([
      { type: 'text', text: 'user said: accept {"name":"Ada"}' },
    ]);
    await c.close();
  });

  it('writes an audit record for allowed and denied calls', async () => {
    const token = await h.token(BASE, { route, sub: `audit-${route}-${up}` });
    const s = await rawSession(url(), token);
    await rpc(url(), call(21, name('echo'), { text: 'a' }), s);
    await rpc(url(), call(22, name('delete_all')), s);
    await new Promise((r) => setTimeout(r, 300)); // records are written asynchronously
    const recs = h
      .audit()
      .filter((r) => r.subject === `audit-${route}-${up}` && r.method === 'tools/call');
    expect(recs).toHaveLength(2);
    expect(recs[0]).toMatchObject({
      request_id: 21,
      tool: name('echo'),
      upstream: up,
      decision: 'allow',
      outcome: 'ok',
      status: 200,
      route,
      arguments: { text: 'a' },
    });
    expect(recs[0].result).toMatchObject({ is_error: false, content_types: ['text'] });
    expect(recs[1]).toMatchObject({
      request_id: 22,
      decision: 'deny',
      outcome: 'denied',
      status: 403,
      reasons: ['missing scope: x:admin'],
    });
    expect(typeof recs[0].duration_ms).toBe('number');
    expect(typeof recs[0].time).toBe('string');
  });
});

describe('tools/list_changed', () => {
  it('refreshes the aggregated names when an upstream adds a tool', async () => {
    const c = await h.client('/mcp', await h.token(BASE));
    const changed = new Promise((r) => upstreamChanged(r));
    await sse.addTool({
      name: 'brand_new',
      inputSchema: { type: 'object' },
      annotations: { readOnlyHint: true },
    });
    await changed;
    expect((await c.listTools()).tools.map((t) => t.name)).toContain('sse.brand_new');
    await c.close();
  });
});

function upstreamChanged(done: (v: unknown) => void): void {
  h.gw.upstreams.find((u) => u.name === 'sse')!.once('changed', () => done(undefined));
}

describe('cancellation', () => {
  it.each([
    ['/mcp', 'sse.slow'],
    ['/u/sse/mcp', 'slow'],
  ])('a client abort on %s cancels the upstream call', async (route, tool) => {
    const c = await h.client(route, await h.token(BASE, { route }));
    const before = sse.cancelled;
    const started = sse.slowStarted;
    const ctl = new AbortController();
    // Long enough that the cancellation always arrives while the upstream is still working,
    // even on a loaded machine; the abort waits until the call has really reached it.
    const call = c.callTool({ name: tool, arguments: { steps: 400, ms: 50 } }, undefined, {
      signal: ctl.signal,
      timeout: 60_000,
    });
    await new Promise<void>((ok) => {
      const t = setInterval(() => sse.slowStarted > started && (clearInterval(t), ok()), 10);
    });
    ctl.abort();
    await expect(call).rejects.toThrow();
    await new Promise<void>((ok) => {
      const t = setInterval(() => sse.cancelled > before && (clearInterval(t), ok()), 20);
    });
    expect(sse.cancelled).toBeGreaterThan(before);
    await c.close();
  });
});
