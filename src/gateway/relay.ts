// Relaying between a downstream session (the gateway's SDK Server) and an upstream SDK Client:
// server-to-client requests (sampling, elicitation, roots) travel back on the stream of the
// downstream call that caused them; progress tokens are remapped; cancellation follows the
// downstream request's abort signal; upstream failures become stable JSON-RPC errors.

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CreateMessageRequestSchema,
  CreateMessageResultSchema,
  ElicitRequestSchema,
  ElicitResultSchema,
  ErrorCode,
  ListRootsRequestSchema,
  ListRootsResultSchema,
  McpError,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { HTTP_ERRORS } from '../transport/errors.ts';
import type { Upstream } from '../upstream/upstream.ts';
import type { RouteContext } from './route-context.ts';

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** What the per-method modules (resources, prompts, completion, logging, subscriptions) need
 * of a downstream session (gateway/mcp-session.ts). */
export interface SessionPort {
  readonly server: Server;
  readonly route: RouteContext;
  readonly inflight: InFlight;
  /** The upstream client this session uses (created on first use). */
  client(upstream: Upstream): Promise<Client>;
  /** Runs `fn` on the upstream's client as part of the downstream request `extra`: in flight
   * (for server-to-client requests), timed, failures mapped and noted in the audit record. */
  forward<T>(
    upstream: Upstream,
    extra: Extra,
    fn: (c: Client) => Promise<T>,
    method: string,
  ): Promise<T>;
}

let started = 0;
/** A process-wide order of calls started on upstreams: which of a session's calls and a held
 *  call (held-calls.ts) is the newest on a shared stdio child. */
export const nextCallSeq = (): number => ++started;

/** Downstream calls in flight per upstream, newest last: where server-to-client requests go. */
export class InFlight {
  private readonly byUpstream = new Map<string, Array<{ extra: Extra; seq: number }>>();

  async run<T>(upstream: string, extra: Extra, fn: () => Promise<T>): Promise<T> {
    const list = this.byUpstream.get(upstream) ?? [];
    this.byUpstream.set(upstream, list);
    const entry = { extra, seq: nextCallSeq() };
    list.push(entry);
    try {
      return await fn();
    } finally {
      list.splice(list.indexOf(entry), 1);
    }
  }

  /** The newest call in flight to `upstream`: an upstream asks for input about its latest work. */
  latest(upstream: string): Extra | undefined {
    return this.byUpstream.get(upstream)?.at(-1)?.extra;
  }

  /** When the newest call in flight to `upstream` started (nextCallSeq), or 0. */
  latestSeq(upstream: string): number {
    return this.byUpstream.get(upstream)?.at(-1)?.seq ?? 0;
  }

  get size(): number {
    let n = 0;
    for (const l of this.byUpstream.values()) n += l.length;
    return n;
  }
}

/** A held call (held-calls.ts) that can take a server-to-client request, and when it started. */
export interface HeldAsker {
  seq: number;
  ask(request: { method: string; params?: unknown }): Promise<Record<string, unknown>>;
}

/**
 * Installs sampling/elicitation/roots handlers on an upstream client that forward to `target`
 * (resolved per request: a session for HTTP upstreams, whichever session has the newest call
 * in flight for a shared stdio child) or, when it is newer, to the held call of a 2026-07-28
 * client on that child (`held`), which surfaces the request as `input_required`.
 */
export function installReverseHandlers(
  client: Client,
  upstream: string,
  target: () => { server: Server; inflight: InFlight } | undefined,
  /** Only what the client declared: the SDK refuses handlers for undeclared capabilities. */
  caps: { sampling?: object; elicitation?: object; roots?: object },
  held: () => HeldAsker | undefined = () => undefined,
): void {
  type Route =
    { server: Server; extra: Extra | undefined; asker?: undefined } | { asker: HeldAsker };
  const route = (): Route => {
    const t = target();
    const h = held();
    if (h && (!t || h.seq > t.inflight.latestSeq(upstream))) return { asker: h };
    if (!t)
      throw new McpError(ErrorCode.InvalidRequest, 'no client session to forward this request to');
    return { server: t.server, extra: t.inflight.latest(upstream) };
  };
  /** To the held call, on the stream of the downstream call, or as the session's own request. */
  const forward = (
    req: ServerRequest,
    schema: Parameters<Extra['sendRequest']>[1],
    own: (server: Server) => Promise<unknown>,
  ): Promise<unknown> => {
    const r = route();
    if (r.asker) return r.asker.ask(req);
    return r.extra ? r.extra.sendRequest(req, schema) : own(r.server);
  };
  if (caps.sampling)
    client.setRequestHandler(
      CreateMessageRequestSchema,
      (req) => forward(req, CreateMessageResultSchema, (s) => s.createMessage(req.params)) as never,
    );
  if (caps.elicitation)
    client.setRequestHandler(
      ElicitRequestSchema,
      (req) => forward(req, ElicitResultSchema, (s) => s.elicitInput(req.params)) as never,
    );
  if (caps.roots)
    client.setRequestHandler(
      ListRootsRequestSchema,
      (req) => forward(req, ListRootsResultSchema, (s) => s.listRoots(req.params)) as never,
    );
}

/** Request options that carry progress and cancellation across the gateway. */
export function relayOptions(extra: Extra, timeoutMs: number) {
  const token = extra._meta?.progressToken;
  return {
    signal: extra.signal,
    timeout: timeoutMs,
    resetTimeoutOnProgress: true,
    onprogress:
      token === undefined
        ? undefined
        : (p: { progress: number; total?: number; message?: string }) =>
            void extra
              .sendNotification({
                method: 'notifications/progress',
                params: { ...p, progressToken: token },
              })
              .catch(() => undefined),
  };
}

/** Relays one request to one upstream as part of the downstream request `extra`: progress and
 *  cancellation carried across, the upstream's timeout applied, failures mapped by `forward`. */
export function relayRequest<T extends Parameters<Client['request']>[1]>(
  session: SessionPort,
  upstream: Upstream,
  extra: Extra,
  method: string,
  params: Record<string, unknown>,
  schema: T,
) {
  return session.forward(
    upstream,
    extra,
    (c) => c.request({ method, params }, schema, relayOptions(extra, upstream.config.timeout_ms)),
    method,
  );
}

/** Params to send upstream: the client's progress token is replaced by the SDK's own. */
export function upstreamParams<P extends { _meta?: Record<string, unknown> }>(params: P): P {
  if (!params._meta || !('progressToken' in params._meta)) return params;
  const { progressToken: _drop, ...meta } = params._meta;
  return { ...params, _meta: meta };
}

/** Maps an upstream failure to the error the downstream client sees. */
/**
 * An upstream's JSON-RPC error as the client should see it: its code, data and the upstream's
 * own message. (The SDK's McpError prefixes "MCP error <code>: " to the message, and the SDK
 * server sends that message on; relayed as is, each hop would add the prefix again.)
 */
class RelayedError extends McpError {
  constructor(e: McpError) {
    super(e.code, e.message, e.data);
    this.message = e.message.replace(/^(MCP error -?\d+: )+/, '');
  }
}

export function upstreamError(upstream: string, e: unknown): McpError {
  if (e instanceof McpError) {
    if (e.code === ErrorCode.RequestTimeout)
      return new McpError(HTTP_ERRORS.UPSTREAM_TIMEOUT.rpcCode, `upstream ${upstream} timed out`);
    if (e.code === ErrorCode.ConnectionClosed)
      return new McpError(
        HTTP_ERRORS.UPSTREAM_UNAVAILABLE.rpcCode,
        `upstream ${upstream} closed the connection`,
      );
    return new RelayedError(e); // the upstream's own JSON-RPC error, unchanged
  }
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'number' && code === HTTP_ERRORS.UPSTREAM_UNAVAILABLE.rpcCode)
    return new McpError(code, (e as Error).message);
  return new McpError(
    HTTP_ERRORS.UPSTREAM_UNAVAILABLE.rpcCode,
    `upstream ${upstream} failed: ${(e as Error)?.message ?? e}`,
  );
}
