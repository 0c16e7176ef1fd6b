// What one JSON-RPC message must be before the gateway decides on it, so that the message it
// decides, the message it records and the message it forwards are the same one:
//
//   - classified by its `method`, never by its framing (MCP 2025-11-25 "Base Protocol"
//     §Messages): a method under `notifications/` is a notification and has no id; every other
//     method is a request and has a string or number id (MCP: "MUST NOT be null"). A request
//     method sent without an id would reach the upstream as a call nobody authorized, since a
//     notification is never answered and so never decided; it is refused (400 / -32600);
//   - representable: every number finite (`1e999` parses to Infinity, which JSON, the audit's
//     canonical form (RFC 8785 §3.2.2.3) and the policy input cannot carry), nesting at most
//     MAX_DEPTH containers (checked without recursion, so depth costs no stack), and no
//     `__proto__` member (an object built member by member — the audit's redacted copy, the
//     policy input — would take it as a prototype and lose it: the record would not be what
//     was forwarded). A fault in `params` is 400 / -32602, elsewhere 400 / -32600; either names
//     the JSON Pointer (RFC 6901) of the value at fault;
//   - for the methods the gateway decides on, shaped as it reads them (`tools/call`: a string
//     `name`, an object `arguments` when present): otherwise another reader could find a tool
//     name where the gateway found none.

import type { WardenError } from '../errors/index.ts';
import { httpError, type HttpErrorCode, type JsonRpcId } from './errors.ts';

/** Containers (objects and arrays) nested in one message, the message itself counting as one. */
export const MAX_DEPTH = 64;

export interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: JsonRpcId;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: unknown;
}

/** MCP's notification methods all live under `notifications/` (schema.ts, every revision). */
export const isNotificationMethod = (method: string): boolean =>
  method.startsWith('notifications/');

/** A refusal of a message that did parse: carries it, so that the refusal's audit record can
 * name its method, id and tool. */
export interface RefusedMessage extends WardenError {
  refused?: Record<string, unknown>;
}

export function refusedMessageOf(e: unknown): Record<string, unknown> | undefined {
  return (e as RefusedMessage | undefined)?.refused;
}

function refuse(
  code: HttpErrorCode,
  message: string,
  doc: Record<string, unknown>,
  path?: string,
): RefusedMessage {
  const e: RefusedMessage = httpError(code, message, path === undefined ? undefined : { path });
  // Not enumerable: never part of the client's error body.
  Object.defineProperty(e, 'refused', { value: doc, enumerable: false });
  return e;
}

/** RFC 6901 §3: `~` and `/` in a member name are escaped. */
const token = (k: string | number): string =>
  typeof k === 'number' ? String(k) : k.replace(/~/g, '~0').replace(/\//g, '~1');

interface Frame {
  node: Record<string, unknown> | unknown[];
  keys: string[] | null;
  i: number;
}

function pointer(stack: Frame[], last: string | number): string {
  let p = '';
  for (let d = 0; d < stack.length - 1; d++) {
    const f = stack[d];
    p += `/${token(f.keys ? f.keys[f.i - 1] : f.i - 1)}`;
  }
  return `${p}/${token(last)}`;
}

const frame = (node: object): Frame =>
  Array.isArray(node)
    ? { node, keys: null, i: 0 }
    : { node: node as Record<string, unknown>, keys: Object.keys(node), i: 0 };

/** Walks a parsed message depth-first with an explicit stack; throws at the first value the
 * record or the policy input cannot hold. */
function checkRepresentable(doc: Record<string, unknown>): void {
  const stack: Frame[] = [frame(doc)];
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    const n = f.keys ? f.keys.length : (f.node as unknown[]).length;
    if (f.i >= n) {
      stack.pop();
      continue;
    }
    const k: string | number = f.keys ? f.keys[f.i] : f.i;
    f.i++;
    const v = (f.node as Record<string | number, unknown>)[k];
    let problem: string | undefined;
    if (k === '__proto__') problem = 'a member named __proto__ cannot be recorded';
    else if (typeof v === 'number') {
      if (!Number.isFinite(v)) problem = 'a number out of range (JSON cannot carry it)';
    } else if (v !== null && typeof v === 'object') {
      if (stack.length >= MAX_DEPTH) problem = `nesting deeper than ${MAX_DEPTH} levels`;
      else stack.push(frame(v));
    }
    if (problem !== undefined) {
      const path = pointer(stack, k); // f is still the top: nothing was pushed
      const inParams = path.startsWith('/params/');
      throw refuse(
        inParams ? 'MALFORMED_PARAMS' : 'INVALID_REQUEST',
        `${inParams ? 'Invalid params' : 'Invalid Request'}: ${problem} at ${path}`,
        doc,
        path,
      );
    }
  }
}

/** Checks one parsed JSON value as a JSON-RPC 2.0 message of MCP (see the file comment). */
export function checkMessage(doc: unknown): JsonRpcMessage {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw httpError('INVALID_REQUEST', 'Invalid Request: not a JSON-RPC 2.0 message');
  const m = doc as Record<string, unknown>;
  if (m.jsonrpc !== '2.0')
    throw refuse('INVALID_REQUEST', 'Invalid Request: jsonrpc must be "2.0"', m, '/jsonrpc');
  checkRepresentable(m);
  const { method, id, params } = m;
  const hasId = Object.hasOwn(m, 'id');
  if (method !== undefined && typeof method !== 'string')
    throw refuse('INVALID_REQUEST', 'Invalid Request: method must be a string', m, '/method');
  if (hasId && id !== null && typeof id !== 'string' && typeof id !== 'number')
    throw refuse('INVALID_REQUEST', 'Invalid Request: id must be a string or number', m, '/id');
  if (
    params !== undefined &&
    (params === null || typeof params !== 'object' || Array.isArray(params))
  )
    throw refuse('INVALID_REQUEST', 'Invalid Request: params must be an object', m, '/params');
  if (typeof method === 'string') {
    if (isNotificationMethod(method)) {
      if (hasId)
        throw refuse(
          'INVALID_REQUEST',
          `Invalid Request: notification ${method} must not have an id`,
          m,
          '/id',
        );
    } else if (!hasId)
      throw refuse(
        'INVALID_REQUEST',
        `Invalid Request: ${method} is a request and needs an id (a notification is never answered, so it cannot carry a request)`,
        m,
        '/id',
      );
    else if (id === null)
      throw refuse('INVALID_REQUEST', 'Invalid Request: a request id must not be null', m, '/id');
    if (method === 'tools/call') checkToolCall(m, params as Record<string, unknown> | undefined);
  }
  return m as unknown as JsonRpcMessage;
}

function checkToolCall(
  m: Record<string, unknown>,
  params: Record<string, unknown> | undefined,
): void {
  if (typeof params?.name !== 'string')
    throw refuse(
      'MALFORMED_PARAMS',
      'Invalid params: tools/call needs a string name',
      m,
      '/params/name',
    );
  const args = params.arguments;
  if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args)))
    throw refuse(
      'MALFORMED_PARAMS',
      'Invalid params: tools/call arguments must be an object',
      m,
      '/params/arguments',
    );
}

/** After checkMessage: a request (it has a method that is not a notification's, and an id). */
export const isRequest = (m: JsonRpcMessage): boolean =>
  typeof m.method === 'string' && m.id !== undefined && m.id !== null;
