// A client for upstreams that speak MCP 2026-07-28: stateless JSON-RPC POSTs, each carrying the
// `_meta` envelope (protocol version, client capabilities, client info) and the standard headers
// an intermediary on the upstream's side relies on (MCP-Protocol-Version, Mcp-Method, Mcp-Name,
// Mcp-Param-*; 2026-07-28 Streamable HTTP). No SDK client: there is no connection state to keep,
// and the gateway must see every result as it is (resultType, requestState, cacheScope) rather
// than as an SDK would reshape it.

import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { WardenError } from '../errors/index.ts';
import {
  META_CLIENT_CAPABILITIES,
  META_PROTOCOL_VERSION,
  MODERN_VERSIONS,
  encodeHeaderValue,
  nameHeaderOf,
} from '../transport/era.ts';
import { paramHeaders } from '../transport/param-headers.ts';
import { SseEventTooLargeError, SseParser } from '../transport/sse.ts';
import { injectTraceHeaders } from '../telemetry/index.ts';

export const MODERN_VERSION = MODERN_VERSIONS[0];
const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';

export interface RpcAnswer {
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
  /** The upstream's HTTP status (an error answer carries the spec's 400s). */
  status: number;
}

export interface ModernRequestOptions {
  /** The client capabilities declared for this request (the downstream client's). */
  capabilities?: Record<string, unknown>;
  /** Extra `_meta` (progress token, log level, trace context …). */
  meta?: Record<string, unknown>;
  /** The tool's input schema, for `Mcp-Param-*` headers of a tools/call. */
  inputSchema?: unknown;
  /** Notifications the upstream sends on the answer's SSE stream (progress, log messages). */
  onNotification?: (n: { method: string; params?: Record<string, unknown> }) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
}

let nextId = 1;

export class ModernClient {
  private readonly target: URL;
  private readonly agent: Agent;

  constructor(
    readonly url: string,
    private readonly headers: () => Promise<Record<string, string>>,
    private readonly clientInfo: { name: string; version: string },
    private readonly timeoutMs: number,
    /** Bound on a JSON answer, or one SSE event (`upstreams[].max_answer_bytes`). */
    private readonly maxAnswerBytes = Infinity,
  ) {
    this.target = new URL(url);
    // Keep-alive: a handshake per stateless request would dominate the added latency.
    this.agent =
      this.target.protocol === 'https:'
        ? new HttpsAgent({ keepAlive: true, maxSockets: 256 })
        : new Agent({ keepAlive: true, maxSockets: 256 });
  }

  /** `server/discover`: the upstream's versions and capabilities, or null when it does not
   *  speak 2026-07-28 (a 2025-era server answers 400 or an error without a session). */
  async discover(): Promise<Record<string, unknown> | null> {
    try {
      const a = await this.request(
        'server/discover',
        {},
        { timeoutMs: Math.min(this.timeoutMs, 5000) },
      );
      const versions = a.result?.supportedVersions;
      if (!Array.isArray(versions) || !versions.some((v) => MODERN_VERSIONS.includes(v)))
        return null;
      return a.result!;
    } catch {
      return null;
    }
  }

  async request(
    method: string,
    params: Record<string, unknown>,
    opts: ModernRequestOptions = {},
  ): Promise<RpcAnswer> {
    const id = nextId++;
    const body = {
      jsonrpc: '2.0',
      id,
      method,
      params: {
        ...params,
        _meta: {
          ...(params._meta as Record<string, unknown> | undefined),
          ...opts.meta,
          [META_PROTOCOL_VERSION]: MODERN_VERSION,
          [META_CLIENT_CAPABILITIES]: opts.capabilities ?? {},
          [META_CLIENT_INFO]: this.clientInfo,
        },
      },
    };
    const headers: Record<string, string> = {
      ...(await this.headers()),
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN_VERSION,
      'mcp-method': method,
    };
    const name = nameHeaderOf(method, params);
    if (name !== undefined) headers['mcp-name'] = encodeHeaderValue(name);
    if (method === 'tools/call')
      Object.assign(headers, paramHeaders(opts.inputSchema, params.arguments));
    injectTraceHeaders(headers);
    const payload = JSON.stringify(body);
    headers['content-length'] = String(Buffer.byteLength(payload));
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const res = await this.send(headers, payload, timeoutMs, opts.signal);
    const status = res.statusCode ?? 502;
    try {
      if ((res.headers['content-type'] ?? '').includes('text/event-stream'))
        return await readSse(res, id, status, opts, this.maxAnswerBytes);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > this.maxAnswerBytes) throw tooLarge(this.url, this.maxAnswerBytes);
        chunks.push(chunk);
      }
      const text = Buffer.concat(chunks).toString('utf8');
      return answerOf(text ? (JSON.parse(text) as Record<string, unknown>) : {}, status);
    } catch (e) {
      if (isWarden(e)) throw e;
      throw upstreamFailure(this.url, e, (res as { timedOut?: boolean }).timedOut === true);
    } finally {
      // An SSE answer may go on after ours (the stream is then cut); a complete body leaves
      // the socket to the keep-alive pool.
      if (!res.complete) res.destroy();
    }
  }

  /** One POST over the keep-alive agent (node:http: a fraction of fetch's CPU per request).
   *  The timeout covers the whole exchange, SSE included; `signal` cancels it. */
  private send(
    headers: Record<string, string>,
    payload: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<IncomingMessage> {
    return new Promise((ok, fail) => {
      const req = (this.target.protocol === 'https:' ? httpsRequest : httpRequest)(this.target, {
        method: 'POST',
        headers,
        agent: this.agent,
      });
      let timedOut = false;
      // A subscriptions/listen stream has no deadline (Infinity).
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            timedOut = true;
            req.destroy(new Error('timed out'));
          }, timeoutMs)
        : undefined;
      const onAbort = () => req.destroy(new Error('cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      req.once('response', (res) => {
        Object.defineProperty(res, 'timedOut', { get: () => timedOut });
        res.once('close', done);
        ok(res);
      });
      req.once('error', (e) => {
        done();
        fail(upstreamFailure(this.url, e, timedOut));
      });
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

const isWarden = (e: unknown): e is WardenError => e instanceof WardenError;

function answerOf(msg: Record<string, unknown>, status: number): RpcAnswer {
  if (msg.error && typeof msg.error === 'object')
    return { error: msg.error as RpcAnswer['error'], status };
  if (msg.result && typeof msg.result === 'object')
    return { result: msg.result as Record<string, unknown>, status };
  throw new WardenError(
    'UPSTREAM_PROTOCOL',
    `upstream answered HTTP ${status} without a JSON-RPC answer`,
    {
      status: 502,
      rpcCode: -32010,
    },
  );
}

/** The answer's SSE stream: notifications go to the caller, the response ends the read. */
async function readSse(
  res: IncomingMessage,
  id: number,
  status: number,
  opts: ModernRequestOptions,
  maxEvent: number,
): Promise<RpcAnswer> {
  res.setEncoding('utf8');
  const parser = new SseParser(maxEvent);
  for await (const chunk of res as AsyncIterable<string>)
    for (const ev of parser.feed(chunk)) {
      if (!ev.data) continue;
      const msg = JSON.parse(ev.data) as Record<string, unknown>;
      if (msg.id === id && ('result' in msg || 'error' in msg)) return answerOf(msg, status);
      if (typeof msg.method === 'string' && msg.id === undefined)
        opts.onNotification?.(msg as { method: string; params?: Record<string, unknown> });
    }
  throw new WardenError('UPSTREAM_PROTOCOL', 'upstream closed the stream without answering', {
    status: 502,
    rpcCode: -32010,
  });
}

/** `upstreams[].max_answer_bytes` exceeded: the answer is dropped, not buffered. */
function tooLarge(url: string, limit: number): WardenError {
  return new WardenError(
    'UPSTREAM_ANSWER_TOO_LARGE',
    `upstream ${url}: the answer exceeds ${limit} bytes (max_answer_bytes)`,
    { status: 502, rpcCode: -32010 },
  );
}

function upstreamFailure(url: string, e: unknown, timedOut: boolean): WardenError {
  if (e instanceof SseEventTooLargeError) return tooLarge(url, e.limit);
  return timedOut
    ? new WardenError('UPSTREAM_TIMEOUT', `upstream ${url} timed out`, {
        status: 504,
        rpcCode: -32011,
        cause: e,
      })
    : new WardenError(
        'UPSTREAM_UNAVAILABLE',
        `upstream ${url} is unreachable: ${(e as Error).message}`,
        {
          status: 502,
          rpcCode: -32010,
          cause: e,
        },
      );
}
