// A route the gateway serves itself as an MCP server (/mcp, and /u/<stdio-upstream>/mcp):
// session bookkeeping per MCP 2025-11-25 "Session Management" — `initialize` without a session
// creates one, anything else needs a known `Mcp-Session-Id` (400 when missing, 404 when
// unknown or ended). Sessions are bound to the token's subject: another subject presenting the
// id gets 404, as if it did not exist (the spec: servers SHOULD bind session ids to the user).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Subject } from '../auth/index.ts';
import type { JsonRpcMessage } from '../transport/body.ts';
import { httpError } from '../transport/errors.ts';
import { McpSession } from './mcp-session.ts';
import type { RouteContext } from './route-context.ts';

export class ServedRoute {
  readonly sessions = new Map<string, McpSession>();
  private sweeper?: NodeJS.Timeout;

  constructor(
    readonly ctx: RouteContext,
    idleTimeoutS: number,
  ) {
    // Abandoned sessions (clients that never DELETE) would hold upstream connections forever.
    this.sweeper = setInterval(
      () => {
        const limit = Date.now() - idleTimeoutS * 1000;
        for (const s of this.sessions.values())
          if (s.lastSeen < limit && s.inflight.size === 0) void s.close();
      },
      Math.min(60_000, idleTimeoutS * 1000),
    );
    this.sweeper.unref();
  }

  /** Finds (or, for initialize, creates) the session a request belongs to. */
  sessionFor(req: IncomingMessage, msg: JsonRpcMessage | undefined, subject: Subject): McpSession {
    const sid = req.headers['mcp-session-id'];
    if (typeof sid !== 'string' || sid === '') {
      if (req.method === 'POST' && msg?.method === 'initialize')
        return new McpSession(
          this.ctx,
          subject,
          (s, id) => void this.sessions.set(id, s),
          (s) => void (s.id && this.sessions.delete(s.id)),
        );
      throw httpError('SESSION_REQUIRED', 'Bad Request: Mcp-Session-Id header is required');
    }
    const session = this.sessions.get(sid);
    if (
      !session ||
      session.subject.sub !== subject.sub ||
      session.subject.issuer !== subject.issuer
    )
      throw httpError('SESSION_NOT_FOUND', 'Session not found');
    session.lastSeen = Date.now();
    return session;
  }

  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    msg: JsonRpcMessage | JsonRpcMessage[] | undefined,
    session: McpSession,
  ): Promise<void> {
    if (!session.id && !session.server.transport) await session.server.connect(session.transport);
    await session.transport.handleRequest(req, res, msg);
  }

  /** An upstream's catalog changed: rebuild names and notify every session. */
  changed(): void {
    this.ctx.index.rebuild();
    for (const s of this.sessions.values()) void s.listChanged();
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.values()].map((s) => s.close()));
    this.sessions.clear();
  }
}
