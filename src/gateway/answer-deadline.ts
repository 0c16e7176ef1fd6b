// The drop-in route's upstream timeout bounds the wait for the answer, not only for its
// headers. MCP 2025-11-25 Streamable HTTP lets a POST's answer be a stream that runs until the
// response to the request; an upstream that opens one and never answers would hold the
// client, the socket and the request's state forever. The stream is cut at `timeout_ms` after
// the request went out, as the SDK's request timeout does on /mcp, and a progress notification
// for the request restarts the wait (as /mcp's `resetTimeoutOnProgress`). The client gets the
// JSON-RPC timeout error for its request (in the stream when one is open) and the audit record
// says timed out.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JsonRpcMessage } from '../transport/body.ts';
import { httpError, sendError } from '../transport/errors.ts';
import { messageEvent } from '../transport/sse.ts';
import type { ProxyOutcome } from './dropin-proxy.ts';
import type { AnswerHead } from './upstream-post.ts';

/** The part of a forwarded request's state the deadline reads and sets. */
export interface Deadlined {
  msg?: JsonRpcMessage;
  sentAt: number;
  answerTimer?: NodeJS.Timeout;
  timedOut?: boolean;
  cut?: boolean;
  done: (o: ProxyOutcome) => Promise<void> | void;
}

interface TimedUpstream {
  name: string;
  config: { timeout_ms: number };
}

/** Starts (or restarts) the wait for the answer to a POSTed request; no-op for anything else. */
export function armAnswerDeadline(
  p: Deadlined,
  upstream: TimedUpstream,
  req: IncomingMessage,
  res: ServerResponse,
  answer: AnswerHead,
): void {
  const id = p.msg?.id;
  if (req.method !== 'POST' || id === undefined || id === null) return;
  const left = upstream.config.timeout_ms - (performance.now() - p.sentAt);
  clearTimeout(p.answerTimer);
  p.answerTimer = setTimeout(() => cut(p, upstream, res, answer, id), Math.max(0, left));
}

/** A progress notification in the answer: for this request's token, the wait starts again. */
export function progressed(
  p: Deadlined,
  m: Record<string, unknown>,
  upstream: TimedUpstream,
  req: IncomingMessage,
  res: ServerResponse,
  answer: AnswerHead,
): void {
  const meta = (p.msg?.params as { _meta?: { progressToken?: unknown } } | undefined)?._meta;
  const token = meta?.progressToken;
  const got = (m.params as { progressToken?: unknown } | undefined)?.progressToken;
  if (token === undefined || got !== token || p.answerTimer === undefined) return;
  p.sentAt = performance.now();
  armAnswerDeadline(p, upstream, req, res, answer);
}

function cut(
  p: Deadlined,
  upstream: TimedUpstream,
  res: ServerResponse,
  answer: AnswerHead,
  id: string | number,
): void {
  p.timedOut = true;
  p.cut = true;
  answer.destroy();
  const e = httpError('UPSTREAM_TIMEOUT', `upstream ${upstream.name} timed out`);
  const error = { code: e.rpcCode, message: e.message };
  const tell = () => {
    if (res.destroyed || res.writableEnded) return;
    if (!res.headersSent) return sendError(res, e, id);
    // A stream is open: the error is the answer to the request, then the stream ends.
    res.end(messageEvent({ id, error }));
  };
  // The outcome first (the audit record), then the client, as for any failed exchange.
  const gate = p.done({ status: e.status, answer: { error } });
  if (!gate) return tell();
  gate.then(tell, () => res.destroy());
}
