// Arbitrary requests against both routes (fast-check): raw bytes, any JSON, and JSON-RPC-shaped
// messages of every method the gateway knows, with or without a session, in either era's
// headers, some matching and some not. Whatever arrives, the gateway answers with a status of
// the error table and, for an error, a JSON-RPC error body; never a 5xx of its own, never a
// hang; and a normal call still works afterwards.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';
import { modern } from './eras-peers.ts';
import { rawSession, startHarness, type Harness } from './harness.ts';

let up: SdkUpstream;
let h: Harness;
beforeAll(async () => {
  up = await startSdkUpstream();
  h = await startHarness({ upstreams: [{ name: 'api', url: up.url }] });
});
afterAll(async () => {
  await h?.close();
  await up?.close();
});

const METHODS = [
  'initialize',
  'notifications/initialized',
  'ping',
  'tools/list',
  'tools/call',
  'resources/list',
  'resources/read',
  'resources/subscribe',
  'prompts/list',
  'prompts/get',
  'completion/complete',
  'logging/setLevel',
  'server/discover',
  'subscriptions/listen',
  'tasks/get',
  'tasks/cancel',
];

/** A well-formed request of either era, as a client would send it. */
const request = fc
  .record({
    modern: fc.boolean(),
    method: fc.constantFrom(...METHODS),
    id: fc.integer({ min: 1, max: 1_000_000 }),
    name: fc.constantFrom('echo', 'api.echo', 'nope'),
    args: fc.oneof(fc.record({ text: fc.string({ maxLength: 20 }) }), fc.object({ maxDepth: 2 })),
    uri: fc.constantFrom('test://a', 'x://nobody'),
    taskId: fc.string({ maxLength: 12 }),
    caps: fc.constantFrom(
      {},
      { sampling: {} },
      { extensions: { 'io.modelcontextprotocol/tasks': {} } },
    ),
  })
  .map((r) => {
    const params: Record<string, unknown> = {};
    if (r.method === 'tools/call') Object.assign(params, { name: r.name, arguments: r.args });
    if (r.method === 'prompts/get') params.name = r.name;
    if (r.method === 'resources/read' || r.method === 'resources/subscribe') params.uri = r.uri;
    if (r.method.startsWith('tasks/')) params.taskId = r.taskId;
    if (r.method === 'initialize')
      Object.assign(params, {
        protocolVersion: '2025-06-18',
        capabilities: r.caps,
        clientInfo: { name: 'fuzz', version: '1' },
      });
    const headers: Record<string, string> = {};
    if (r.modern) {
      params._meta = {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientCapabilities': r.caps,
      };
      headers['mcp-protocol-version'] = '2026-07-28';
      headers['mcp-method'] = r.method;
      const name = params.name ?? params.uri ?? params.taskId;
      if (typeof name === 'string') headers['mcp-name'] = name;
    } else headers['mcp-protocol-version'] = '2025-06-18';
    const notification = r.method.startsWith('notifications/');
    const msg = { jsonrpc: '2.0', ...(notification ? {} : { id: r.id }), method: r.method, params };
    return { msg: msg as Record<string, unknown>, headers, session: !r.modern };
  });

type Req = { msg: Record<string, unknown>; headers: Record<string, string>; session: boolean };
type Mutation = (r: Req) => Req | string;

/** What can go wrong with a request: one field or header changed, or the body broken. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc
    .constantFrom('jsonrpc', 'id', 'method', 'params')
    .chain((k) => fc.anything().map((v): Mutation => (r) => ({ ...r, msg: { ...r.msg, [k]: v } }))),
  fc.constantFrom('jsonrpc', 'id', 'method', 'params').map((k): Mutation => (r) => {
    const { [k]: _gone, ...msg } = r.msg;
    return { ...r, msg };
  }),
  fc
    .tuple(
      fc.constantFrom('mcp-protocol-version', 'mcp-method', 'mcp-name', 'mcp-session-id'),
      fc.option(fc.string({ maxLength: 12 }), { nil: undefined }),
    )
    .map(([k, v]): Mutation => (r) => {
      const headers = { ...r.headers };
      if (v === undefined) delete headers[k];
      else headers[k] = v;
      return { ...r, headers, session: k === 'mcp-session-id' ? false : r.session };
    }),
  fc.boolean().map((): Mutation => (r) => ({ ...r, session: !r.session })),
  fc.nat().map(
    (n): Mutation =>
      (r) =>
        JSON.stringify(r.msg).slice(0, n % 40),
  ), // cut short
  fc.json().map(
    (j): Mutation =>
      () =>
        j,
  ),
  fc
    .array(fc.constant(0), { maxLength: 2 })
    .map((): Mutation => (r) => JSON.stringify([r.msg, r.msg])),
);

/** Statuses of the README's error table, plus the successes. */
const ALLOWED = new Set([200, 202, 400, 401, 403, 404, 405, 406, 413, 415]);

describe.each(['/mcp', '/u/api/mcp'])('arbitrary requests to %s', (route) => {
  it('get a status of the error table and a JSON-RPC error body, and the gateway goes on', async () => {
    const url = `${h.gw.url}${route}`;
    const token = await h.token(['mcp:tools:call'], { route });
    const session = await rawSession(url, token);
    const odd: string[] = [];
    await fc.assert(
      fc.asyncProperty(request, fc.array(mutation, { maxLength: 2 }), async (r0, mutations) => {
        let r: Req | string = r0;
        for (const m of mutations) if (typeof r !== 'string') r = m(r);
        const text = typeof r === 'string' ? r : JSON.stringify(r.msg);
        const sent: Record<string, string> = {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...(typeof r === 'string' ? r0.headers : r.headers),
        };
        const withSession = typeof r === 'string' ? r0.session : r.session;
        if (withSession) sent['mcp-session-id'] ??= session['mcp-session-id'];
        const ctl = new AbortController();
        // A listen stream stays open: read what comes first, then leave.
        const timer = setTimeout(() => ctl.abort(), 5000);
        const res = await fetch(url, {
          method: 'POST',
          headers: sent,
          body: text,
          signal: ctl.signal,
        });
        const isStream = (res.headers.get('content-type') ?? '').includes('text/event-stream');
        const answer = isStream ? '' : await res.text();
        ctl.abort();
        clearTimeout(timer);
        if (!ALLOWED.has(res.status)) odd.push(`${res.status} ${text.slice(0, 120)} → ${answer}`);
        if (res.status >= 400) {
          const parsed = JSON.parse(answer) as { error?: { code?: unknown; message?: unknown } };
          expect(typeof parsed.error?.code).toBe('number');
          expect(typeof parsed.error?.message).toBe('string');
        }
      }),
      { numRuns: 300 },
    );
    expect(odd).toEqual([]);
    // Still serving.
    const c = await h.client(route, token);
    const name = route === '/mcp' ? 'api.echo' : 'echo';
    const r = await c.callTool({ name, arguments: { text: 'after the fuzz' } });
    expect(JSON.stringify(r.content)).toContain('after the fuzz');
    await c.close();
  }, 180_000);
});

// Found by the property above: a 2026-07-28 completion/complete reaches the route without the
// SDK's schema in between, and a missing `ref` was a 500.
it('answers a 2026-07-28 completion/complete without a ref with -32602, not a 500', async () => {
  const token = await h.token(['mcp:tools:call']);
  const r = await modern(`${h.gw.url}/mcp`, token, 3, 'completion/complete', {
    argument: { name: 'x', value: '' },
  });
  expect(r.status).toBe(200);
  expect(r.json.error).toMatchObject({ code: -32602 });
});
