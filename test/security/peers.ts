// Peers of the security tests: one gateway in front of two upstreams that execute what they
// read — the lenient hand-written one (test/fixtures/lenient-upstream.ts: any charset, any id,
// batches, both eras) and a real SDK server behind the SDK's own `createMcpExpressApp()`
// (express.json(), which decodes whatever charset the Content-Type names) — so each test asserts
// on what really ran. The routes: the drop-in `/u/lenient/mcp` and `/u/sdk/mcp`, and the
// aggregated `/mcp`; the eras: a 2025 session and stateless 2026-07-28 (README "Protocol
// revisions").

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { createMcpExpressApp } from '@modelcontextprotocol/sdk/server/express.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import {
  LENIENT_TOOLS,
  startLenientUpstream,
  type LenientUpstream,
} from '../fixtures/lenient-upstream.ts';
import { afterAll, beforeAll, expect } from 'vitest';
import { rawSession, startHarness, type Harness } from '../gateway/harness.ts';

export const V26 = '2026-07-28';
/** The scope of every tool but the destructive ones. */
export const READ = ['mcp:tools:call'];
/** The scope the destructive tools need on top. */
export const WRITE_SCOPE = 'tickets:write';

/** A tool call the SDK upstream ran. */
export interface SdkCall {
  id: string | number;
  name: string;
  arguments: unknown;
}

export interface ExpressUpstream {
  url: string;
  calls: SdkCall[];
  close(): Promise<void>;
}

/** An SDK v1 Server with the lenient upstream's tools, on `createMcpExpressApp()` (2025 era). */
export async function startExpressUpstream(): Promise<ExpressUpstream> {
  const calls: SdkCall[] = [];
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const app = createMcpExpressApp();
  const server = () => {
    const s = new Server(
      { name: 'express-sdk', version: '1.0.0' },
      { capabilities: { tools: {} } },
    );
    s.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: LENIENT_TOOLS as never,
    }));
    s.setRequestHandler(CallToolRequestSchema, (req, extra) => {
      calls.push({ id: extra.requestId, name: req.params.name, arguments: req.params.arguments });
      return { content: [{ type: 'text', text: `executed ${req.params.name}` }] };
    });
    return s;
  };
  // No @types/express here: the handler gets node's request (with express.json()'s `body`)
  // and express's response.
  type Req = IncomingMessage & { body?: unknown };
  type Res = ServerResponse & { status(n: number): { json(v: unknown): void } };
  app.all('/mcp', async (req: Req, res: Res) => {
    const sid = req.headers['mcp-session-id'];
    let t = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (!t) {
      if (sid)
        return void res.status(404).json({
          jsonrpc: '2.0',
          id: null,
          error: { code: -32001, message: 'Session not found' },
        });
      const created = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: true,
        onsessioninitialized: (id) => void sessions.set(id, created),
      });
      await server().connect(created);
      t = created;
    }
    await t.handleRequest(req, res, req.body);
  });
  const http: HttpServer = await new Promise((ok) => {
    const s = app.listen(0, '127.0.0.1', () => ok(s));
  });
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    calls,
    async close() {
      await Promise.all([...sessions.values()].map((t) => t.close()));
      http.closeAllConnections();
      await new Promise((ok) => http.close(ok));
    },
  };
}

export interface Peers {
  h: Harness;
  lenient: LenientUpstream;
  sdk: ExpressUpstream;
  close(): Promise<void>;
}

const entry = (name: string, url: string) => ({
  name,
  url,
  default_scope: 'mcp:tools:call',
  tools: { create_ticket: { scope: WRITE_SCOPE }, delete_all: { scope: WRITE_SCOPE } },
});

export async function startPeers(extra: Record<string, unknown> = {}): Promise<Peers> {
  const lenient = await startLenientUpstream({ modern: true });
  const sdk = await startExpressUpstream();
  const h = await startHarness({
    upstreams: [entry('lenient', lenient.url), entry('sdk', sdk.url)],
    ...extra,
  });
  return {
    h,
    lenient,
    sdk,
    async close() {
      await h.close();
      await lenient.close();
      await sdk.close();
    },
  };
}

export type Era = '2025' | '2026';

/** A route under attack: where it is, and how it names and records the tools it calls. */
export interface Target {
  route: string;
  /** The upstream the attacked tools live on (for /mcp: `lenient.`-prefixed names). */
  upstream: 'lenient' | 'sdk';
  prefix: string;
}

export const TARGETS: Target[] = [
  { route: '/u/lenient/mcp', upstream: 'lenient', prefix: '' },
  { route: '/u/sdk/mcp', upstream: 'sdk', prefix: '' },
  { route: '/mcp', upstream: 'lenient', prefix: 'lenient.' },
  { route: '/mcp', upstream: 'sdk', prefix: 'sdk.' },
];

/** Each target in each era it can be reached in (the SDK upstream speaks 2025 only, so the
 * drop-in route to it refuses 2026-07-28 requests: that pairing is no attack surface). */
export const CELLS: Array<[string, Target, Era]> = TARGETS.flatMap((t) =>
  (['2025', '2026'] as const)
    .filter((e) => !(e === '2026' && t.route === '/u/sdk/mcp'))
    .map((e): [string, Target, Era] => [`${t.route} (${t.upstream}) ${e}`, t, e]),
);

/** What the upstream of a target ran, as tool names. */
export function ran(p: Peers, t: Target): string[] {
  return t.upstream === 'lenient'
    ? p.lenient.calls().map((c) => c.name!)
    : p.sdk.calls.map((c) => c.name);
}

/** A message as sent in an era: a 2026-07-28 one carries the per-request `_meta` envelope. */
export function inEra(era: Era, msg: Record<string, unknown>): Record<string, unknown> {
  if (era === '2025') return msg;
  const params = (msg.params ?? {}) as Record<string, unknown>;
  return {
    ...msg,
    params: {
      ...params,
      _meta: {
        'io.modelcontextprotocol/protocolVersion': V26,
        'io.modelcontextprotocol/clientCapabilities': {},
      },
    },
  };
}

/** Headers of a request of `msg` (as the gateway will read it) in an era, on a session. */
export async function headersFor(
  p: Peers,
  t: Target,
  era: Era,
  token: string,
  msg: Record<string, unknown>,
  sessions: Map<string, Record<string, string>>,
  version = '2025-06-18',
): Promise<Record<string, string>> {
  const base = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
  };
  if (era === '2026') {
    const h: Record<string, string> = {
      ...base,
      authorization: `Bearer ${token}`,
      'mcp-protocol-version': V26,
    };
    if (typeof msg.method === 'string') h['mcp-method'] = msg.method;
    const params = (msg.params ?? {}) as Record<string, unknown>;
    const name = params.name ?? params.uri;
    if (typeof name === 'string') h['mcp-name'] = name;
    return h;
  }
  const key = `${t.route} ${token} ${version}`;
  let s = sessions.get(key);
  if (!s) sessions.set(key, (s = await rawSession(`${p.h.gw.url}${t.route}`, token, version)));
  return { ...base, ...s };
}

/** A raw POST of exact bytes. */
export async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<{ status: number; text: string; json: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : new Uint8Array(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const data = /^data: (.*)$/m.exec(text);
    json = data ? JSON.parse(data[1]) : undefined;
  }
  return { status: res.status, text, json };
}

/** The audit records written so far, waiting (bounded) until `pred` holds for one of them. */
export async function auditWhere(
  h: Harness,
  pred: (r: Record<string, unknown>) => boolean,
): Promise<Array<Record<string, unknown>>> {
  for (let i = 0; i < 100; i++) {
    const hit = h.audit().filter(pred);
    if (hit.length > 0) return hit;
    await new Promise((r) => setTimeout(r, 20));
  }
  return [];
}

export const call = (id: unknown, name: string, args: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  ...(id === undefined ? {} : { id }),
  method: 'tools/call',
  params: { name, arguments: args },
});

/** A test file's peers, with a read-only token per route. Started before the file's tests;
 *  after them, the check each attack file ends on: a read-only token never ran a destructive
 *  tool on either upstream, whatever was tried. */
export interface ReadOnlyPeers {
  /** The peers (set once the file's beforeAll ran). */
  readonly p: Peers;
  /** Posts `body` (text or bytes) as the message `msg` — the message as the gateway will read
   *  it, for the session and era headers — on `t`'s route, with a read-only token. */
  send(
    t: Target,
    era: Era,
    msg: Record<string, unknown>,
    body: string | Buffer,
    opts?: { headers?: Record<string, string>; version?: string },
  ): ReturnType<typeof post>;
}

export function useReadOnlyPeers(): ReadOnlyPeers {
  let peers: Peers | undefined;
  const sessions = new Map<string, Record<string, string>>();
  const tokens = new Map<string, string>();
  beforeAll(async () => {
    peers = await startPeers();
  });
  afterAll(async () => {
    expect(peers!.lenient.calls().map((c) => c.name)).not.toContain('create_ticket');
    expect(peers!.sdk.calls.map((c) => c.name)).not.toContain('create_ticket');
    await peers?.close();
  });
  return {
    get p() {
      return peers!;
    },
    async send(t, era, msg, body, opts = {}) {
      let token = tokens.get(t.route);
      if (!token) tokens.set(t.route, (token = await peers!.h.token(READ, { route: t.route })));
      const h = await headersFor(peers!, t, era, token, msg, sessions, opts.version);
      return post(`${peers!.h.gw.url}${t.route}`, body, { ...h, ...opts.headers });
    },
  };
}
