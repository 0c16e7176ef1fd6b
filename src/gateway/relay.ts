// Relaying between a downstream session (the gateway's SDK Server) and an upstream SDK Client:
// server-to-client requests (sampling, elicitation, roots) travel back on the stream of the
// downstream call that caused them; progress tokens are remapped (the client's token never
// goes upstream: the SDK client sends one of its own per request and maps it back); cancellation follows the
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

/** Downstream calls in flight per upstream, newest last: where an HTTP upstream's
 *  server-to-client requests on this session's own connection go. */
export class InFlight {
  private readonly byUpstream = new Map<string, Extra[]>();

  async run<T>(upstream: string, extra: Extra, fn: () => Promise<T>): Promise<T> {
    const list = this.byUpstream.get(upstream) ?? [];
    this.byUpstream.set(upstream, list);
    list.push(extra);
    try {
      return await fn();
    } finally {
      list.splice(list.indexOf(extra), 1);
    }
  }

  /** The newest call in flight to `upstream`: an upstream asks for input about its latest work. */
  latest(upstream: string): Extra | undefined {
    return this.byUpstream.get(upstream)?.at(-1);
  }

  get size(): number {
    let n = 0;
    for (const l of this.byUpstream.values()) n += l.length;
    return n;
  }
}

/**
 * Installs sampling/elicitation/roots handlers on a session's own (HTTP) upstream client that
 * forward to that session: on the stream of its newest call to the upstream, or as the
 * session's own request. (A shared stdio child's handlers are shared-calls.ts attachShared.)
 */
export function installReverseHandlers(
  client: Client,
  upstream: string,
  target: () => { server: Server; inflight: InFlight },
  /** Only what the client declared: the SDK refuses handlers for undeclared capabilities. */
  caps: { sampling?: object; elicitation?: object; roots?: object },
): void {
  /** On the stream of the downstream call, or as the session's own request. */
  const forward = (
    req: ServerRequest,
    schema: Parameters<Extra['sendRequest']>[1],
    own: (server: Server) => Promise<unknown>,
  ): Promise<unknown> => {
    const t = target();
    const extra = t.inflight.latest(upstream);
    return extra ? extra.sendRequest(req, schema) : own(t.server);
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
