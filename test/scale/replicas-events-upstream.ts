// A Streamable HTTP upstream that keeps an event store, so its
// GET stream can be resumed with Last-Event-ID (MCP 2025-11-25 "Resumability and Redelivery"),
// and that can push a log message to every session's GET stream on demand.

import { createServer, type IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export interface EventsUpstream {
  url: string;
  /** GET streams open right now. */
  readonly open: number;
  /** Last-Event-ID headers of the GETs received. */
  lastEventIds: Array<string | undefined>;
  /** Sends a log message to every session (on its GET stream, or into the event store). */
  notify(text: string): Promise<void>;
  close(): Promise<void>;
}

/** Events in order, with their stream. (The SDK's example InMemoryEventStore derives the stream
 *  from the id's first `_`-separated part, which is empty for the GET stream `_GET_stream`, so
 *  it cannot replay that stream.) */
function eventStore(): EventStore {
  const events: Array<{ id: string; stream: string; message: JSONRPCMessage }> = [];
  let n = 0;
  return {
    async storeEvent(stream, message) {
      const id = `e${++n}`;
      events.push({ id, stream, message });
      return id;
    },
    async replayEventsAfter(last, { send }) {
      const i = events.findIndex((e) => e.id === last);
      if (i < 0) return '';
      const stream = events[i].stream;
      for (const e of events.slice(i + 1)) if (e.stream === stream) await send(e.id, e.message);
      return stream;
    },
  };
}

export async function startEventsUpstream(): Promise<EventsUpstream> {
  const sessions = new Map<string, { t: StreamableHTTPServerTransport; s: Server }>();
  const lastEventIds: Array<string | undefined> = [];
  let open = 0;
  const http = createServer(async (req: IncomingMessage, res) => {
    const sid = req.headers['mcp-session-id'];
    let entry = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (req.method === 'GET') {
      lastEventIds.push(req.headers['last-event-id'] as string | undefined);
      open++;
      res.on('close', () => open--);
    }
    if (!entry) {
      if (sid) return void res.writeHead(404).end();
      const s = new Server(
        { name: 'events', version: '1' },
        { capabilities: { tools: {}, logging: {} } },
      );
      s.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [] }));
      const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        eventStore: eventStore(),
        onsessioninitialized: (id) => void sessions.set(id, { t, s }),
      });
      await s.connect(t);
      entry = { t, s };
    }
    await entry.t.handleRequest(req, res);
  });
  await new Promise<void>((ok) => http.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`,
    get open() {
      return open;
    },
    lastEventIds,
    async notify(text) {
      await Promise.all(
        [...sessions.values()].map(({ s }) =>
          s.sendLoggingMessage({ level: 'info', data: text }).catch(() => undefined),
        ),
      );
    },
    async close() {
      http.closeAllConnections();
      await new Promise<void>((ok) => http.close(() => ok()));
    },
  };
}
