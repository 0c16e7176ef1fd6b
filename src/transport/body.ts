// Reading and parsing a POST body: bounded in size (413 before buffering more than the limit)
// and in time (408 when it does not arrive within the deadline), decoded as UTF-8 only (400
// -32700 naming the first bad byte), parsed as JSON (400 -32700), and checked to be one
// JSON-RPC 2.0 message of MCP (message.ts) — or a batch, which only MCP 2025-03-26 allowed
// (2025-06-18 removed them; later clients get 400 -32600).
//
// One reading: what is parsed here is what the gateway decides on, records and forwards (as
// its re-serialization, `serialize`), never the client's bytes. So the choices a second
// reader could make differently are made once here:
//   - a leading UTF-8 BOM is stripped (RFC 8259 §8.1: a parser MAY ignore it); the forwarded
//     text has none;
//   - a duplicated member name resolves to its last value, as JSON.parse does (RFC 8259 §4
//     leaves it to the implementation); the forwarded text has each name once, with the value
//     that was decided;
//   - the charset is UTF-8 whatever the Content-Type says: hygiene.ts refuses any other (415).

import type { IncomingMessage } from 'node:http';
import { httpError } from './errors.ts';
import { checkMessage, type JsonRpcMessage } from './message.ts';

export { isRequest, type JsonRpcMessage } from './message.ts';

/** Default of `limits.body_timeout_ms`: a body of the default 4 MiB limit needs ~3.4 Mbit/s. */
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;

export function readBody(
  req: IncomingMessage,
  limit: number,
  timeoutMs = DEFAULT_BODY_TIMEOUT_MS,
): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit)
    return Promise.reject(httpError('PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`));
  // The whole message already arrived with its headers (the usual case for one JSON-RPC
  // message): take the body from the stream's buffer instead of waiting a tick each for
  // 'data' and 'end'.
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
    // A slow body holds its buffer and a connection: it gets a deadline, not only a size.
    const timer = setTimeout(() => {
      req.removeAllListeners('data');
      reject(
        httpError(
          'BODY_TIMEOUT',
          `Request Timeout: the body did not arrive within ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        clearTimeout(timer);
        req.removeAllListeners('data');
        req.resume(); // drain so the 413 can be written on a keep-alive connection
        reject(httpError('PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
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

/** Strict UTF-8 (WHATWG Encoding §4.1 "fatal"); a leading BOM is removed (ignoreBOM false). */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The offset of the first byte that is not part of a well-formed UTF-8 sequence (RFC 3629 §4),
 * for the error message; only run once decoding already failed. */
export function invalidUtf8Offset(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i];
    const n =
      c < 0x80
        ? 1
        : c >= 0xc2 && c <= 0xdf
          ? 2
          : c >= 0xe0 && c <= 0xef
            ? 3
            : c >= 0xf0 && c <= 0xf4
              ? 4
              : 0;
    if (n === 0 || i + n > b.length) return i;
    for (let j = 1; j < n; j++) {
      const d = b[i + j];
      let lo = 0x80;
      let hi = 0xbf;
      if (j === 1 && c === 0xe0) lo = 0xa0; // overlong
      if (j === 1 && c === 0xed) hi = 0x9f; // surrogates
      if (j === 1 && c === 0xf0) lo = 0x90; // overlong
      if (j === 1 && c === 0xf4) hi = 0x8f; // past U+10FFFF
      if (d < lo || d > hi) return i;
    }
    i += n;
  }
  return -1;
}

function decode(body: Buffer): string {
  try {
    return utf8.decode(body);
  } catch {
    const at = invalidUtf8Offset(body);
    throw httpError('PARSE_ERROR', `Parse error: the body is not valid UTF-8 (byte ${at})`, {
      offset: at,
    });
  }
}

/** Parses one message, or a batch where `allowBatch` (never containing `initialize`). */
export function parseMessages(
  body: Buffer,
  allowBatch: boolean,
): JsonRpcMessage | JsonRpcMessage[] {
  const text = decode(body);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw httpError('PARSE_ERROR', `Parse error: ${(e as Error).message}`);
  }
  if (!Array.isArray(doc)) return checkMessage(doc);
  if (!allowBatch)
    throw httpError(
      'BATCH_NOT_SUPPORTED',
      'Invalid Request: JSON-RPC batches are not supported by this protocol version',
    );
  if (doc.length === 0) throw httpError('INVALID_REQUEST', 'Invalid Request: empty batch');
  const msgs = doc.map(checkMessage);
  // MCP 2025-03-26 "Lifecycle": the initialize request MUST NOT be part of a batch.
  if (msgs.some((m) => m.method === 'initialize'))
    throw httpError('INVALID_REQUEST', 'Invalid Request: initialize must not be part of a batch');
  return msgs;
}

/** A single message; batches are refused. */
export function parseMessage(body: Buffer): JsonRpcMessage {
  return parseMessages(body, false) as JsonRpcMessage;
}

/** The bytes forwarded for a parsed message (or batch): its re-serialization, UTF-8 without a
 * BOM, each member once. */
export function serialize(msgs: JsonRpcMessage | JsonRpcMessage[]): Buffer {
  return Buffer.from(JSON.stringify(msgs), 'utf8');
}
