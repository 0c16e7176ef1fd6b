// The 2026-07-28 conformance fixture upstream: an SDK v2 server (createMcpHandler) serving
// every tool, resource and prompt the 2026-07-28 server requirements of
// @modelcontextprotocol/conformance 0.2.0-alpha.12 call, including the multi-round-trip
// (input_required) tools with HMAC-sealed requestState, and the tasks extension (SEP-2663) the
// tasks-* scenarios exercise. It is the `direct` baseline of
// `npm run conformance -- --spec 2026-07-28` and the upstream `fixture26` of the gateway targets.
//
//   legacy: 'reject'    modern-only: a 2025-era request is answered with the
//                       unsupported-protocol-version error (the default)
//   legacy: 'fallback'  dual-era: 2025-era requests are served statelessly by the same tools
//
//   npx tsx test/conformance/fixture26-server.ts [--port N] [--host H] [--legacy reject|fallback]
//   → listening on http://127.0.0.1:PORT/mcp

import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createMcpHandler } from '@modelcontextprotocol/server';
import { toNodeHandler } from '@modelcontextprotocol/node';
import { hostAllowed, listenFixture, reply } from './fixture/http-guard.ts';
import { createStateCodec } from './fixture26/mrtr.ts';
import { FIXTURE26_INFO, createFixture26Server } from './fixture26/server.ts';
import { withTaskCalls } from './fixture26/task-calls.ts';
import { TaskStore } from './fixture26/tasks.ts';

export type Fixture26Legacy = 'reject' | 'fallback';

export interface Fixture26Options {
  port?: number;
  host?: string;
  /** How 2025-era requests are answered; default 'reject' (modern-only). */
  legacy?: Fixture26Legacy;
  /** HMAC key for requestState (≥ 32 bytes); default a random key per server. */
  stateKey?: Uint8Array;
}

export interface Fixture26Server {
  /** The MCP endpoint, e.g. http://127.0.0.1:40123/mcp */
  url: string;
  legacy: Fixture26Legacy;
  close(): Promise<void>;
}

// The SDK's handler is deliberately validation-free: Host/Origin are checked in front of it.

export async function startFixture26Server(opts: Fixture26Options = {}): Promise<Fixture26Server> {
  const host = opts.host ?? '127.0.0.1';
  const legacy = opts.legacy ?? 'reject';
  const codec = createStateCodec(opts.stateKey);
  const tasks = new TaskStore();
  // The factory runs once per request; `notify` is read only when a trigger tool runs, after
  // the handler exists.
  const mcp = createMcpHandler(() => createFixture26Server({ codec, notify: mcp.notify, tasks }), {
    legacy: legacy === 'fallback' ? 'stateless' : 'reject',
    onerror: () => {}, // rejections are answered on the wire; nothing else to report
  });
  // Task-creating tools/call is answered in front of the SDK (task-calls.ts says why).
  const serve = toNodeHandler(withTaskCalls(mcp, tasks, FIXTURE26_INFO));

  const server = await listenFixture(
    (req, res) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== '/mcp')
        return reply(res, 404, -32601, 'Not Found: the MCP endpoint is /mcp');
      if (!hostAllowed(req))
        return reply(res, 403, -32000, 'Forbidden: Host or Origin not allowed');
      return serve(req, res);
    },
    host,
    opts.port,
  );

  return {
    url: server.url,
    legacy,
    async close() {
      tasks.close();
      await mcp.close();
      await server.close();
    },
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string' },
      legacy: { type: 'string', default: 'reject' },
    },
  });
  if (!/^\d+$/.test(values.port) || Number(values.port) > 65535) {
    process.stderr.write(`fixture26-server: invalid --port ${JSON.stringify(values.port)}\n`);
    process.exit(2);
  }
  if (values.legacy !== 'reject' && values.legacy !== 'fallback') {
    process.stderr.write(`fixture26-server: --legacy must be reject or fallback\n`);
    process.exit(2);
  }
  const server = await startFixture26Server({
    port: Number(values.port),
    host: values.host,
    legacy: values.legacy,
  });
  process.stdout.write(`listening on ${server.url}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`fixture26-server: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
