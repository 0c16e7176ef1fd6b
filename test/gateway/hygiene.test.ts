// HTTP hygiene of both MCP routes (MCP 2025-11-25 "Streamable HTTP"; issue #4 §9), the
// documents the gateway serves, and graceful shutdown. Every bad input: status + JSON-RPC error.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';
import { INIT, rawSession, rpc, startHarness, type Harness } from './harness.ts';

let up: SdkUpstream;
let h: Harness;
beforeAll(async () => {
  up = await startSdkUpstream({ json: false });
  h = await startHarness({
    limits: { max_body_bytes: 65536 },
    upstreams: [{ name: 'api', url: up.url, tools: { delete_all: { scope: 'x:admin' } } }],
  });
});
afterAll(async () => {
  await h?.close();
  await up?.close();
});

describe.each(['/mcp', '/u/api/mcp'])('%s', (route) => {
  const url = () => `${h.gw.url}${route}`;
  const auth = async () => ({
    authorization: `Bearer ${await h.token(['mcp:tools:call'], { route })}`,
  });

  it('401 with the RFC 9728 challenge without a token', async () => {
    const r = await rpc(url(), INIT);
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toContain(
      `resource_metadata="${h.gw.url}/.well-known/oauth-protected-resource${route}"`,
    );
    expect(r.json.error.code).toBe(-32005);
  });

  it('401 for a token minted for another route (audience)', async () => {
    const other = route === '/mcp' ? '/u/api/mcp' : '/mcp';
    const r = await rpc(url(), INIT, {
      authorization: `Bearer ${await h.token(['mcp:tools:call'], { route: other })}`,
    });
    expect(r.status).toBe(401);
  });

  it('403 for a foreign Origin and a rebound Host', async () => {
    const r = await rpc(url(), INIT, { ...(await auth()), origin: 'https://evil.example' });
    expect(r.status).toBe(403);
    expect(r.json.error.message).toMatch(/origin/);
    const ok = await rpc(url(), INIT, { ...(await auth()), origin: h.gw.url });
    expect(ok.status).toBe(200);
    // DNS rebinding: a name the attacker controls now resolves to 127.0.0.1 (fetch cannot set
    // Host, so node:http it is).
    const status = await new Promise<number>((ok, fail) => {
      const req = request(
        url(),
        {
          method: 'POST',
          headers: {
            host: 'attacker.example',
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
        },
        (res) => {
          res.resume();
          ok(res.statusCode!);
        },
      );
      req.on('error', fail);
      req.end(JSON.stringify(INIT));
    });
    expect(status).toBe(403);
  });

  it('406 for a wrong Accept, 415 for a wrong Content-Type', async () => {
    expect((await rpc(url(), INIT, { ...(await auth()), accept: 'application/json' })).status).toBe(
      406,
    );
    const get = await fetch(url(), { headers: { ...(await auth()), accept: 'application/json' } });
    expect(get.status).toBe(406);
    expect(
      (await rpc(url(), INIT, { ...(await auth()), 'content-type': 'text/plain' })).status,
    ).toBe(415);
  });

  it('413 for a body over limits.max_body_bytes', async () => {
    const r = await rpc(
      url(),
      { ...INIT, params: { ...INIT.params, pad: 'x'.repeat(70_000) } },
      await auth(),
    );
    expect(r.status).toBe(413);
    expect(r.json.error).toMatchObject({ code: -32000 });
  });

  it('400 -32700 for malformed JSON, 400 -32600 for a batch', async () => {
    const bad = await rpc(url(), '{"jsonrpc": "2.0", "id": 1,', await auth());
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } });
    const batch = await rpc(url(), [INIT, INIT], await auth());
    expect(batch.status).toBe(400);
    expect(batch.json.error.code).toBe(-32600);
  });

  it('400 for a missing session, 404 for an unknown one or another subject’s', async () => {
    const a = await auth();
    await rawSession(url(), a.authorization.slice(7)); // the upstream now has sessions
    const missing = await rpc(url(), { jsonrpc: '2.0', id: 2, method: 'tools/list' }, a);
    expect(missing.status).toBe(400);
    const unknown = await rpc(
      url(),
      { jsonrpc: '2.0', id: 3, method: 'tools/list' },
      { ...a, 'mcp-session-id': 'nope' },
    );
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe(-32001);
    const mine = await rawSession(url(), a.authorization.slice(7));
    const bob = `Bearer ${await h.token(['mcp:tools:call'], { route, sub: 'bob' })}`;
    const stolen = await rpc(
      url(),
      { jsonrpc: '2.0', id: 4, method: 'tools/list' },
      { ...mine, authorization: bob },
    );
    expect(stolen.status).toBe(404);
  });

  it('405 with Allow for other methods', async () => {
    const r = await fetch(url(), { method: 'PUT', headers: await auth() });
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('GET, POST, DELETE');
    expect((await r.json()).error.code).toBe(-32000);
  });

  it('DELETE ends a session; the id is then unknown (404)', async () => {
    const s = await rawSession(url(), (await auth()).authorization.slice(7));
    const del = await fetch(url(), { method: 'DELETE', headers: s });
    expect(del.status).toBe(200);
    expect((await rpc(url(), { jsonrpc: '2.0', id: 9, method: 'tools/list' }, s)).status).toBe(404);
  });
});

describe('other paths', () => {
  it('404 with a JSON-RPC error for an unknown upstream or path', async () => {
    const r = await rpc(`${h.gw.url}/u/nope/mcp`, INIT);
    expect(r.status).toBe(404);
    expect(r.json.error).toMatchObject({ code: -32004, message: 'Unknown upstream: nope' });
    expect((await fetch(`${h.gw.url}/elsewhere`)).status).toBe(404);
  });

  it('serves /healthz and /readyz', async () => {
    expect(await (await fetch(`${h.gw.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${h.gw.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      ready: true,
      upstreams: [{ name: 'api', ready: true }],
    });
  });

  it('serves RFC 9728 metadata for every route with scopes from the tools', async () => {
    for (const route of ['/mcp', '/u/api/mcp']) {
      const m = await (
        await fetch(`${h.gw.url}/.well-known/oauth-protected-resource${route}`)
      ).json();
      expect(m.resource).toBe(`${h.gw.url}${route}`);
      expect(m.scopes_supported).toEqual(expect.arrayContaining(['mcp:tools:call', 'x:admin']));
      expect(m.authorization_servers).toEqual([h.issuer.issuer]);
    }
  });

  it('serves the merged and per-upstream capability manifests', async () => {
    const merged = await (await fetch(`${h.gw.url}/.well-known/mcp-capabilities`)).json();
    expect(merged).toMatchObject({
      server: { name: 'mcp-warden' },
      transport: 'streamable_http',
      url: `${h.gw.url}/mcp`,
    });
    expect(merged.tools).toContainEqual(
      expect.objectContaining({ name: 'api.delete_all', scope: 'x:admin', destructive: true }),
    );
    expect(merged.tools).toContainEqual(
      expect.objectContaining({
        name: 'api.echo',
        scope: 'mcp:tools:call',
        destructive: false,
        input_schema: expect.any(Object),
      }),
    );
    expect(merged.upstreams).toEqual([
      expect.objectContaining({
        name: 'api',
        transport: 'streamable_http',
        url: `${h.gw.url}/u/api/mcp`,
      }),
    ]);
    const one = await (await fetch(`${h.gw.url}/u/api/.well-known/mcp-capabilities`)).json();
    expect(one.url).toBe(`${h.gw.url}/u/api/mcp`);
    expect(one.tools.map((t: { name: string }) => t.name)).toContain('echo');
  });
});

describe('unreachable HTTP upstream', () => {
  it('answers 502 with a JSON-RPC error on the drop-in route, and other upstreams still work', async () => {
    const dead = await startSdkUpstream({ json: true });
    const live = await startSdkUpstream({ json: true });
    const g = await startHarness({
      upstreams: [
        { name: 'dead', url: dead.url },
        { name: 'live', url: live.url },
      ],
    });
    try {
      await dead.close();
      const r = await rpc(`${g.gw.url}/u/dead/mcp`, INIT, {
        authorization: `Bearer ${await g.token(['mcp:tools:call'], { route: '/u/dead/mcp' })}`,
      });
      expect(r.status).toBe(502);
      expect(r.json.error.code).toBe(-32010);
      const c = await g.client('/mcp', await g.token(['mcp:tools:call']));
      expect((await c.callTool({ name: 'live.echo', arguments: { text: 'ok' } })).content).toEqual([
        { type: 'text', text: 'ok' },
      ]);
      await expect(c.callTool({ name: 'dead.echo', arguments: {} })).rejects.toThrow(/-32010/);
      await c.close();
    } finally {
      await g.close();
      await live.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('drains an in-flight call before closing', async () => {
    const slowUp = await startSdkUpstream({ json: false });
    const g = await startHarness({ upstreams: [{ name: 's', url: slowUp.url }] });
    try {
      const c = await g.client('/mcp', await g.token(['mcp:tools:call']));
      const call = c.callTool({ name: 's.slow', arguments: { steps: 5, ms: 100 } });
      await new Promise((r) => setTimeout(r, 150));
      const closing = g.gw.close();
      expect((await call).content).toEqual([{ type: 'text', text: 'slow done 5' }]);
      await closing;
      await expect(fetch(`${g.gw.url}/healthz`)).rejects.toThrow();
    } finally {
      await slowUp.close();
    }
  });
});

describe('per-upstream timeout', () => {
  it('answers 504 -32011 on the drop-in route and -32011 on /mcp', async () => {
    const slowUp = await startSdkUpstream({ json: true });
    const g = await startHarness({ upstreams: [{ name: 's', url: slowUp.url, timeout_ms: 300 }] });
    try {
      const route = '/u/s/mcp';
      const s = await rawSession(
        `${g.gw.url}${route}`,
        await g.token(['mcp:tools:call'], { route }),
      );
      const call = {
        jsonrpc: '2.0',
        id: 3,
        method: 'tools/call',
        params: { name: 'slow', arguments: { steps: 1, ms: 1500 } },
      };
      const r = await rpc(`${g.gw.url}${route}`, call, s);
      expect(r.status).toBe(504);
      expect(r.json).toMatchObject({ id: 3, error: { code: -32011 } });
      const c = await g.client('/mcp', await g.token(['mcp:tools:call']));
      await expect(
        c.callTool({ name: 's.slow', arguments: { steps: 1, ms: 1500 } }),
      ).rejects.toThrow(/-32011/);
      await c.close();
    } finally {
      await g.close();
      await slowUp.close();
    }
  });
});

describe.each(['/mcp', '/u/api/mcp'])('JSON-RPC batches via %s', (route) => {
  const url = () => `${h.gw.url}${route}`;
  const name = (t: string) => (route === '/mcp' ? `api.${t}` : t);
  const list = (id: number) => ({ jsonrpc: '2.0', id, method: 'tools/list' });
  const call = (id: number, t: string) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: { name: name(t), arguments: { text: 'b' } },
  });

  it('are refused for 2025-06-18 clients (400 -32600)', async () => {
    const s = await rawSession(url(), await h.token(['mcp:tools:call'], { route }));
    const r = await rpc(url(), [list(1), list(2)], s);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(-32600);
  });

  it('are served for 2025-03-26 clients, authorized and filtered per request', async () => {
    const s = await rawSession(url(), await h.token(['mcp:tools:call'], { route }), '2025-03-26');
    const r = await rpc(url(), [list(1), call(2, 'echo')], s);
    expect(r.status).toBe(200);
    const answers = r.text.startsWith('[')
      ? r.json
      : r.text
          .split('\n')
          .filter((l) => l.startsWith('data: {') || l.startsWith('data: ['))
          .flatMap((l) => JSON.parse(l.slice(6)));
    const byId = new Map(
      (Array.isArray(answers) ? answers : [answers]).map((a: { id: number }) => [a.id, a]),
    );
    const tools = (
      byId.get(1) as unknown as { result: { tools: Array<{ name: string }> } }
    ).result.tools.map((t) => t.name);
    expect(tools).toContain(name('echo'));
    expect(tools).not.toContain(name('delete_all'));
    expect(byId.get(2)).toMatchObject({ result: { content: [{ type: 'text', text: 'b' }] } });
  });

  it('are refused whole when one call is denied (403 step-up)', async () => {
    const s = await rawSession(url(), await h.token(['mcp:tools:call'], { route }), '2025-03-26');
    const r = await rpc(url(), [call(1, 'echo'), call(2, 'delete_all')], s);
    expect(r.status).toBe(403);
    expect(r.headers.get('www-authenticate')).toContain('insufficient_scope');
    expect(r.json).toEqual([
      expect.objectContaining({ id: 1, error: expect.objectContaining({ code: -32003 }) }),
      expect.objectContaining({
        id: 2,
        error: expect.objectContaining({
          code: -32003,
          data: { reasons: ['missing scope: x:admin'] },
        }),
      }),
    ]);
  });
});
