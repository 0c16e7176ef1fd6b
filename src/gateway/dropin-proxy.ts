// The drop-in route for a Streamable HTTP upstream: a transparent reverse proxy (http-proxy)
// that streams answers unbuffered (SSE included) and passes Mcp-Session-Id, Last-Event-ID and
// MCP-Protocol-Version through. What it changes: the client's Authorization header is removed
// and the upstream's own credentials are sent instead (MCP authorization spec: no token
// passthrough), and tools/list answers are filtered to the tools the token may call. tools/call
// is authorized before this module sees it (gateway/http-stage.ts).

import { Readable } from 'node:stream';
import { Agent, type IncomingMessage, type ServerResponse } from 'node:http';
import httpProxy from 'http-proxy';
import type { Subject } from '../auth/index.ts';
import type { JsonRpcMessage } from '../transport/body.ts';
import { httpError, sendError } from '../transport/errors.ts';
import { SseParser, encodeEvent } from '../transport/sse.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { resolveTool } from '../upstream/tools.ts';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { RouteContext } from './route-context.ts';

/** How much of a JSON answer is kept for inspection (audit, tools/list filtering). */
const INSPECT_LIMIT = 8 * 1024 * 1024;

export interface ProxyOutcome {
  status: number;
  /** The JSON-RPC answer to the forwarded request, when it could be seen. */
  answer?: { result?: unknown; error?: { code?: number; message?: string } };
}

interface Pending {
  msg?: JsonRpcMessage;
  /** Ids of tools/list requests whose answers are filtered. */
  listIds: Set<unknown>;
  filter: (tools: Tool[]) => Tool[];
  timer?: NodeJS.Timeout;
  timedOut?: boolean;
  done: (o: ProxyOutcome) => void;
}

export class DropInProxy {
  // Keep-alive to the upstream: a TCP (and for https a TLS) handshake per call would dominate
  // the added latency.
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });
  private readonly proxy = httpProxy.createProxyServer({
    xfwd: false,
    changeOrigin: true,
    ignorePath: true,
    agent: this.agent,
  });
  private readonly pending = new WeakMap<IncomingMessage, Pending>();
  /** Sessions this route has seen the upstream create, and whose they are. */
  readonly sessions = new Map<string, { sub: string; issuer: string }>();
  /** Whether the upstream issues session ids (then requests without one are refused). */
  private stateful = false;

  constructor(
    readonly upstream: Upstream,
    readonly ctx: RouteContext,
  ) {
    this.proxy.on('proxyReq', (proxyReq, req) => {
      const p = this.pending.get(req);
      if (!p || req.method !== 'POST') return;
      // Per-upstream timeout until the answer's headers arrive; SSE bodies may then stream on.
      p.timer = setTimeout(() => {
        p.timedOut = true;
        proxyReq.destroy();
      }, this.upstream.config.timeout_ms);
    });
    this.proxy.on('proxyRes', (proxyRes, req, res) =>
      this.onResponse(proxyRes, req, res as ServerResponse),
    );
  }

  /** Session checks of MCP 2025-11-25 "Session Management", done here so a stale id never
   * reaches the upstream and a session cannot be used by another subject. */
  checkSession(req: IncomingMessage, msg: JsonRpcMessage | undefined, subject: Subject): void {
    const sid = req.headers['mcp-session-id'];
    if (typeof sid !== 'string' || sid === '') {
      if (this.stateful && !(req.method === 'POST' && msg?.method === 'initialize'))
        throw httpError('SESSION_REQUIRED', 'Bad Request: Mcp-Session-Id header is required');
      return;
    }
    const owner = this.sessions.get(sid);
    if (!owner || owner.sub !== subject.sub || owner.issuer !== subject.issuer)
      throw httpError('SESSION_NOT_FOUND', 'Session not found');
  }

  /** Forwards one request; resolves with what the upstream answered (for the audit record). */
  async forward(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer | undefined,
    /** The message, or a 2025-03-26 batch. */
    msgs: JsonRpcMessage | JsonRpcMessage[] | undefined,
    subject: Subject,
    /** Called synchronously with the outcome, before the response closes (for the audit). */
    onOutcome: (o: ProxyOutcome) => void,
  ): Promise<ProxyOutcome> {
    delete req.headers.authorization; // never forward the client's token (MCP security best practices)
    const headers = await this.upstream.headers();
    return new Promise<ProxyOutcome>((settle) => {
      let settled = false;
      const resolve = (o: ProxyOutcome) => {
        if (settled) return;
        settled = true;
        onOutcome(o);
        settle(o);
      };
      const list = msgs === undefined ? [] : Array.isArray(msgs) ? msgs : [msgs];
      const msg = Array.isArray(msgs) ? undefined : msgs;
      const pending: Pending = {
        msg,
        listIds: new Set(
          list.filter((m) => m.method === 'tools/list' && m.id != null).map((m) => m.id),
        ),
        filter: (tools) => this.visible(tools, subject),
        done: resolve,
      };
      this.pending.set(req, pending);
      res.on('close', () => resolve({ status: res.statusCode }));
      this.proxy.web(
        req,
        res,
        {
          target: this.upstream.config.url,
          headers,
          buffer: body ? Readable.from([body]) : undefined,
          selfHandleResponse: pending.listIds.size > 0,
        },
        (err) => {
          clearTimeout(pending.timer);
          const e = pending.timedOut
            ? httpError('UPSTREAM_TIMEOUT', `upstream ${this.upstream.name} timed out`)
            : httpError(
                'UPSTREAM_UNAVAILABLE',
                `upstream ${this.upstream.name} is unreachable: ${(err as NodeJS.ErrnoException).code ?? err.message}`,
              );
          sendError(res, e, msg?.id ?? null);
          resolve({ status: e.status, answer: { error: { code: e.rpcCode, message: e.message } } });
        },
      );
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
      return this.ctx.authorizer.visible(
        subject,
        this.upstream.name,
        def.name,
        tool,
        this.ctx.path,
      );
    });
  }

  private onResponse(proxyRes: IncomingMessage, req: IncomingMessage, res: ServerResponse): void {
    const p = this.pending.get(req);
    if (!p) return;
    clearTimeout(p.timer);
    const sid = proxyRes.headers['mcp-session-id'];
    if (p.msg?.method === 'initialize' && typeof sid === 'string' && proxyRes.statusCode === 200) {
      this.stateful = true;
      const subject = (req as IncomingMessage & { subject?: Subject }).subject;
      if (subject) this.sessions.set(sid, { sub: subject.sub, issuer: subject.issuer });
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
    // Each JSON-RPC message in the answer: the one answering our request is the outcome, and
    // tools/list answers are filtered (returned replacement); everything else is untouched.
    const onMessage = (m: Record<string, unknown>): Record<string, unknown> | undefined => {
      if (!('result' in m) && !('error' in m)) return undefined;
      if (id !== undefined && m.id === id) p.done({ status, answer: m as ProxyOutcome['answer'] });
      const result = m.result as { tools?: Tool[] } | undefined;
      if (p.listIds.has(m.id) && Array.isArray(result?.tools))
        return { ...m, result: { ...result, tools: p.filter(result.tools) } };
      return undefined;
    };
    if (p.listIds.size > 0) {
      const headers = { ...proxyRes.headers };
      delete headers['content-length'];
      res.writeHead(status, headers);
      res.flushHeaders();
      this.inspect(
        proxyRes,
        isSse,
        onMessage,
        (text) => res.write(text),
        () => res.end(),
      );
    } else {
      this.inspect(proxyRes, isSse, onMessage, undefined, () => p.done({ status }));
    }
  }

  /**
   * Watches a response body for JSON-RPC messages (single or batch, JSON or SSE). With
   * `write`, the body is re-emitted (SSE events as they complete) with `onMessage`'s
   * replacements applied.
   */
  private inspect(
    proxyRes: IncomingMessage,
    isSse: boolean,
    onMessage: (m: Record<string, unknown>) => Record<string, unknown> | undefined,
    write: ((s: string) => void) | undefined,
    end: () => void,
  ): void {
    proxyRes.setEncoding('utf8');
    if (isSse) {
      const parser = new SseParser();
      proxyRes.on('data', (chunk: string) => {
        for (const ev of parser.feed(chunk)) {
          const replaced = ev.data.includes('"id"') ? rewrite(ev.data, onMessage) : undefined;
          write?.(replaced === undefined ? ev.raw : encodeEvent(ev, replaced));
        }
      });
      proxyRes.on('end', () => {
        write?.(parser.rest());
        end();
      });
      return;
    }
    let text = '';
    let overflow = false;
    proxyRes.on('data', (chunk: string) => {
      // When re-emitting (write) the whole body is needed; otherwise only a bounded peek.
      if (write || (!overflow && text.length + chunk.length <= INSPECT_LIMIT)) text += chunk;
      else overflow = true;
    });
    proxyRes.on('end', () => {
      const replaced = !overflow && text ? rewrite(text, onMessage) : undefined;
      write?.(replaced ?? text);
      end();
    });
  }

  close(): void {
    this.proxy.close();
    this.agent.destroy();
  }
}

/** Applies `onMessage` to a message or batch; returns new JSON text if anything changed. */
function rewrite(
  text: string,
  onMessage: (m: Record<string, unknown>) => Record<string, unknown> | undefined,
): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined; // not JSON: passed through untouched
  }
  const one = (m: unknown) =>
    m && typeof m === 'object' && !Array.isArray(m)
      ? onMessage(m as Record<string, unknown>)
      : undefined;
  if (Array.isArray(doc)) {
    let changed = false;
    const out = doc.map((m) => {
      const r = one(m);
      if (r) changed = true;
      return r ?? m;
    });
    return changed ? JSON.stringify(out) : undefined;
  }
  const r = one(doc);
  return r ? JSON.stringify(r) : undefined;
}
