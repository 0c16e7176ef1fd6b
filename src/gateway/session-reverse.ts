// Server-to-client requests (sampling, elicitation, roots) of sealed sessions. The client's
// answer is a new POST that the load balancer may send to any replica, where the SDK request
// that asked no longer exists. So on a sealed session the gateway does not ask itself: it
// passes the upstream's request down on the stream of the call that caused it (MCP 2025-11-25
// "Transports": related messages go on that request's stream) under an id naming the upstream
// and the upstream's own request id, and whichever replica receives the answer posts it to that
// upstream session, where the request is pending. The replica that relayed the request never
// answers it itself.

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  ListRootsRequestSchema,
  McpError,
  type ClientCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { JsonRpcMessage } from '../transport/body.ts';
import type { SessionState } from '../session/seal.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { httpError } from '../transport/errors.ts';
import type { InFlight } from './relay.ts';

/** Ids of relayed requests: `warden:<upstream>:<JSON of the upstream's request id>`. */
const PREFIX = 'warden:';

interface Relaying {
  readonly transport: StreamableHTTPServerTransport;
  readonly inflight: InFlight;
}

/** The id a relayed request carries downstream. */
export const relayedId = (upstream: string, id: string | number): string =>
  `${PREFIX}${upstream}:${JSON.stringify(id)}`;

/** Installs pass-through handlers for what the client declared (the SDK refuses others). */
export function installPassThrough(
  client: Client,
  upstream: string,
  session: Relaying,
  caps: ClientCapabilities,
): void {
  const relay = async (
    req: { method: string; params?: unknown },
    extra: { requestId: string | number; signal: AbortSignal },
  ): Promise<never> => {
    const down = session.inflight.latest(upstream);
    if (!down)
      throw new McpError(ErrorCode.InvalidRequest, 'no client request to relay this request on');
    await session.transport.send(
      {
        jsonrpc: '2.0',
        id: relayedId(upstream, extra.requestId),
        method: req.method,
        params: req.params as Record<string, unknown>,
      },
      { relatedRequestId: down.requestId },
    );
    // Answered by whichever replica gets the client's answer (forwardAnswers); this handler
    // only ends with the client (its abort), and the SDK sends nothing for an aborted one.
    return new Promise<never>((_, reject) =>
      extra.signal.addEventListener('abort', () => reject(extra.signal.reason), { once: true }),
    );
  };
  if (caps.sampling) client.setRequestHandler(CreateMessageRequestSchema, relay);
  if (caps.elicitation) client.setRequestHandler(ElicitRequestSchema, relay);
  if (caps.roots) client.setRequestHandler(ListRootsRequestSchema, relay);
}

/** The message(s), when every one is an answer to a relayed request; otherwise undefined. */
export function relayedAnswers(
  msg: JsonRpcMessage | JsonRpcMessage[] | undefined,
): JsonRpcMessage[] | undefined {
  const list = msg === undefined ? [] : Array.isArray(msg) ? msg : [msg];
  const ok =
    list.length > 0 &&
    list.every(
      (m) =>
        m.method === undefined &&
        typeof m.id === 'string' &&
        m.id.startsWith(PREFIX) &&
        ('result' in m || 'error' in m),
    );
  return ok ? list : undefined;
}

/** Posts each answer to the upstream session that asked, with the upstream's own id. */
export async function forwardAnswers(
  answers: JsonRpcMessage[],
  upstreams: Upstream[],
  state: SessionState,
): Promise<void> {
  for (const a of answers) {
    const rest = (a.id as string).slice(PREFIX.length);
    const colon = rest.indexOf(':');
    const name = rest.slice(0, colon);
    const upstream = upstreams.find((u) => u.name === name && u.kind === 'http');
    const sid = state.upstreamSessions[name];
    let id: unknown;
    try {
      id = JSON.parse(rest.slice(colon + 1));
    } catch {
      id = undefined;
    }
    if (!upstream || sid === undefined || (typeof id !== 'string' && typeof id !== 'number'))
      throw httpError('INVALID_REQUEST', `unknown relayed request ${String(a.id)}`);
    const headers: Record<string, string> = {
      ...(await upstream.headers()),
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': state.upstreamVersions?.[name] ?? state.protocolVersion,
    };
    if (sid) headers['mcp-session-id'] = sid;
    const res = await fetch(upstream.config.url!, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...a, id }),
      signal: AbortSignal.timeout(upstream.config.timeout_ms),
      redirect: 'error', // the upstream's credentials go to its own URL only
    }).catch((e: unknown) => {
      throw httpError(
        'UPSTREAM_UNAVAILABLE',
        `upstream ${name} is unreachable: ${(e as Error).message}`,
      );
    });
    await res.arrayBuffer().catch(() => undefined);
    // The upstream forgot its session (restart, expiry): so does the client's (MCP 404).
    if (res.status === 404) throw httpError('SESSION_NOT_FOUND', 'Session not found');
  }
}
