// The conformance fixture upstream: an SDK (1.32) MCP server over Streamable HTTP with sessions,
// serving every tool, resource and prompt the active server scenarios of
// @modelcontextprotocol/conformance 0.1.16 call. It is the `direct` baseline of
// `npm run conformance` and the only upstream of the gateway in the `mcp` and `dropin` targets.
//
//   npx tsx test/conformance/fixture-server.ts [--port N] [--host H]
//   → listening on http://127.0.0.1:PORT/mcp

import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { hostAllowed, listenFixture, reply } from './fixture/http-guard.ts';
import { createFixtureSession, type FixtureSession } from './fixture/server.ts';

export interface FixtureServer {
  /** The MCP endpoint, e.g. http://127.0.0.1:40123/mcp */
  url: string;
  /** Sessions currently open. */
  sessionCount(): number;
  close(): Promise<void>;
}

const MAX_BODY = 4 * 1024 * 1024;

/** In-memory event store so POST streams get priming events and can be resumed (SEP-1699). */
function memoryEventStore(): EventStore {
  const events: { id: string; stream: string; message: JSONRPCMessage }[] = [];
  let seq = 0;
  return {
    async storeEvent(stream, message) {
      const id = `${stream}.${++seq}`;
      events.push({ id, stream, message });
      if (events.length > 10_000) events.shift();
      return id;
    },
    async replayEventsAfter(lastEventId, { send }) {
      const at = events.findIndex((e) => e.id === lastEventId);
      if (at < 0) throw new Error(`unknown event id ${lastEventId}`);
      const stream = events[at].stream;
      for (const e of events.slice(at + 1))
        if (e.stream === stream && Object.keys(e.message).length) await send(e.id, e.message);
      return stream;
    },
  };
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy(new Error('body too large'));
      else chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (e) {
        reject(e);
      }
    });
  });
}

export async function startFixtureServer(
  opts: { port?: number; host?: string } = {},
): Promise<FixtureServer> {
  const host = opts.host ?? '127.0.0.1';
  const sessions = new Map<string, { t: StreamableHTTPServerTransport; s: FixtureSession }>();
  const events = memoryEventStore();

  async function open(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const s = createFixtureSession();
    const t = new StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      eventStore: events,
      retryInterval: 500,
      onsessioninitialized: (id) => void sessions.set(id, { t, s }),
    });
    t.onclose = () => {
      if (t.sessionId) sessions.delete(t.sessionId);
    };
    await s.server.connect(t);
    await t.handleRequest(req, res, body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/mcp')
      return reply(res, 404, -32601, 'Not Found: the MCP endpoint is /mcp');
    if (!hostAllowed(req)) return reply(res, 403, -32000, 'Forbidden: Host or Origin not allowed');
    if (!['POST', 'GET', 'DELETE'].includes(req.method ?? '')) {
      res.setHeader('allow', 'GET, POST, DELETE');
      return reply(res, 405, -32000, 'Method Not Allowed');
    }
    const sid = req.headers['mcp-session-id'];
    let body: unknown;
    if (req.method === 'POST') {
      try {
        body = await readJson(req);
      } catch {
        return reply(res, 400, -32700, 'Parse error');
      }
      if (sid === undefined && isInitializeRequest(body)) return open(req, res, body);
    }
    // MCP 2025-11-25 "Streamable HTTP" §Session Management: a missing session id is 400, one
    // the server does not know (or has ended) is 404.
    if (typeof sid !== 'string') return reply(res, 400, -32000, 'Bad Request: no session id');
    const entry = sessions.get(sid);
    if (!entry) return reply(res, 404, -32001, 'Session not found');
    await entry.t.handleRequest(req, res, body);
  }

  const server = await listenFixture(handle, host, opts.port);

  return {
    url: server.url,
    sessionCount: () => sessions.size,
    async close() {
      await Promise.allSettled([...sessions.values()].map(({ t }) => t.close()));
      sessions.clear();
      await server.close();
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '0' }, host: { type: 'string' } },
  });
  if (!/^\d+$/.test(values.port) || Number(values.port) > 65535) {
    process.stderr.write(`fixture-server: invalid --port ${JSON.stringify(values.port)}\n`);
    process.exit(2);
  }
  const server = await startFixtureServer({ port: Number(values.port), host: values.host });
  process.stdout.write(`listening on ${server.url}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`fixture-server: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
