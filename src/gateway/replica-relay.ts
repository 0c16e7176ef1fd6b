// Held calls across replicas (MCP 2026-07-28 client, 2025-era upstream that asks for input).
//
// Such a call is an open upstream exchange: its answer will arrive on the connection of the
// replica that started it (held-calls.ts), so no other replica can continue it. With
// `sessions.advertise_url` set, that replica writes its own address into the sealed
// `requestState` (session/request-state.ts). A retry that a load balancer sends elsewhere is
// relayed to it here: same route, same headers (the bearer token included: the owner checks
// the token and the policy again, and writes the call's audit record), the answer streamed
// back as it comes. The address comes from a sealed state, so a client cannot point a
// replica at a host of its choosing; a relayed request carries FORWARDED_HEADER and is never
// relayed again.

import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { httpError } from '../transport/errors.ts';
import type { JsonRpcMessage } from '../transport/body.ts';

/** Set on a relayed request (the relaying replica's address): the owner must not relay it on. */
export const FORWARDED_HEADER = 'x-warden-relayed-by';

/** Thrown where a retry's held call belongs to another replica. */
export class HeldElsewhere extends Error {
  constructor(readonly replica: string) {
    super(`the call is held by replica ${replica}`);
  }
}

/** Whether a request's held call may be relayed: it was not relayed already. */
export const mayRelay = (req: IncomingMessage): boolean =>
  req.headers[FORWARDED_HEADER] === undefined;

// RFC 9110 §7.6.1: connection-specific fields are not forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);

/**
 * Relays `msg` (the request as the client sent it) to `replica` on `path` and pipes the answer
 * back. Resolves with the owner's status once the answer is complete; rejects with
 * UPSTREAM_UNAVAILABLE when the owner cannot be reached before anything was answered.
 */
export function relayToReplica(
  replica: string,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
  msg: JsonRpcMessage,
  self: string | undefined,
  connectMs: number,
): Promise<number> {
  const url = new URL(path, replica.endsWith('/') ? replica : `${replica}/`);
  const body = JSON.stringify(msg);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined && !HOP_BY_HOP.has(k) && k !== 'content-length') headers[k] = v;
  headers['content-length'] = String(Buffer.byteLength(body));
  headers[FORWARDED_HEADER] = self ?? 'unknown';
  return new Promise<number>((ok, fail) => {
    let settled = false;
    /** Settles once: the owner's status when its answer ended, else why the relay failed. */
    const settle = (status: number, e?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(connecting);
      if (!e) return ok(status);
      if (!res.headersSent)
        return fail(
          httpError('UPSTREAM_UNAVAILABLE', `replica ${replica} holding the call: ${e.message}`),
        );
      res.destroy(e); // the answer had started: cut it, as a dying upstream's would be
      ok(502);
    };
    const out = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'POST',
      headers,
    });
    // A replica that cannot be reached in time is an unavailable upstream. Once connected,
    // no timer: the owner answers when the upstream asks its next question or ends the call.
    const connecting = setTimeout(
      () => out.destroy(new Error(`not reachable in ${connectMs} ms`)),
      connectMs,
    );
    out.once('socket', (socket) => {
      if (!socket.connecting) clearTimeout(connecting);
      else socket.once('connect', () => clearTimeout(connecting));
    });
    out.on('error', (e) => settle(502, e));
    let answered = false;
    out.once('close', () => {
      if (!answered) settle(502, new Error('the connection closed before an answer'));
    });
    out.once('response', (answer) => {
      answered = true;
      const status = answer.statusCode ?? 502;
      const fwd: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers))
        if (v !== undefined && !HOP_BY_HOP.has(k)) fwd[k] = v;
      res.writeHead(status, fwd);
      answer.pipe(res);
      answer.once('end', () => settle(status));
      answer.on('error', (e) => settle(502, e));
      answer.once('close', () => settle(502, new Error('the answer was cut')));
    });
    // The client left: so does the relayed exchange (MCP 2026-07-28: closing is cancelling).
    res.once('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    out.end(body);
  });
}
