// The /registry HTTP surface served by `registry.handle` on a real HTTP server, its responses
// checked against the official MCP Registry shapes (server-list.schema.json, a cited subset).

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistry, type Registry } from '../../src/registry/index.ts';
import type { Upstream } from '../../src/upstream/upstream.ts';
import { httpUpstream, quiet, startMutable, tool, type MutableUpstream } from './fixtures.ts';

const schemaDoc = JSON.parse(
  readFileSync(new URL('./server-list.schema.json', import.meta.url), 'utf8'),
);
const ajv = new Ajv2020({ strict: false });
ajv.addSchema(schemaDoc, 'reg');
const validList = ajv.getSchema('reg#/$defs/ServerList')!;
const validOne = ajv.getSchema('reg#/$defs/ServerResponse')!;

let peers: MutableUpstream[] = [];
let ups: Upstream[] = [];
let r: Registry;
let http: Server;
let base: string;

const get = async (path: string) => {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

beforeAll(async () => {
  const names = ['alpha', 'beta', 'gamma'];
  peers = await Promise.all([
    startMutable([
      tool('create_ticket', {
        title: 'Create ticket',
        description: 'Opens a new ticket in the tracker',
        annotations: {},
      }),
      tool('list_tickets', {
        description: 'Lists open tickets',
        annotations: { readOnlyHint: true },
      }),
    ]),
    startMutable([tool('query', { description: 'Runs a read-only SQL query against tickets db' })]),
    startMutable([tool('ping', { description: 'Checks liveness' })]),
  ]);
  ups = names.map((n, i) =>
    httpUpstream(
      n,
      peers[i].url,
      n === 'alpha' ? { tools: { create_ticket: { scope: 'jira:write' } } } : {},
    ),
  );
  await Promise.all(ups.map((u) => u.start()));
  r = createRegistry({
    upstreams: ups,
    log: quiet,
    publicUrl: 'https://gw.example.com',
    refreshIntervalMs: 0,
  });
  http = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    void r.handle(req, res, path).then((handled) => {
      if (!handled) res.writeHead(418).end('{}');
    });
  });
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  r.close();
  await new Promise((ok) => http.close(ok));
  await Promise.all(ups.map((u) => u.close()));
  await Promise.all(peers.map((p) => p.stop()));
});

describe('/registry/v0.1/servers', () => {
  it('lists every upstream as server.json with remotes at the gateway', async () => {
    const { status, body } = await get('/registry/v0.1/servers');
    expect(status).toBe(200);
    expect(validList(body), JSON.stringify(validList.errors)).toBe(true);
    expect(body.servers.map((s: any) => s.server.name)).toEqual([
      'com.example.gw/alpha',
      'com.example.gw/beta',
      'com.example.gw/gamma',
    ]);
    expect(body.servers[0].server.remotes).toEqual([
      { type: 'streamable-http', url: 'https://gw.example.com/u/alpha/mcp' },
    ]);
    expect(body.servers[0].server.version).toBe('2.1.0');
    const meta = body.servers[0]._meta['io.github.mcp-warden/registry'];
    expect(meta.health).toBe('healthy');
    expect(meta.tools.map((t: any) => t.name)).toEqual(['create_ticket', 'list_tickets']);
    expect(body.metadata).toEqual({ count: 3 });
  });

  it('pages with limit and cursor, filters by search and updated_since', async () => {
    const p1 = await get('/registry/v0.1/servers?limit=2');
    expect(validList(p1.body)).toBe(true);
    expect(p1.body.servers).toHaveLength(2);
    expect(p1.body.metadata.nextCursor).toEqual(expect.any(String));
    const p2 = await get(`/registry/v0.1/servers?limit=2&cursor=${p1.body.metadata.nextCursor}`);
    expect(p2.body.servers.map((s: any) => s.server.name)).toEqual(['com.example.gw/gamma']);
    expect(p2.body.metadata.nextCursor).toBeUndefined();
    const s = await get('/registry/v0.1/servers?search=BET');
    expect(s.body.servers.map((x: any) => x.server.name)).toEqual(['com.example.gw/beta']);
    const future = await get('/registry/v0.1/servers?updated_since=2999-01-01T00:00:00Z');
    expect(future.body.servers).toEqual([]);
    const past = await get('/registry/v0.1/servers?updated_since=2000-01-01T00:00:00Z');
    expect(past.body.servers).toHaveLength(3);
    expect((await get('/registry/v0.1/servers?limit=0')).status).toBe(400);
    expect((await get('/registry/v0.1/servers?cursor=%%%')).status).toBe(400);
    expect((await get('/registry/v0.1/servers?updated_since=yesterday')).status).toBe(400);
  });

  it('serves one server by name, and its latest version', async () => {
    const one = await get('/registry/v0.1/servers/com.example.gw%2Fbeta');
    expect(one.status).toBe(200);
    expect(validOne(one.body), JSON.stringify(validOne.errors)).toBe(true);
    expect(one.body.server.name).toBe('com.example.gw/beta');
    const latest = await get('/registry/v0.1/servers/com.example.gw%2Fbeta/versions/latest');
    expect(latest.body).toEqual(one.body);
    const versions = await get('/registry/v0.1/servers/com.example.gw%2Fbeta/versions');
    expect(validList(versions.body)).toBe(true);
    expect((await get('/registry/v0.1/servers/com.example.gw%2Fnope')).status).toBe(404);
  });

  it('answers non-registry paths with false and other methods with 405', async () => {
    expect((await fetch(`${base}/elsewhere`)).status).toBe(418);
    expect((await fetch(`${base}/registry/tools`, { method: 'POST' })).status).toBe(405);
  });
});

describe('/registry/tools', () => {
  it('ranks hits across upstreams by name, title and description, with scope and destructive', async () => {
    const { body } = await get('/registry/tools?q=ticket');
    const names = body.tools.map((t: any) => t.name);
    expect(names.slice(0, 2).sort()).toEqual(['alpha.create_ticket', 'alpha.list_tickets']);
    expect(names).toContain('beta.query'); // description only: ranked last
    expect(names.at(-1)).toBe('beta.query');
    const create = body.tools.find((t: any) => t.name === 'alpha.create_ticket');
    expect(create).toMatchObject({ upstream: 'alpha', scope: 'jira:write', destructive: true });
    const list = body.tools.find((t: any) => t.name === 'alpha.list_tickets');
    expect(list.destructive).toBe(false);
    const exact = await get('/registry/tools?q=ping');
    expect(exact.body.tools[0]).toMatchObject({ name: 'gamma.ping', tool: 'ping' });
    const byTitle = await get('/registry/tools?q=create');
    expect(byTitle.body.tools[0].name).toBe('alpha.create_ticket');
  });
});
