// The calls in flight on a stdio child that several downstream clients share, and what the
// child's own messages are attributed to. On stdio JSON-RPC nothing on the wire says which
// request a server-to-client request or a log message belongs to (MCP 2025-11-25 "Transports":
// the related request is only known on Streamable HTTP, by the stream it travels on; the SDK's
// `relatedRequestId` is dropped by its stdio transport). What the gateway can know:
//   - progress: by its token. The SDK client gives each request it sends its own token (its
//     message id) and maps the notifications back, so a client-chosen token never reaches the
//     child (relay.ts upstreamParams, held-calls.ts);
//   - anything else: when exactly one call is in flight on the child, it caused the message.
// Otherwise the message belongs to nobody the gateway can name, and it is dropped — a request
// refused, a notification not passed on — with an audit record (outcome `dropped`) and a log
// line, rather than given to the newest call, which may be another user's. A child run for one
// subject only (`isolation: per_subject`) serves that subject's calls: its messages go to the
// subject's newest call in flight, never to another subject.

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  CreateMessageResultSchema,
  ElicitRequestSchema,
  ElicitResultSchema,
  ErrorCode,
  ListRootsRequestSchema,
  ListRootsResultSchema,
  LoggingMessageNotificationSchema,
  McpError,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { Auditor } from '../audit/index.ts';
import type { Subject } from '../auth/index.ts';
import type { JsonRpcMessage } from '../transport/body.ts';
import { subjectKey } from '../upstream/child-pool.ts';
import type { Extra } from './relay.ts';
import type { RouteContext } from './route-context.ts';
import type { LogParams } from './notices.ts';

/** One downstream call running on a shared child. */
export interface SharedCall {
  /** Passes a log message of this call on (absent: the call has no stream for one). */
  log?(params: LogParams): void;
  /** Puts a server-to-client request of this call to its client; resolves with the answer. */
  ask(request: ServerRequest, schema: Parameters<Extra['sendRequest']>[1]): Promise<unknown>;
}

interface Child {
  readonly calls: Set<SharedCall>;
  /** Set for a child that serves one subject's calls only (isolation: per_subject). */
  readonly oneSubject: boolean;
}

const children = new WeakMap<Client, Child>();

function childOf(client: Client): Child {
  let c = children.get(client);
  if (!c) children.set(client, (c = { calls: new Set(), oneSubject: false }));
  return c;
}

/** Runs `fn` as `call` on the shared child behind `client`: its messages may be attributed to
 *  the call while it runs. */
export async function runShared<T>(
  client: Client,
  call: SharedCall,
  fn: () => Promise<T>,
): Promise<T> {
  const { calls } = childOf(client);
  calls.add(call);
  try {
    return await fn();
  } finally {
    calls.delete(call);
  }
}

/** Whether a call is in flight on the child behind `client` (its idle time does not run). */
export const busy = (client: Client): boolean => (children.get(client)?.calls.size ?? 0) > 0;

/** The call a message of the child belongs to, or why none can be named. */
export function attribute(
  client: Client,
): { call: SharedCall; count: number } | { call?: undefined; count: number; reason: string } {
  const { calls, oneSubject } = childOf(client);
  const count = calls.size;
  if (count === 1 || (oneSubject && count > 1)) return { call: [...calls].at(-1)!, count };
  return {
    count,
    reason:
      count === 0
        ? 'no call in flight on the shared stdio child'
        : `${count} calls in flight on the shared stdio child: the message names none of them`,
  };
}

/**
 * A tools/call of a 2025 session to a per-subject stdio upstream gets its child before the SDK
 * answers: when none can be started (upstreams[].max_children), the answer is HTTP 503, not an
 * error inside an already started stream.
 */
export async function admitChild(
  route: RouteContext,
  msg: JsonRpcMessage | JsonRpcMessage[] | undefined,
  subject: Subject,
): Promise<void> {
  if (!msg || Array.isArray(msg) || msg.method !== 'tools/call') return;
  const u = route.index.tool(String(msg.params?.name))?.upstream;
  if (u?.kind === 'stdio' && u.config.isolation === 'per_subject')
    await u.sessionClient({}, subjectKey(subject));
}

export interface DropSink {
  audit: Auditor;
  log: Logger;
}

/** A message nobody can be given: recorded (outcome `dropped`) and logged. */
export function dropped(
  sink: DropSink,
  upstream: string,
  message: { method: string; id?: string | number },
  reason: string,
): void {
  sink.log.warn({ upstream, method: message.method, reason }, 'upstream message dropped');
  void sink.audit
    .record({
      time: new Date().toISOString(),
      request_id: message.id ?? null,
      subject: null,
      client: null,
      route: `stdio:${upstream}`,
      upstream,
      method: message.method,
      tool: null,
      decision: 'none',
      reasons: [reason],
      outcome: 'dropped',
      status: 0,
      duration_ms: 0,
      policy_revision: null,
    })
    .catch((err: unknown) =>
      sink.log.error({ err, upstream }, 'audit record of a dropped message could not be written'),
    );
}

/**
 * Installs on a shared child's client (every child of a stdio upstream, restarted ones too):
 * server-to-client requests and log messages go to the call they are attributed to, or are
 * dropped; progress with a token no call holds is dropped by the SDK, and recorded here.
 */
export function attachShared(
  client: Client,
  upstream: string,
  sink: DropSink,
  opts: { oneSubject?: boolean } = {},
): void {
  if (opts.oneSubject) children.set(client, { calls: childOf(client).calls, oneSubject: true });
  const forward = (
    req: ServerRequest,
    extra: { requestId: string | number },
    schema: Parameters<Extra['sendRequest']>[1],
  ): Promise<unknown> => {
    const a = attribute(client);
    if (a.call) return a.call.ask(req, schema);
    dropped(sink, upstream, { method: req.method, id: extra.requestId }, a.reason);
    throw new McpError(ErrorCode.InvalidRequest, `request not relayed: ${a.reason}`);
  };
  client.setRequestHandler(
    CreateMessageRequestSchema,
    (req, extra) => forward(req, extra, CreateMessageResultSchema) as never,
  );
  client.setRequestHandler(
    ElicitRequestSchema,
    (req, extra) => forward(req, extra, ElicitResultSchema) as never,
  );
  client.setRequestHandler(
    ListRootsRequestSchema,
    (req, extra) => forward(req, extra, ListRootsResultSchema) as never,
  );
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    const a = attribute(client);
    if (a.call) return a.call.log?.(n.params);
    // With nothing in flight the message is nobody's work (a child's own chatter): not passed
    // on, as before, and not worth a record each. With calls in flight it may be one of theirs.
    if (a.count === 0) sink.log.debug({ upstream }, 'upstream log message with no call in flight');
    else dropped(sink, upstream, { method: n.method }, a.reason);
  });
  // The SDK reports progress whose token no request of this client holds through onerror.
  const prior = client.onerror;
  client.onerror = (e) => {
    if (/progress notification for an unknown token/.test(e.message))
      dropped(sink, upstream, { method: 'notifications/progress' }, 'progress token of no call');
    prior?.(e);
  };
}
