#!/usr/bin/env node
// Demo upstream "tickets": a destructive `create_ticket` tool (scope `jira:write` in the demo
// config) and a read-only `list_tickets`, served over Streamable HTTP. Run directly it listens
// on PORT (default 9001); `warden serve` without a config starts it in-process on a free port.
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const TOOLS = [
  {
    name: 'create_ticket',
    title: 'Create a ticket',
    description: 'Files a new ticket in the demo tracker.',
    inputSchema: {
      type: 'object',
      properties: { title: { type: 'string' }, body: { type: 'string' } },
      required: ['title'],
    },
    annotations: { destructiveHint: true, idempotentHint: false },
  },
  {
    name: 'list_tickets',
    title: 'List tickets',
    description: 'Lists the tickets filed so far.',
    inputSchema: { type: 'object', properties: {} },
    annotations: { readOnlyHint: true },
  },
];

function createTicketsMcp(tickets) {
  const server = new Server(
    { name: 'demo-tickets', version: '0.1.0' },
    { capabilities: { tools: {} } },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS }));
  server.setRequestHandler(CallToolRequestSchema, (req) => {
    const args = req.params.arguments ?? {};
    if (req.params.name === 'create_ticket') {
      const ticket = {
        id: `T-${tickets.length + 1}`,
        title: String(args.title),
        body: String(args.body ?? ''),
      };
      tickets.push(ticket);
      return {
        content: [{ type: 'text', text: `created ${ticket.id}` }],
        structuredContent: ticket,
      };
    }
    if (req.params.name === 'list_tickets')
      return {
        content: [{ type: 'text', text: JSON.stringify(tickets) }],
        structuredContent: { tickets },
      };
    throw new Error(`unknown tool ${req.params.name}`);
  });
  return server;
}

/** Starts the demo tickets upstream; resolves to its MCP URL. */
export async function startTicketsServer({ host = '127.0.0.1', port = 0 } = {}) {
  const tickets = [];
  const sessions = new Map();
  const http = createServer(async (req, res) => {
    if (!req.url?.startsWith('/mcp')) {
      res.writeHead(404).end();
      return;
    }
    const sid = req.headers['mcp-session-id'];
    let transport = typeof sid === 'string' ? sessions.get(sid) : undefined;
    if (!transport) {
      if (sid) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            jsonrpc: '2.0',
            id: null,
            error: { code: -32001, message: 'Session not found' },
          }),
        );
        return;
      }
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => sessions.set(id, transport),
      });
      transport.onclose = () => transport.sessionId && sessions.delete(transport.sessionId);
      await createTicketsMcp(tickets).connect(transport);
    }
    await transport.handleRequest(req, res);
  });
  await new Promise((ok) => http.listen(port, host, ok));
  const addr = http.address();
  return {
    url: `http://${host}:${addr.port}/mcp`,
    close: async () => {
      for (const t of sessions.values()) await t.close();
      http.closeAllConnections();
      await new Promise((ok) => http.close(() => ok()));
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { url } = await startTicketsServer({ port: Number(process.env.PORT ?? 9001) });
  console.log(`demo tickets upstream on ${url}`);
}
