// Reading and classifying a POST body: bounded (413 before buffering more than the limit),
// parsed as JSON (400 -32700), and checked to be one JSON-RPC 2.0 message — or a batch, which
// only MCP 2025-03-26 allowed (2025-06-18 removed them; later clients get 400 -32600).

import type { IncomingMessage } from 'node:http';
import { httpError, type JsonRpcId } from './errors.ts';

export interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: JsonRpcId;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: unknown;
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit)
    return Promise.reject(httpError('PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`));
  // The whole message already arrived with its headers (the usual case for one JSON-RPC
  // message): take the body from the stream's buffer instead of waiting a tick each for
  // 'data' and 'end' (issue #4).
  if (req.complete && !req.readableFlowing) {
    const chunks: Buffer[] = [];
    let size = 0;
    for (let c = req.read() as Buffer | null; c !== null; c = req.read() as Buffer | null) {
      chunks.push(c);
      size += c.length;
    }
    if (size > limit)
      return Promise.reject(httpError('PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`));
    return Promise.resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume(); // drain so the 413 can be written on a keep-alive connection
        reject(httpError('PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Protocol revisions that allow JSON-RPC batches (removed in 2025-06-18). */
const BATCH_REVISIONS = new Set(['2025-03-26']);

/**
 * Whether this request may carry a batch: only 2025-03-26 clients, recognized by the
 * negotiated `MCP-Protocol-Version` header or its absence (MCP 2025-06-18 "Protocol Version
 * Header": a server without the header SHOULD assume 2025-03-26).
 */
export function batchAllowed(protocolVersion: string | string[] | undefined): boolean {
  return (
    protocolVersion === undefined ||
    (typeof protocolVersion === 'string' && BATCH_REVISIONS.has(protocolVersion))
  );
}

function checkOne(doc: unknown): JsonRpcMessage {
  if (
    !doc ||
    typeof doc !== 'object' ||
    Array.isArray(doc) ||
    (doc as JsonRpcMessage).jsonrpc !== '2.0'
  )
    throw httpError('INVALID_REQUEST', 'Invalid Request: not a JSON-RPC 2.0 message');
  const m = doc as JsonRpcMessage;
  if (m.method !== undefined && typeof m.method !== 'string')
    throw httpError('INVALID_REQUEST', 'Invalid Request: method must be a string');
  if (m.id !== undefined && m.id !== null && typeof m.id !== 'string' && typeof m.id !== 'number')
    throw httpError('INVALID_REQUEST', 'Invalid Request: id must be a string or number');
  if (m.params !== undefined && (m.params === null || typeof m.params !== 'object'))
    throw httpError('INVALID_REQUEST', 'Invalid Request: params must be an object');
  return m;
}

/** Parses one message, or a batch where `allowBatch` (never containing `initialize`). */
export function parseMessages(
  body: Buffer,
  allowBatch: boolean,
): JsonRpcMessage | JsonRpcMessage[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw httpError('PARSE_ERROR', `Parse error: ${(e as Error).message}`);
  }
  if (!Array.isArray(doc)) return checkOne(doc);
  if (!allowBatch)
    throw httpError(
      'BATCH_NOT_SUPPORTED',
      'Invalid Request: JSON-RPC batches are not supported by this protocol version',
    );
  if (doc.length === 0) throw httpError('INVALID_REQUEST', 'Invalid Request: empty batch');
  const msgs = doc.map(checkOne);
  // MCP 2025-03-26 "Lifecycle": the initialize request MUST NOT be part of a batch.
  if (msgs.some((m) => m.method === 'initialize'))
    throw httpError('INVALID_REQUEST', 'Invalid Request: initialize must not be part of a batch');
  return msgs;
}

/** A single message; batches are refused. */
export function parseMessage(body: Buffer): JsonRpcMessage {
  return parseMessages(body, false) as JsonRpcMessage;
}

export const isRequest = (m: JsonRpcMessage): boolean =>
  typeof m.method === 'string' && m.id !== undefined && m.id !== null;
