// What the gateway does to a 2026-07-28 request before it is forwarded, and to its answer on
// the way back, on either route (the headers were checked at parse time, transport/era.ts and
// param-headers.ts):
//   - a `requestState` the client echoes is one the gateway sealed (session/request-state.ts):
//     opened for this principal and this request, or refused; the upstream gets its own state
//     back, never the sealed one;
//   - an `input_required` answer's `requestState` is sealed before it reaches the client;
//   - lists the gateway filtered per token say `cacheScope: "private"` (MCP 2026-07-28
//     "Caching": an answer that varies by authorization must not be shared across tokens).

import type { IncomingMessage } from 'node:http';
import type { Subject } from '../auth/index.ts';
import type { JsonRpcMessage } from '../transport/body.ts';
import { httpError } from '../transport/errors.ts';
import { sessionSubject } from '../session/seal.ts';
import { requestDigest, type RequestStateSealer } from '../session/request-state.ts';
import { TASK_METHODS } from './task-ids.ts';

/** Methods that may answer `input_required` (MCP 2026-07-28 MRTR). */
export const MRTR_METHODS = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** The sealing context of one request: how to seal the state of its answer. */
export interface StateBinding {
  principal: string;
  digest: string;
  upstream: string;
  /** A task request's task id as the client sent it (task-ids.ts): its answer names it so. */
  taskId?: string;
}

export function bindingOf(msg: JsonRpcMessage, subject: Subject, upstream: string): StateBinding {
  const params = msg.params as Record<string, unknown> | undefined;
  return {
    principal: sessionSubject(subject),
    digest: requestDigest(msg.method!, params),
    upstream,
    ...(TASK_METHODS.has(msg.method!) && typeof params?.taskId === 'string'
      ? { taskId: params.taskId }
      : {}),
  };
}

/**
 * Opens the client's `requestState`. Returns the upstream's own state (undefined when the
 * gateway minted none) and the held-call handle of an era translation, or throws -32602.
 */
export function openState(
  states: RequestStateSealer,
  msg: JsonRpcMessage,
  b: StateBinding,
): { state?: string; held?: string; replica?: string } | undefined {
  const token = (msg.params as { requestState?: unknown } | undefined)?.requestState;
  if (token === undefined) return undefined;
  const s = typeof token === 'string' ? states.open(token, b.principal, b.digest) : null;
  if (!s || s.upstream !== b.upstream)
    throw httpError(
      'INVALID_REQUEST_STATE',
      'Invalid params: requestState is not valid for this request (tampered, expired, or issued to another principal or call)',
    );
  return { state: s.state, held: s.held, replica: s.replica };
}

/**
 * The drop-in route: swaps a sealed `requestState` for the upstream's. Returns the body to
 * forward (a new one when rewritten, with Content-Length fixed) or the original.
 */
export function prepareDropIn(
  req: IncomingMessage,
  msg: JsonRpcMessage,
  body: Buffer,
  states: RequestStateSealer,
  b: StateBinding,
): Buffer {
  const params = (msg.params ?? {}) as Record<string, unknown>;
  if (!MRTR_METHODS.has(msg.method!)) return body;
  const opened = openState(states, msg, b);
  if (!opened) return body;
  const next = { ...params };
  if (opened.state === undefined) delete next.requestState;
  else next.requestState = opened.state;
  const out = Buffer.from(JSON.stringify({ ...msg, params: next }));
  req.headers['content-length'] = String(out.length);
  return out;
}

/**
 * The answer's result as the client sees it: a sealed `requestState` on `input_required`,
 * `cacheScope: "private"` on a filtered list. Returns undefined when nothing changes.
 */
export function clientAnswer(
  result: Record<string, unknown>,
  states: RequestStateSealer,
  b: StateBinding,
  filtered: boolean,
): Record<string, unknown> | undefined {
  if (result.resultType === 'input_required' && typeof result.requestState === 'string')
    return {
      ...result,
      requestState: states.seal(
        { upstream: b.upstream, state: result.requestState },
        b.principal,
        b.digest,
      ),
    };
  if (filtered && result.cacheScope !== 'private') return { ...result, cacheScope: 'private' };
  return undefined;
}
