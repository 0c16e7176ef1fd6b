#!/usr/bin/env node
// Demo upstream "db": a read-only query tool over a tiny in-memory table, served over stdio.
// The gateway gives it the scope `postgres:query:readonly` (warden.yaml `default_scope`); the
// tool's own annotations say it is read-only, so it is not destructive.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

const TABLES = {
  customers: [
    { id: 1, name: 'Ada Lovelace', plan: 'pro' },
    { id: 2, name: 'Alan Turing', plan: 'free' },
    { id: 3, name: 'Grace Hopper', plan: 'enterprise' },
  ],
};

const QUERY = {
  name: 'query',
  title: 'Run a read-only SQL query',
  description: 'Runs `SELECT * FROM <table> [WHERE <column> = <value>]` on the demo database.',
  inputSchema: {
    type: 'object',
    properties: { sql: { type: 'string', description: 'A SELECT statement' } },
    required: ['sql'],
  },
  annotations: { readOnlyHint: true, openWorldHint: false },
};

/** Understands just enough SQL for the demo; anything else is a tool error, not a crash. */
function runQuery(sql) {
  const m = /^\s*select\s+\*\s+from\s+(\w+)(?:\s+where\s+(\w+)\s*=\s*'?([^']*?)'?)?\s*;?\s*$/i.exec(
    sql,
  );
  if (!m) throw new Error('only `SELECT * FROM <table> [WHERE <column> = <value>]` is supported');
  const rows = TABLES[m[1].toLowerCase()];
  if (!rows) throw new Error(`no such table: ${m[1]}`);
  return m[2] ? rows.filter((r) => String(r[m[2]]) === m[3]) : rows;
}

export function createDbServer() {
  const server = new Server({ name: 'demo-db', version: '0.1.0' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [QUERY] }));
  server.setRequestHandler(CallToolRequestSchema, (req) => {
    if (req.params.name !== 'query') throw new Error(`unknown tool ${req.params.name}`);
    try {
      const rows = runQuery(String(req.params.arguments?.sql ?? ''));
      return {
        content: [{ type: 'text', text: JSON.stringify(rows) }],
        structuredContent: { rows },
      };
    } catch (e) {
      return { content: [{ type: 'text', text: e.message }], isError: true };
    }
  });
  return server;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await createDbServer().connect(new StdioServerTransport());
}
