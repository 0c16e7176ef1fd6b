// The one table of gateway errors that reach a client, and the one place they become HTTP
// responses. Everything below src/gateway throws or returns WardenErrors; only `sendError`
// writes them. Statuses follow MCP 2025-11-25 "Streamable HTTP" and the SDK's choices
// (missing session 400, unknown session 404 with -32001); JSON-RPC codes in the
// implementation-defined server range (-32000…-32099) are ours and stable.

import type { ServerResponse } from 'node:http';
import { WardenError, isWardenError } from '../errors/index.ts';

export interface ErrorSpec {
  status: number;
  rpcCode: number;
}

/** code → HTTP status and JSON-RPC error code. README "HTTP errors" reproduces this table. */
export const HTTP_ERRORS = {
  PARSE_ERROR: { status: 400, rpcCode: -32700 },
  INVALID_REQUEST: { status: 400, rpcCode: -32600 },
  BATCH_NOT_SUPPORTED: { status: 400, rpcCode: -32600 },
  SESSION_REQUIRED: { status: 400, rpcCode: -32000 },
  SESSION_NOT_FOUND: { status: 404, rpcCode: -32001 },
  UNKNOWN_UPSTREAM: { status: 404, rpcCode: -32004 },
  NOT_FOUND: { status: 404, rpcCode: -32601 },
  METHOD_NOT_ALLOWED: { status: 405, rpcCode: -32000 },
  NOT_ACCEPTABLE: { status: 406, rpcCode: -32000 },
  PAYLOAD_TOO_LARGE: { status: 413, rpcCode: -32000 },
  /** The body did not arrive within `limits.body_timeout_ms`; the connection is closed. */
  BODY_TIMEOUT: { status: 408, rpcCode: -32000 },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, rpcCode: -32000 },
  ORIGIN_FORBIDDEN: { status: 403, rpcCode: -32000 },
  /** No or invalid token: 401 with the RFC 9728 `resource_metadata` challenge. */
  UNAUTHENTICATED: { status: 401, rpcCode: -32005 },
  /** Token lacks the tool's scope or a fresh approval: 403 `insufficient_scope` step-up. */
  INSUFFICIENT_SCOPE: { status: 403, rpcCode: -32003 },
  AUTH_UNAVAILABLE: { status: 503, rpcCode: -32012 },
  /** A policy denial other than scope/approval: HTTP 200, the JSON-RPC error carries reasons. */
  POLICY_DENIED: { status: 200, rpcCode: -32003 },
  /** A new session while the subject holds `limits.max_sessions_per_subject` on the route, all
   * of them busy (an idle one is ended instead, gateway/session-cap.ts). */
  SESSION_LIMIT: { status: 429, rpcCode: -32000 },
  UPSTREAM_UNAVAILABLE: { status: 502, rpcCode: -32010 },
  UPSTREAM_TIMEOUT: { status: 504, rpcCode: -32011 },
  /** An upstream answer (JSON body, or one SSE event) over `max_answer_bytes`: not buffered. */
  UPSTREAM_ANSWER_TOO_LARGE: { status: 502, rpcCode: -32010 },
  /** A stdio upstream with `isolation: per_subject` runs `max_children` children already, none
   *  of them this subject's and none idle. */
  UPSTREAM_BUSY: { status: 503, rpcCode: -32014 },
  SHUTTING_DOWN: { status: 503, rpcCode: -32012 },
  NOT_READY: { status: 503, rpcCode: -32012 },
  /** A remote audit sink's spool is full and `audit.on_full: reject`: no call without a record
   * (issue #5). Sent with Retry-After. */
  AUDIT_UNAVAILABLE: { status: 503, rpcCode: -32013 },
  /** Tool arguments fail the tool's inputSchema (src/registry): JSON-RPC Invalid params. */
  INVALID_PARAMS: { status: 200, rpcCode: -32602 },
  /** Params the gateway cannot decide on or record as sent (a number JSON cannot carry, nesting
   * past the limit, a tools/call without a string name): refused before anything is forwarded. */
  MALFORMED_PARAMS: { status: 400, rpcCode: -32602 },
  INTERNAL: { status: 500, rpcCode: -32603 },
  /** MCP 2026-07-28: a standard or `Mcp-Param-*` header missing or disagreeing with the body. */
  HEADER_MISMATCH: { status: 400, rpcCode: -32020 },
  /** MCP 2026-07-28: the request needs a client capability it did not declare, or asks for
   * something no translation between eras can provide. */
  MISSING_CAPABILITY: { status: 400, rpcCode: -32021 },
  /** MCP 2026-07-28: a protocol version the gateway (or the upstream) does not serve; `data`
   * lists the supported ones. */
  UNSUPPORTED_VERSION: { status: 400, rpcCode: -32022 },
  /** MCP 2026-07-28: a malformed or missing per-request `_meta` envelope. */
  INVALID_ENVELOPE: { status: 400, rpcCode: -32602 },
  /** MCP 2026-07-28 MRTR: a `requestState` the gateway did not mint for this principal and
   * request, or one that expired. */
  INVALID_REQUEST_STATE: { status: 200, rpcCode: -32602 },
} as const satisfies Record<string, ErrorSpec>;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

export function httpError(
  code: HttpErrorCode,
  message: string,
  details?: Record<string, unknown>,
): WardenError {
  return new WardenError(code, message, { ...HTTP_ERRORS[code], details });
}

export type JsonRpcId = string | number | null;

export function rpcErrorBody(id: JsonRpcId, code: number, message: string, data?: unknown): string {
  const error: Record<string, unknown> = { code, message };
  if (data !== undefined) error.data = data;
  return JSON.stringify({ jsonrpc: '2.0', id, error });
}

/**
 * Writes any error as an HTTP response with a JSON-RPC error body. Unknown errors become 500
 * -32603 without their message (it may hold internals); WardenErrors keep theirs.
 */
export function sendError(
  res: ServerResponse,
  err: unknown,
  id: JsonRpcId = null,
  headers: Record<string, string> = {},
): void {
  const e = isWardenError(err) ? err : httpError('INTERNAL', 'internal error');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = rpcErrorBody(id, e.rpcCode, e.message, e.details);
  res.writeHead(e.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...(e.code === 'METHOD_NOT_ALLOWED' ? { allow: 'GET, POST, DELETE' } : {}),
    ...headers,
  });
  res.end(body);
}

/** A JSON document answer (health, manifests, metadata). */
export function sendJson(
  res: ServerResponse,
  status: number,
  doc: unknown,
  headers: Record<string, string> = {},
): void {
  const body = JSON.stringify(doc);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}
