// Real peers for the registry tests: an SDK Server over Streamable HTTP on 127.0.0.1 whose tool
// list (raw JSON, so it can be invalid) changes at run time, with or without
// notifications/tools/list_changed, and optionally a /.well-known/mcp-capabilities manifest
// served with an ETag (counting conditional hits). It can stop and start again on its port.

import { randomUUID } from 'node:crypto';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { buildConfig } from '../../src/config/index.ts';
import { Upstream } from '../../src/upstream/upstream.ts';

export type RawTool = Record<string, unknown>;

export interface MutableUpstream {
  url: string;
  port: number;
  tools: RawTool[];
  listCalls: number;
  manifestHits: { total: number; notModified: number };
  /** Replaces the tool list; `notify` sends list_changed to every open session. */
  setTools(tools: RawTool[], notify: boolean): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as AddressInfo).port;
  await new Promise((ok) => s.close(ok));
  return port;
}

export async function startMutable(
  tools: RawTool[],
  opts: { port?: number; etag?: boolean; listen?: boolean } = {},
): Promise<MutableUpstream> {
  const servers = new Set<Server>();
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  let http: HttpServer | undefined;
  let version = 1;
  const api: MutableUpstream = {
    url: '',
    port: opts.port ?? 0,
    tools,
    listCalls: 0,
    manifestHits: { total: 0, notModified: 0 },
    async setTools(next, notify) {
      api.tools = next;
      version++;
      if (notify)
        await Promise.all([...servers].map((s) => s.sendToolListChanged().catch(() => {})));
    },
    async start() {
      http = createServer(async (req, res) => {
        if (req.url === '/.well-known/mcp-capabilities') {
          if (!opts.etag) return void res.writeHead(404).end();
          api.manifestHits.total++;
          const etag = `"v${version}"`;
          if (req.headers['if-none-match'] === etag) {
            api.manifestHits.notModified++;
            return void res.writeHead(304, { etag }).end();
          }
          res.writeHead(200, { 'content-type': 'application/json', etag });
          return void res.end(JSON.stringify({ tools: api.tools.map((t) => ({ name: t.name })) }));
        }
        const sid = req.headers['mcp-session-id'];
        let transport = typeof sid === 'string' ? sessions.get(sid) : undefined;
        if (!transport) {
          if (typeof sid === 'string') return void res.writeHead(404).end();
          const server = new Server(
            { name: 'mutable', version: '2.1.0' },
            { capabilities: { tools: { listChanged: true } } },
          );
          server.setRequestHandler(ListToolsRequestSchema, () => {
            api.listCalls++;
            return { tools: api.tools } as never;
          });
          server.setRequestHandler(CallToolRequestSchema, (r) => ({
            content: [{ type: 'text', text: `called ${r.params.name}` }],
          }));
          const t = new StreamableHTTPServerTransport({
            sessionIdGenerator: () => randomUUID(),
            enableJsonResponse: true,
            onsessioninitialized: (id) => void sessions.set(id, t),
          });
          t.onclose = () => {
            if (t.sessionId) sessions.delete(t.sessionId);
            servers.delete(server);
          };
          servers.add(server);
          await server.connect(t);
          transport = t;
        }
        await transport.handleRequest(req, res);
      });
      await new Promise<void>((ok) => http!.listen(api.port, '127.0.0.1', ok));
      api.port = (http.address() as AddressInfo).port;
      api.url = `http://127.0.0.1:${api.port}/mcp`;
    },
    async stop() {
      await Promise.all([...servers].map((s) => s.close().catch(() => {})));
      servers.clear();
      sessions.clear();
      http?.closeAllConnections();
      await new Promise((ok) => http?.close(ok));
    },
  };
  if (opts.listen !== false) await api.start();
  else api.url = `http://127.0.0.1:${api.port}/mcp`;
  return api;
}

export const quiet = pino({ level: 'silent' });

export function httpUpstream(name: string, url: string, extra: Record<string, unknown> = {}) {
  const cfg = buildConfig({ upstreams: [{ name, url, timeout_ms: 3000, ...extra }] }, 'test')
    .upstreams[0];
  return new Upstream(cfg, quiet, { headers: () => ({}) });
}

export function stdioUpstream(name: string, command: string, args: string[]) {
  const cfg = buildConfig({ upstreams: [{ name, command, args }] }, 'test').upstreams[0];
  return new Upstream(cfg, quiet, { headers: () => ({}) });
}

/** Polls a condition (no timing assertion: only a bound on how long to wait for it). */
export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const tool = (name: string, extra: RawTool = {}): RawTool => ({
  name,
  description: `${name} tool`,
  inputSchema: {
    type: 'object',
    properties: { text: { type: 'string' }, count: { type: 'integer', minimum: 0 } },
    required: ['text'],
  },
  annotations: { readOnlyHint: true },
  ...extra,
});
