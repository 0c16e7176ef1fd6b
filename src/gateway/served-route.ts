// A route the gateway serves itself as an MCP server (/mcp, and /u/<stdio-upstream>/mcp):
// session bookkeeping per MCP 2025-11-25 "Session Management" — `initialize` without a session
// creates one, anything else needs a known `Mcp-Session-Id` (400 when missing, 404 when
// unknown or ended). Sessions are bound to the token's subject: another subject presenting the
// id gets 404, as if it did not exist (the spec: servers SHOULD bind session ids to the user).
//
// With `sessions.keys` the ids are sealed (gateway/sealed-session.ts): no session map is needed,
// each request builds its McpSession from the opened id and closes it when answered; the map
// then only holds requests in flight (for stdio children's server-to-client requests and
// list_changed notices).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Subject } from '../auth/index.ts';
import type { JsonRpcMessage } from '../transport/body.ts';
import { httpError } from '../transport/errors.ts';
import { sessionSubject } from '../session/seal.ts';
import { McpSession } from './mcp-session.ts';
import { forwardAnswers, relayedAnswers } from './session-reverse.ts';
import { serveSealedStream } from './session-stream.ts';
import {
  SealedSessions,
  negotiatedVersion,
  passedCapabilities,
  terminateUpstreams,
  type SessionsConfig,
} from './sealed-session.ts';
import type { RouteContext } from './route-context.ts';
import type { ListKind } from '../upstream/upstream.ts';
import { DEFAULT_MAX_SESSIONS_PER_SUBJECT, makeRoom } from './session-cap.ts';
import { admitChild } from './shared-calls.ts';

export class ServedRoute {
  readonly sessions = new Map<string, McpSession>();
  private sweeper?: NodeJS.Timeout;
  /** Set when `sessions.keys` is configured: sealed, stateless sessions. */
  readonly sealed?: SealedSessions;
  private requests = 0;
  private readonly maxPerSubject: number;

  constructor(
    readonly ctx: RouteContext,
    /** `config.sessions` (or only its idle timeout: in-memory sessions). */
    sessions: number | SessionsConfig,
  ) {
    const idleTimeoutS = typeof sessions === 'number' ? sessions : sessions.idle_timeout_s;
    this.maxPerSubject =
      (typeof sessions === 'number' ? undefined : sessions.max_per_subject) ??
      DEFAULT_MAX_SESSIONS_PER_SUBJECT;
    if (typeof sessions !== 'number' && sessions.keys.length > 0)
      this.sealed = new SealedSessions(sessions, ctx.path);
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
    if (this.sealed) return this.sealedSession(req, msg, subject, sid, this.sealed);
    if (typeof sid !== 'string' || sid === '') {
      if (req.method === 'POST' && msg?.method === 'initialize') {
        this.makeRoom(subject);
        return new McpSession(
          this.ctx,
          subject,
          (s, id) => void this.sessions.set(id, s),
          (s) => void (s.id && this.sessions.delete(s.id)),
        );
      }
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

  /** `limits.max_sessions_per_subject` (session-cap.ts), before a new in-memory session. */
  private makeRoom(subject: Subject): void {
    const held = [...this.sessions.values()].filter(
      (s) => s.subject.sub === subject.sub && s.subject.issuer === subject.issuer,
    );
    makeRoom(
      held.map((s) => ({
        lastSeen: s.lastSeen,
        busy: s.inflight.size > 0,
        end: () => {
          if (s.id) this.sessions.delete(s.id);
          void s.close();
        },
      })),
      this.maxPerSubject,
    );
  }

  private sealedSession(
    req: IncomingMessage,
    msg: JsonRpcMessage | undefined,
    subject: Subject,
    sid: string | string[] | undefined,
    sessions: SealedSessions,
  ): McpSession {
    const key = `\u0000req${++this.requests}`;
    const make = (mode: ConstructorParameters<typeof McpSession>[4]) =>
      new McpSession(
        this.ctx,
        subject,
        () => undefined,
        () => void this.sessions.delete(key),
        mode,
      );
    if (typeof sid !== 'string' || sid === '') {
      if (req.method === 'POST' && msg?.method === 'initialize') return make({ sessions });
      throw httpError('SESSION_REQUIRED', 'Bad Request: Mcp-Session-Id header is required');
    }
    const state = sessions.open(sid, subject);
    if (!state) throw httpError('SESSION_NOT_FOUND', 'Session not found');
    const session = make({ sessions, state, id: sid });
    // In flight only: a stdio child's sampling request finds the session by its call.
    this.sessions.set(key, session);
    return session;
  }

  /** A request of a sealed session: seal at initialize, end upstreams at DELETE, then let the
   *  SDK answer; the per-request session closes with the response. */
  private async handleSealed(
    req: IncomingMessage,
    res: ServerResponse,
    msg: JsonRpcMessage | JsonRpcMessage[] | undefined,
    session: McpSession,
  ): Promise<void> {
    const mode = session.sealed!;
    res.on('close', () => void session.close());
    if (!mode.state && !Array.isArray(msg) && msg?.method === 'initialize') {
      const params = (msg.params ?? {}) as { protocolVersion?: unknown; capabilities?: object };
      const clientCapabilities = (params.capabilities ?? {}) as Record<string, unknown>;
      const ups = await mode.sessions.createUpstreamSessions(
        this.ctx.upstreams,
        passedCapabilities(clientCapabilities),
      );
      mode.id = mode.sessions.seal({
        sub: sessionSubject(session.subject),
        ...ups,
        protocolVersion: negotiatedVersion(params.protocolVersion),
        clientCapabilities,
        createdAt: Date.now(),
      });
    } else if (req.method === 'DELETE' && mode.state && mode.id) {
      await terminateUpstreams(this.ctx.upstreams, mode.state);
      mode.sessions.end(mode.id);
    }
    // The GET stream: the upstreams' own, merged (an open stream cannot move between replicas).
    if (req.method === 'GET' && mode.state)
      return serveSealedStream(req, res, this.ctx.upstreams, mode.state);
    // A client's answer to a relayed server-to-client request: to the upstream that asked.
    const answers = mode.state && relayedAnswers(msg);
    if (answers) {
      await forwardAnswers(answers, this.ctx.upstreams, mode.state!);
      res.writeHead(202).end();
      return;
    }
    await session.server.connect(session.transport);
    await session.transport.handleRequest(req, holdHeaders(req, res), msg);
  }

  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    msg: JsonRpcMessage | JsonRpcMessage[] | undefined,
    session: McpSession,
  ): Promise<void> {
    await admitChild(this.ctx, msg, session.subject);
    if (session.sealed) return this.handleSealed(req, res, msg, session);
    if (!session.id && !session.server.transport) await session.server.connect(session.transport);
    await session.transport.handleRequest(req, holdHeaders(req, res), msg);
  }

  /** An upstream's catalog changed: rebuild names and notify every session and listener. */
  changed(notice?: ListKind): void {
    this.ctx.index.rebuild();
    for (const s of this.sessions.values()) void s.listChanged();
    this.ctx.catalogChanged(notice);
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    await Promise.all([...this.sessions.values()].map((s) => s.close()));
    this.sessions.clear();
  }
}

/**
 * A POST's SSE answer: the SDK transport flushes the headers before the first event, a write
 * of their own. Held back, they leave with the first event, and Node's per-tick cork puts the
 * event and the stream's end in that same write: one write(2) per answered call instead of
 * two. On these VMs a loopback write that wakes the peer costs ~0.1 ms of CPU and latency
 * (issue #4, bench/gateway). GET streams still flush at once: the client waits for their
 * headers to know the stream is open, and a stream may stay quiet for a long time.
 */
function holdHeaders(req: IncomingMessage, res: ServerResponse): ServerResponse {
  if (req.method === 'POST') res.flushHeaders = () => undefined;
  return res;
}
