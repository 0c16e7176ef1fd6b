// The drop-in route for a Streamable HTTP upstream: a transparent reverse proxy (http-proxy)
// that streams answers unbuffered (SSE included) and passes Mcp-Session-Id, Last-Event-ID and
// MCP-Protocol-Version through. What it changes: the client's Authorization header is removed
// and the upstream's own credentials are sent instead (MCP authorization spec: no token
// passthrough), and tools/list answers are filtered to the tools the token may call. tools/call
// is authorized before this module sees it (gateway/http-stage.ts).
//
// With `sessions.keys` (stateless replicas, issue #8) the route keeps no session map: the id the
// client sees is the upstream's session id sealed for the token's subject
// (gateway/sealed-session.ts), opened on every request (null → 404) and swapped for the
// upstream's id on the way in, and back on the way out. Event ids and Last-Event-ID pass through
// untouched: there is one upstream, so any replica resumes a stream there.

import type { Readable } from 'node:stream';
import { Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import httpProxy from 'http-proxy';
import type { Subject } from '../auth/index.ts';
import type { JsonRpcMessage } from '../transport/body.ts';
import { httpError, sendError } from '../transport/errors.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { resolveTool } from '../upstream/tools.ts';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { sessionSubject } from '../session/seal.ts';
import { answerInspector } from './inspect.ts';
import { UpstreamPoster, feedFrom, type AnswerFeed, type AnswerHead } from './upstream-post.ts';
import { SseEventTooLargeError } from '../transport/sse.ts';
import { armAnswerDeadline, progressed } from './answer-deadline.ts';
import { AnswerTooLargeError } from '../upstream/node-fetch.ts';
import { DEFAULT_MAX_ANSWER_BYTES } from '../config/load.ts';
import { SealedSessions, negotiatedVersion, type SessionsConfig } from './sealed-session.ts';
import type { RouteContext } from './route-context.ts';
import { injectTraceHeaders } from '../telemetry/index.ts';
import { stripIdentityHeaders } from '../upstream/forward-headers.ts';
import { DEFAULT_MAX_SESSIONS_PER_SUBJECT, makeRoom } from './session-cap.ts';
import { MRTR_METHODS, clientAnswer, type StateBinding } from './modern-request.ts';
import { TASK_METHODS, clientTaskAnswer } from './task-ids.ts';
import { redactForClient } from './audit-hook.ts';

export interface ProxyOutcome {
  status: number;
  /** The JSON-RPC answer to the forwarded request, when it could be seen. */
  answer?: { result?: unknown; error?: { code?: number; message?: string } };
}

interface Pending {
  msg?: JsonRpcMessage;
  /** Ids of tools/list requests whose answers are filtered. */
  listIds: Set<unknown>;
  /** Ids of tools/call requests (one, or a batch's): their results are shown as audited. */
  callIds: Set<unknown>;
  filter: (tools: Tool[]) => Tool[];
  /** A tools/call: its answer is held until `done` resolves. */
  call: boolean;
  timer?: NodeJS.Timeout;
  timedOut?: boolean;
  /** performance.now() when the request went out: the upstream timeout counts from here. */
  sentAt: number;
  /** Runs until the answer to the request is seen (answer-deadline.ts). */
  answerTimer?: NodeJS.Timeout;
  /** The answer was cut at the timeout. */
  cut?: boolean;
  /** Reports the outcome; a returned promise holds the answer until it settles. */
  done: (o: ProxyOutcome) => Promise<void> | void;
  /** Set when the answer to the request was seen and is being held. */
  gate?: Promise<void>;
  /** A 2026-07-28 request: how its answer's requestState is sealed (modern-request.ts). */
  binding?: StateBinding;
}

export class DropInProxy {
  // Keep-alive to the upstream: a TCP (and for https a TLS) handshake per call would dominate
  // the added latency. The agent must match the upstream's scheme.
  private readonly agent: Agent;
  private readonly proxy: httpProxy;
  private readonly pending = new WeakMap<IncomingMessage, Pending>();
  /** Sessions this route has seen the upstream create, and whose they are; in order of last
   *  use (a use moves its entry to the end). */
  readonly sessions = new Map<string, { sub: string; issuer: string; lastSeen: number }>();
  private readonly maxPerSubject: number;
  /** Whether the upstream issues session ids (then requests without one are refused). */
  private stateful = false;
  /** Set when `sessions.keys` is configured: sealed ids instead of the `sessions` map. */
  readonly sealed?: SealedSessions;
  /** Requests of sealed sessions → the id the client sent (restored on the answer). */
  private readonly clientIds = new WeakMap<IncomingMessage, string>();
  /** The POSTs whose answers this route rewrites itself (see `post`). */
  private readonly poster: UpstreamPoster;
  /** The largest answer (JSON body, or one SSE event) this route buffers. */
  private readonly maxAnswer: number;

  constructor(
    readonly upstream: Upstream,
    readonly ctx: RouteContext,
    sessions?: SessionsConfig,
  ) {
    const secure = (upstream.config.url ?? '').startsWith('https:');
    this.agent = new (secure ? HttpsAgent : Agent)({ keepAlive: true, maxSockets: 256 });
    this.proxy = httpProxy.createProxyServer({
      xfwd: false,
      changeOrigin: true,
      ignorePath: true,
      agent: this.agent,
    });
    if (sessions && sessions.keys.length > 0) this.sealed = new SealedSessions(sessions, ctx.path);
    this.maxPerSubject = sessions?.max_per_subject ?? DEFAULT_MAX_SESSIONS_PER_SUBJECT;
    this.maxAnswer = upstream.config.max_answer_bytes ?? DEFAULT_MAX_ANSWER_BYTES;
    this.poster = new UpstreamPoster(
      upstream.config.url ?? '',
      upstream.config.timeout_ms,
      this.maxAnswer,
    );
    this.proxy.on('proxyReq', (proxyReq, req) => {
      const p = this.pending.get(req);
      if (!p || req.method !== 'POST') return;
      // Per-upstream timeout until the answer's headers arrive; SSE bodies may then stream on.
      p.timer = setTimeout(() => {
        p.timedOut = true;
        proxyReq.destroy();
      }, this.upstream.config.timeout_ms);
    });
    this.proxy.on('proxyRes', (proxyRes, req, res) => {
      const feed = this.onResponse(proxyRes, req, res as ServerResponse);
      if (feed) feedFrom(proxyRes, feed);
    });
  }

  /** Session checks of MCP 2025-11-25 "Session Management", done here so a stale id never
   * reaches the upstream and a session cannot be used by another subject. */
  checkSession(req: IncomingMessage, msg: JsonRpcMessage | undefined, subject: Subject): void {
    const sid = req.headers['mcp-session-id'];
    if (typeof sid !== 'string' || sid === '') {
      const init = req.method === 'POST' && msg?.method === 'initialize';
      if (this.stateful && !init)
        throw httpError('SESSION_REQUIRED', 'Bad Request: Mcp-Session-Id header is required');
      if (init && !this.sealed) this.makeRoom(subject);
      return;
    }
    if (this.sealed) {
      const state = this.sealed.open(sid, subject);
      const upstreamSid = state?.upstreamSessions[this.upstream.name];
      if (upstreamSid === undefined) throw httpError('SESSION_NOT_FOUND', 'Session not found');
      this.clientIds.set(req, sid);
      // http-proxy sends req.headers as they are when forward() runs.
      req.headers['mcp-session-id'] = upstreamSid;
      return;
    }
    const owner = this.sessions.get(sid);
    if (!owner || owner.sub !== subject.sub || owner.issuer !== subject.issuer)
      throw httpError('SESSION_NOT_FOUND', 'Session not found');
    owner.lastSeen = Date.now();
    this.sessions.delete(sid);
    this.sessions.set(sid, owner);
  }

  /** `limits.max_sessions_per_subject` (session-cap.ts): the subject's least recently used
   *  session is forgotten (404 from now on; the upstream ends it at its own idle timeout). The
   *  route does not track requests per session, so none counts as busy. */
  private makeRoom(subject: Subject): void {
    const held: Array<{ lastSeen: number; busy: boolean; end(): void }> = [];
    for (const [sid, o] of this.sessions)
      if (o.sub === subject.sub && o.issuer === subject.issuer)
        held.push({ lastSeen: o.lastSeen, busy: false, end: () => this.sessions.delete(sid) });
    makeRoom(held, this.maxPerSubject);
  }

  /** Forwards one request; resolves with what the upstream answered (for the audit record). */
  async forward(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer | undefined,
    /** The message, or a 2025-03-26 batch. */
    msgs: JsonRpcMessage | JsonRpcMessage[] | undefined,
    subject: Subject,
    /** Called once with the outcome, before the answer is released (for the audit). For a
     * tools/call, a returned promise holds the answer until it resolves; if it rejects, the
     * answer is withheld (500, or the stream is cut). */
    onOutcome: (o: ProxyOutcome) => Promise<void> | void,
    /** Set for a 2026-07-28 request. */
    binding?: StateBinding,
  ): Promise<ProxyOutcome> {
    // The client's token never passes (MCP security best practices), nor do headers that claim
    // who the client is, unless this upstream allow-lists them (upstream/forward-headers.ts).
    // Both senders below (http-proxy, the undici pool) send `req.headers` as left here.
    stripIdentityHeaders(req.headers, this.upstream.config.forward_headers);
    // Hop-by-hop (RFC 9110 §7.6.1): a load balancer's `Connection: close` is about its socket to
    // us, not ours to the upstream; forwarded, it made the upstream close a socket our
    // keep-alive agent then reused (the next request got the upstream's parser 400).
    delete req.headers.connection;
    delete req.headers['keep-alive'];
    frameBody(req, body);
    // W3C Trace Context (§3.2): the upstream continues the gateway's `warden.upstream` span.
    const own = this.upstream.headers();
    const headers = own instanceof Promise ? await own : own;
    injectTraceHeaders(headers);
    const t0 = performance.now();
    const method =
      msgs === undefined || Array.isArray(msgs) ? req.method! : (msgs.method ?? 'response');
    return new Promise<ProxyOutcome>((settle) => {
      let settled = false;
      const resolve = (o: ProxyOutcome): Promise<void> | void => {
        if (settled) return undefined;
        settled = true;
        this.ctx.metrics.upstreamLatency(
          this.upstream.name,
          method,
          (performance.now() - t0) / 1000,
        );
        const gate = onOutcome(o);
        settle(o);
        return gate;
      };
      const list = msgs === undefined ? [] : Array.isArray(msgs) ? msgs : [msgs];
      const msg = Array.isArray(msgs) ? undefined : msgs;
      const pending: Pending = {
        msg,
        listIds: new Set(
          list.filter((m) => m.method === 'tools/list' && m.id != null).map((m) => m.id),
        ),
        callIds: new Set(
          list.filter((m) => m.method === 'tools/call' && m.id != null).map((m) => m.id),
        ),
        filter: (tools) => this.visible(tools, subject),
        call: msg?.method === 'tools/call' && msg.id != null,
        sentAt: t0,
        done: resolve,
        binding,
      };
      this.pending.set(req, pending);
      res.on('close', () => {
        clearTimeout(pending.answerTimer);
        void resolve({ status: res.statusCode });
      });
      const failed = (err: Error, timedOut = pending.timedOut) => {
        clearTimeout(pending.timer);
        clearTimeout(pending.answerTimer);
        if (pending.cut) return; // cut at the timeout: the client has been told (see `cut`)
        const e = upstreamError(this.upstream.name, err, timedOut === true);
        const gate = resolve({
          status: e.status,
          answer: { error: { code: e.rpcCode, message: e.message } },
        });
        if (!gate) return sendError(res, e, msg?.id ?? null);
        gate.then(
          () => sendError(res, e, msg?.id ?? null),
          () => sendError(res, AUDIT_FAILED(), msg?.id ?? null),
        );
      };
      const selfHandleResponse = selfHandled(pending);
      if (selfHandleResponse && body && req.method === 'POST')
        return this.post(req, res, body, headers, failed);
      this.proxy.web(
        req,
        res,
        {
          target: this.upstream.config.url,
          headers,
          // http-proxy only calls `buffer.pipe(proxyReq)`: hand it the body we already read
          // in one write, without a Readable (and its async iterator) per request.
          // Never the client's stream: a request without a body of ours forwards none.
          buffer: bodySource(body ?? NO_BODY),
          selfHandleResponse,
        },
        (err) => failed(err),
      );
    });
  }

  /**
   * A POST whose answer this route rewrites itself (tools/call, tools/list): the body is read
   * and the answer is handled by `onResponse`, so http-proxy's per-request pipeline (URL
   * parsing, option merging, its event passes) and node:http's client would only add latency
   * (issue #4); it goes out on the route's undici pool (upstream-post.ts). Streams (GET SSE)
   * and every other request still go through http-proxy.
   */
  private post(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    headers: Record<string, string>,
    failed: (err: Error, timedOut: boolean) => void,
  ): void {
    this.poster.post(res, req.headers, headers, body, {
      head: (answer) => this.onResponse(answer, req, res),
      failed,
    });
  }

  private visible(tools: Tool[], subject: Subject): Tool[] {
    return tools.filter((def) => {
      // Prefer the discovered resolution; a tool the catalog has not seen yet is resolved
      // from its own definition (config override › annotations › default_scope).
      const tool =
        this.upstream.tool(def.name) ??
        resolveTool(this.upstream.name, def, {
          override: this.upstream.config.tools[def.name],
          defaultScope: this.upstream.config.default_scope,
        });
      // The live definition is checked against its pin, held when it differs: an upstream may
      // serve its clients another definition than the one discovery saw and pinned.
      return this.ctx.authorizer.visible(
        subject,
        this.upstream.name,
        def.name,
        tool,
        this.ctx.path,
        def as unknown as Record<string, unknown>,
      );
    });
  }

  /** The upstream's answer arrived: returns the feed its body goes into (undefined: the answer
   *  is not this route's to read). */
  private onResponse(
    proxyRes: AnswerHead,
    req: IncomingMessage,
    res: ServerResponse,
  ): AnswerFeed | undefined {
    const p = this.pending.get(req);
    if (!p) return undefined;
    clearTimeout(p.timer);
    armAnswerDeadline(p, this.upstream, req, res, proxyRes);
    const sid = proxyRes.headers['mcp-session-id'];
    if (this.sealed) this.sealAnswer(proxyRes, req, p);
    else if (
      p.msg?.method === 'initialize' &&
      typeof sid === 'string' &&
      proxyRes.statusCode === 200
    ) {
      this.stateful = true;
      const subject = (req as IncomingMessage & { subject?: Subject }).subject;
      if (subject)
        this.sessions.set(sid, { sub: subject.sub, issuer: subject.issuer, lastSeen: Date.now() });
    }
    // The upstream forgot a session (restart, expiry): forget it too, the client re-initializes.
    const reqSid = req.headers['mcp-session-id'];
    if (proxyRes.statusCode === 404 && typeof reqSid === 'string') this.sessions.delete(reqSid);
    if (
      req.method === 'DELETE' &&
      typeof req.headers['mcp-session-id'] === 'string' &&
      (proxyRes.statusCode ?? 500) < 300
    )
      this.sessions.delete(req.headers['mcp-session-id']);
    const isSse = (proxyRes.headers['content-type'] ?? '').includes('text/event-stream');
    const status = proxyRes.statusCode ?? 502;
    const id = p.msg?.id;
    const auditor = this.ctx.audit;
    // Each JSON-RPC message in the answer: the one answering our request is the outcome (and,
    // for a tools/call, held until its audit record is written), tools/list answers are
    // filtered, tool results (a tools/call's, a finished task's) pass through redactForClient
    // (redacted when configured).
    // Returns a replacement, or undefined to pass the message through byte for byte.
    const onMessage = (m: Record<string, unknown>): Record<string, unknown> | undefined => {
      if (!('result' in m) && !('error' in m)) {
        if (m.method === 'notifications/progress')
          progressed(p, m, this.upstream, req, res, proxyRes);
        return undefined;
      }
      let out: Record<string, unknown> | undefined;
      if (id !== undefined && m.id === id) {
        clearTimeout(p.answerTimer);
        const gate = p.done({ status, answer: m as ProxyOutcome['answer'] });
        if (gate) p.gate = gate;
      }
      // The request it answers: this one, or a tools/call of a batch.
      const method = p.callIds.has(m.id)
        ? 'tools/call'
        : id !== undefined && m.id === id
          ? p.msg?.method
          : undefined;
      if (method !== undefined && m.result !== undefined) {
        const shown = redactForClient(auditor, method, m.result);
        if (shown !== m.result) out = { ...m, result: shown };
      }
      const result = m.result as { tools?: Tool[] } | undefined;
      if (p.listIds.has(m.id) && Array.isArray(result?.tools))
        out = { ...m, result: { ...result, tools: p.filter(result.tools) } };
      // 2026-07-28: seal an input_required state; a per-token list is private to the token.
      if (p.binding && m.id === id) {
        const r = (out ?? m).result;
        if (r && typeof r === 'object') {
          const shown = clientAnswer(
            r as Record<string, unknown>,
            this.ctx.states,
            p.binding,
            p.listIds.has(m.id),
          );
          if (shown) out = { ...(out ?? m), result: shown };
          // The tasks extension: the client sees the gateway's task ids, never the upstream's.
          const task = clientTaskAnswer(
            (out ?? m).result as Record<string, unknown>,
            this.ctx.taskIds,
            p.binding.upstream,
            p.binding.principal,
            p.binding.taskId,
            p.call ? String((p.msg?.params as { name?: unknown } | undefined)?.name) : undefined,
          );
          if (task) out = { ...(out ?? m), result: task };
        }
      }
      return out;
    };
    if (!selfHandled(p))
      return answerInspector(
        isSse,
        onMessage,
        undefined,
        () => void p.done({ status }),
        this.maxAnswer,
      );
    const headers = { ...proxyRes.headers };
    // The body is rewritten: its length is ours to state (and a chunked upstream answer must
    // not arrive with both framings, RFC 9112 §6.3).
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      proxyRes.destroy();
      if (res.headersSent) res.destroy();
      else sendError(res, AUDIT_FAILED(e), id ?? null);
    };
    // Writes are serialized behind the held answer: nothing after it overtakes it.
    let chain: Promise<void> | undefined;
    const out = (emit: () => void) => {
      if (failed) return;
      if (!chain && !p.gate) return emit();
      chain = (chain ?? Promise.resolve())
        .then(() => p.gate)
        .then(() => {
          if (!failed) emit();
        }, fail);
    };
    if (isSse) {
      // The headers are written with the first event (one write, not two; see holdHeaders in
      // served-route.ts): a POST's client waits for the answer either way, and an upstream that
      // fails before its first event still gets the client a clean JSON-RPC error.
      const head = () => {
        if (!res.headersSent) res.writeHead(status, headers);
      };
      return answerInspector(
        true,
        onMessage,
        (text) =>
          out(() => {
            head();
            res.write(text);
          }),
        () =>
          out(() => {
            head();
            res.end();
          }),
        this.maxAnswer,
      );
    }
    // JSON: the whole answer is in hand before anything is written, so its length is known.
    return answerInspector(
      false,
      onMessage,
      (text) =>
        out(() => {
          headers['content-length'] = String(Buffer.byteLength(text));
          res.writeHead(status, headers);
          res.end(text);
        }),
      () => undefined,
    );
  }

  /** Sealed sessions: the upstream's id never reaches the client. Runs before http-proxy copies
   * the answer's headers (its 'proxyRes' event precedes the outgoing passes). */
  private sealAnswer(proxyRes: AnswerHead, req: IncomingMessage, p: Pending): void {
    const sealed = this.sealed!;
    const sid = proxyRes.headers['mcp-session-id'];
    const clientId = this.clientIds.get(req);
    if (clientId !== undefined) {
      if (typeof sid === 'string') proxyRes.headers['mcp-session-id'] = clientId;
      // Ended (DELETE) or forgotten by the upstream: this replica refuses the id from now on.
      if (
        (req.method === 'DELETE' && (proxyRes.statusCode ?? 500) < 300) ||
        proxyRes.statusCode === 404
      )
        sealed.end(clientId);
      return;
    }
    if (p.msg?.method !== 'initialize' || typeof sid !== 'string' || proxyRes.statusCode !== 200)
      return;
    this.stateful = true;
    const subject = (req as IncomingMessage & { subject?: Subject }).subject;
    if (!subject) {
      delete proxyRes.headers['mcp-session-id'];
      return;
    }
    const params = (p.msg.params ?? {}) as { protocolVersion?: unknown; capabilities?: object };
    proxyRes.headers['mcp-session-id'] = sealed.seal({
      sub: sessionSubject(subject),
      upstreamSessions: { [this.upstream.name]: sid },
      protocolVersion: negotiatedVersion(params.protocolVersion),
      clientCapabilities: (params.capabilities ?? {}) as Record<string, unknown>,
      createdAt: Date.now(),
    });
  }

  close(): void {
    this.proxy.close();
    this.agent.destroy();
    void this.poster.close();
  }
}

/** Answers the gateway rewrites (filtered lists, results shown as audited, sealed request
 *  states and task ids) are read here; the rest stream through http-proxy untouched. */
const selfHandled = (p: Pending): boolean =>
  p.listIds.size > 0 ||
  p.callIds.size > 0 ||
  (p.binding !== undefined &&
    (MRTR_METHODS.has(p.msg?.method ?? '') || TASK_METHODS.has(p.msg?.method ?? '')));

/** What the client is told when the upstream gave no (usable) answer. */
function upstreamError(name: string, err: Error, timedOut: boolean) {
  if (timedOut) return httpError('UPSTREAM_TIMEOUT', `upstream ${name} timed out`);
  if (err instanceof AnswerTooLargeError || err instanceof SseEventTooLargeError)
    return httpError('UPSTREAM_ANSWER_TOO_LARGE', `upstream ${name}: ${err.message}`);
  const code = (err as NodeJS.ErrnoException).code ?? err.message;
  return httpError('UPSTREAM_UNAVAILABLE', `upstream ${name} is unreachable: ${code}`);
}

/**
 * One reading: the body an upstream gets is the gateway's serialization of the message it
 * decided on (http-stage.ts, transport/body.ts `serialize`), framed by the gateway: UTF-8
 * `application/json` with its own length. The client's Content-Type (and any charset in it),
 * Content-Encoding and Transfer-Encoding describe bytes that are not forwarded, so they go;
 * a GET or DELETE forwards no body, whatever the client sent with it.
 */
function frameBody(req: IncomingMessage, body: Buffer | undefined): void {
  delete req.headers['transfer-encoding'];
  delete req.headers['content-encoding'];
  if (body) {
    req.headers['content-type'] = 'application/json';
    req.headers['content-length'] = String(body.length);
  } else {
    delete req.headers['content-length'];
    delete req.headers['content-type'];
  }
}

const NO_BODY = Buffer.alloc(0);

/** The already-read request body, as the one-method source http-proxy's `buffer` needs. */
function bodySource(body: Buffer): Readable {
  return { pipe: (dest: NodeJS.WritableStream) => dest.end(body) } as unknown as Readable;
}

const AUDIT_FAILED = (cause?: unknown) =>
  Object.assign(httpError('INTERNAL', 'audit record could not be written'), { cause });
