// What upstreams receive: headers that claim who the client is (set by an authenticating proxy,
// a browser, or naming hops) never reach an upstream unless that upstream allow-lists them
// (`upstreams[].forward_headers`), and the client's Authorization never does. Manifest fetches
// carry the upstream's credentials and follow redirects within its origin only. Session ids are
// bound to their route. The lenient upstream records the headers of every message it executed.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSession, rpc, startHarness, type Harness } from '../gateway/harness.ts';
import { startLenientUpstream, type LenientUpstream } from '../fixtures/lenient-upstream.ts';

const V26 = '2026-07-28';
const IDENTITY: Record<string, string> = {
  'x-forwarded-user': 'admin',
  'x-forwarded-email': 'admin@example.com',
  'x-forwarded-for': '10.0.0.1',
  'x-forwarded-host': 'evil.example',
  'x-remote-user': 'admin',
  'x-auth-request-user': 'admin',
  'x-auth-request-email': 'admin@example.com',
  'x-real-ip': '10.0.0.1',
  cookie: 'session=admin',
  'proxy-authorization': 'Basic YWRtaW46YWRtaW4=',
  forwarded: 'for=10.0.0.1;by=evil',
};
const KEY = 'upstream-headers-test-key-0123456789abcdef';

/** A loopback HTTP server that records each request and answers with `answer`. */
async function recorder(
  answer: (
    req: IncomingMessage,
    base: string,
  ) => { status: number; headers?: object; body?: string },
) {
  const seen: Array<{ path: string; headers: IncomingMessage['headers'] }> = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    const a = answer(req, base);
    res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
    res.end(a.body ?? '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, seen, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function identityIn(headers: IncomingMessage['headers']): string[] {
  return Object.keys(headers).filter((k) => k in IDENTITY || k === 'authorization');
}

describe('client identity headers', () => {
  let h: Harness;
  let plain: LenientUpstream;
  let trusting: LenientUpstream;
  beforeAll(async () => {
    plain = await startLenientUpstream({ modern: true });
    trusting = await startLenientUpstream();
    h = await startHarness({
      upstreams: [
        { name: 'plain', url: plain.url },
        { name: 'trusting', url: trusting.url, forward_headers: ['x-forwarded-user', 'cookie'] },
      ],
    });
  });
  afterAll(async () => {
    await h?.close();
    await plain?.close();
    await trusting?.close();
  });

  /** initialize (http-proxy), tools/list and tools/call (the undici pool), a notification. */
  async function exercise(route: string, tool: string) {
    const url = `${h.gw.url}${route}`;
    const token = await h.token(['mcp:tools:call'], { route });
    const s = await rawSession(url, token);
    const headers = { ...s, ...IDENTITY };
    expect((await rpc(url, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, headers)).status).toBe(
      200,
    );
    const call = { name: tool, arguments: { q: 'x' } };
    const r = await rpc(
      url,
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: call },
      headers,
    );
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.json)).toContain('executed read_notes');
    await rpc(url, { jsonrpc: '2.0', method: 'notifications/cancelled', params: {} }, headers);
    // The same identity headers on the initialize itself.
    await rpc(
      url,
      {
        jsonrpc: '2.0',
        id: 9,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'x', version: '1' },
        },
      },
      { authorization: `Bearer ${token}`, ...IDENTITY },
    );
  }

  it('drop-in: none reaches the upstream, nor the client token', async () => {
    plain.reset();
    await exercise('/u/plain/mcp', 'read_notes');
    expect(plain.executed.map((e) => e.method)).toEqual(
      expect.arrayContaining(['initialize', 'tools/list', 'tools/call', 'notifications/cancelled']),
    );
    for (const e of plain.executed)
      expect({ m: e.method, h: identityIn(e.headers) }).toEqual({ m: e.method, h: [] });
  });

  it.each([
    ['/u/plain/mcp', 'read_notes'],
    ['/mcp', 'plain.read_notes'],
  ])('2026-07-28 via %s: none reaches the upstream', async (route, tool) => {
    plain.reset();
    const token = await h.token(['mcp:tools:call'], { route });
    const _meta = {
      'io.modelcontextprotocol/protocolVersion': V26,
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const r = await rpc(
      `${h.gw.url}${route}`,
      { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: tool, arguments: {}, _meta } },
      {
        authorization: `Bearer ${token}`,
        'mcp-protocol-version': V26,
        'mcp-method': 'tools/call',
        'mcp-name': tool,
        ...IDENTITY,
      },
    );
    expect(r.status).toBe(200);
    expect(plain.calls()).toHaveLength(1);
    for (const e of plain.executed) expect(identityIn(e.headers)).toEqual([]);
  });

  it('drop-in: only the allow-listed ones reach an upstream that lists them', async () => {
    trusting.reset();
    await exercise('/u/trusting/mcp', 'read_notes');
    const call = trusting.calls()[0];
    expect(call.headers['x-forwarded-user']).toBe('admin');
    expect(call.headers.cookie).toBe('session=admin');
    for (const e of trusting.executed)
      expect(
        identityIn(e.headers).filter((k) => k !== 'x-forwarded-user' && k !== 'cookie'),
      ).toEqual([]);
  });

  it('/mcp: the upstream clients are the gateway’s own; no client header reaches an upstream', async () => {
    plain.reset();
    trusting.reset();
    await exercise('/mcp', 'plain.read_notes');
    expect(plain.calls()).toHaveLength(1);
    for (const e of [...plain.executed, ...trusting.executed])
      expect(identityIn(e.headers)).toEqual([]);
  });

  it('refuses forward_headers naming authorization, with the key path', async () => {
    await expect(
      startHarness({
        upstreams: [{ name: 'x', url: plain.url, forward_headers: ['authorization'] }],
      }),
    ).rejects.toMatchObject({ where: expect.stringContaining('upstreams[0].forward_headers[0]') });
  });
});

describe('manifest fetches and redirects', () => {
  it('never follow a redirect to another origin, and the credentials never reach it', async () => {
    const other = await recorder(() => ({ status: 200, body: '{"tools":{}}' }));
    const manifest = JSON.stringify({ tools: [{ name: 'read_notes', scope: 'notes:read' }] });
    const home = await recorder((req) => {
      if (req.url === '/away') return { status: 302, headers: { location: `${other.base}/steal` } };
      if (req.url === '/away-307')
        return { status: 307, headers: { location: `${other.base}/steal` } };
      if (req.url === '/mcp-elsewhere')
        return { status: 307, headers: { location: `${other.base}/mcp` } };
      if (req.url === '/here') return { status: 302, headers: { location: '/real' } };
      if (req.url === '/real') return { status: 200, body: manifest };
      return { status: 404 };
    });
    const a = await startLenientUpstream();
    const b = await startLenientUpstream();
    const c = await startLenientUpstream();
    const secret = { 'x-api-key': 'upstream-secret' };
    const h = await startHarness({
      upstreams: [
        { name: 'away', url: a.url, manifest_url: `${home.base}/away`, headers: secret },
        { name: 'away307', url: b.url, manifest_url: `${home.base}/away-307`, headers: secret },
        { name: 'here', url: c.url, manifest_url: `${home.base}/here`, headers: secret },
        // The MCP endpoint itself redirects away (discovery over the SDK client transport).
        { name: 'moved', url: `${home.base}/mcp-elsewhere`, headers: secret, timeout_ms: 1000 },
      ],
    });
    try {
      // Discovery runs at start; wait until each manifest URL was asked (bounded).
      for (
        let i = 0;
        i < 100 &&
        !['/away', '/away-307', '/real', '/mcp-elsewhere'].every((p) =>
          home.seen.some((s) => s.path === p),
        );
        i++
      )
        await new Promise((r) => setTimeout(r, 50));
      expect(home.seen.find((s) => s.path === '/real')?.headers['x-api-key']).toBe(
        'upstream-secret',
      );
      expect(home.seen.some((s) => s.path === '/away')).toBe(true);
      expect(home.seen.some((s) => s.path === '/away-307')).toBe(true);
      expect(other.seen).toEqual([]);
      // The same-origin manifest applied: the tool needs its scope.
      const route = '/u/here/mcp';
      const url = `${h.gw.url}${route}`;
      const s = await rawSession(url, await h.token(['mcp:tools:call'], { route }));
      const r = await rpc(
        url,
        {
          jsonrpc: '2.0',
          id: 2,
          method: 'tools/call',
          params: { name: 'read_notes', arguments: {} },
        },
        s,
      );
      expect(r.status).toBe(403);
      expect(r.headers.get('www-authenticate')).toContain('notes:read');
    } finally {
      await h.close();
      for (const x of [a, b, c, home, other]) await x.close();
    }
  });
});

describe('session ids are bound to their route', () => {
  it.each([
    ['in-memory sessions', {}],
    ['sealed sessions', { sessions: { keys: [KEY] } }],
  ])('%s: a /mcp id is 404 on /u/<name>/mcp and the other way round', async (_label, extra) => {
    const up = await startLenientUpstream();
    const h = await startHarness({ ...extra, upstreams: [{ name: 'notes', url: up.url }] });
    try {
      const agg = `${h.gw.url}/mcp`;
      const drop = `${h.gw.url}/u/notes/mcp`;
      const onAgg = await rawSession(agg, await h.token(['mcp:tools:call'], { route: '/mcp' }));
      const onDrop = await rawSession(
        drop,
        await h.token(['mcp:tools:call'], { route: '/u/notes/mcp' }),
      );
      const list = { jsonrpc: '2.0', id: 5, method: 'tools/list' };
      expect((await rpc(agg, list, onAgg)).status).toBe(200);
      expect((await rpc(drop, list, onDrop)).status).toBe(200);
      up.reset();
      const crossToDrop = await rpc(drop, list, {
        ...onDrop,
        'mcp-session-id': onAgg['mcp-session-id'],
      });
      expect(crossToDrop.status).toBe(404);
      const crossToAgg = await rpc(agg, list, {
        ...onAgg,
        'mcp-session-id': onDrop['mcp-session-id'],
      });
      expect(crossToAgg.status).toBe(404);
      expect(up.executed).toEqual([]);
    } finally {
      await h.close();
      await up.close();
    }
  });
});
