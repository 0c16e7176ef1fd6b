// Which MCP era a request belongs to, and the checks the 2026-07-28 era puts on an
// intermediary before it may act on a request.
//
// MCP 2026-07-28 is stateless: no `initialize`, no session; every request names its protocol
// revision in `params._meta["io.modelcontextprotocol/protocolVersion"]` (the "envelope claim")
// and carries its client capabilities there too. The era is decided from the body; the
// `MCP-Protocol-Version` header is only a cross-check (a proxy that dropped it must not change
// the era). Streamable HTTP 2026-07-28 mirrors routing fields into headers (`Mcp-Method`,
// `Mcp-Name`, `Mcp-Param-*`) for load balancers and WAFs; a server that processes the body must
// reject a missing or disagreeing header with 400 / -32020 (HeaderMismatch), so nothing
// downstream of us can be steered by a header that lies about the body. The gateway's policy
// reads the body, never the headers.

import type { IncomingHttpHeaders } from 'node:http';
import type { JsonRpcMessage } from './body.ts';
import { httpError } from './errors.ts';

export const MODERN_VERSIONS: readonly string[] = ['2026-07-28'];
/** The session-based revisions the gateway serves (MCP "Versioning"). */
export const LEGACY_VERSIONS: readonly string[] = [
  '2025-11-25',
  '2025-06-18',
  '2025-03-26',
  '2024-11-05',
];
export const SUPPORTED_VERSIONS: readonly string[] = [...MODERN_VERSIONS, ...LEGACY_VERSIONS];

export const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
export const META_CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';

export type Era =
  | { era: 'legacy' }
  | {
      era: 'modern';
      version: string;
      /** The client capabilities of this request (per request in 2026-07-28). */
      capabilities: Record<string, unknown>;
    };

export const LEGACY: Era = { era: 'legacy' };

export const isModernVersion = (v: unknown): boolean =>
  typeof v === 'string' && MODERN_VERSIONS.includes(v);

/** Methods whose `Mcp-Name` header mirrors a body field (2026-07-28 Streamable HTTP), and
 *  whether the header must be sent. The tasks extension (SEP-2663) routes its methods by
 *  `taskId`; a client that omits the header there is not refused. */
const NAME_SOURCE: Record<string, { field: 'name' | 'uri' | 'taskId'; required: boolean }> = {
  'tools/call': { field: 'name', required: true },
  'prompts/get': { field: 'name', required: true },
  'resources/read': { field: 'uri', required: true },
  'tasks/get': { field: 'taskId', required: false },
  'tasks/update': { field: 'taskId', required: false },
  'tasks/cancel': { field: 'taskId', required: false },
};

/** The value a request's `Mcp-Name` header carries (not yet header-encoded), if any. */
export function nameHeaderOf(method: string, params: Record<string, unknown>): string | undefined {
  const source = NAME_SOURCE[method];
  const v = source ? params[source.field] : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** The tasks extension (SEP-2663): declared per request under
 *  `_meta["io.modelcontextprotocol/clientCapabilities"].extensions`, and by servers under
 *  `capabilities.extensions`. */
export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

export const declaresTasks = (capabilities: Record<string, unknown> | undefined): boolean => {
  const ext = capabilities?.extensions;
  return typeof ext === 'object' && ext !== null && TASKS_EXTENSION in ext;
};

const meta = (m: JsonRpcMessage): Record<string, unknown> | undefined => {
  const v = (m.params as { _meta?: unknown } | undefined)?._meta;
  return v && typeof v === 'object' && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
};

const hasClaim = (m: JsonRpcMessage): boolean => {
  const mt = meta(m);
  return mt !== undefined && META_PROTOCOL_VERSION in mt;
};

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return typeof v === 'string' ? v.trim() : Array.isArray(v) ? v.join(',').trim() : undefined;
};

const mismatch = (message: string, headerName: string, body: unknown) =>
  httpError('HEADER_MISMATCH', `Bad Request: ${message}`, {
    mismatch: { header: headerName, body },
  });

/**
 * Classifies a POSTed message (or 2025-03-26 batch) and, for the modern era, validates the
 * envelope and the standard headers. Throws the transport error to answer with.
 */
export function classify(
  headers: IncomingHttpHeaders,
  msgs: JsonRpcMessage | JsonRpcMessage[],
  /** The versions this route serves (what its `server/discover` lists): a -32022 names them. */
  supported: readonly string[] = SUPPORTED_VERSIONS,
): Era {
  const versionHeader = header(headers, 'mcp-protocol-version');
  if (Array.isArray(msgs)) {
    // 2026-07-28 has no batches; a batch is legacy traffic only if no element claims otherwise.
    if (msgs.some(hasClaim))
      throw httpError(
        'INVALID_REQUEST',
        'Invalid Request: JSON-RPC batches cannot carry 2026-07-28 requests',
      );
    return LEGACY;
  }
  const m = msgs;
  const isReq = m.method !== undefined && m.id !== undefined && m.id !== null;
  if (m.method === undefined) return LEGACY; // a client's JSON-RPC response: 2025 era only
  const mt = meta(m);
  const claim = mt?.[META_PROTOCOL_VERSION];
  if (mt === undefined || !(META_PROTOCOL_VERSION in mt)) {
    if (!isModernVersion(versionHeader)) return LEGACY;
    if (m.method === 'initialize')
      throw mismatch(
        'an initialize request was sent with a 2026-07-28 MCP-Protocol-Version header',
        versionHeader!,
        'initialize',
      );
    if (isReq)
      throw httpError(
        'INVALID_ENVELOPE',
        `Invalid params: MCP-Protocol-Version ${versionHeader} requires params._meta["${META_PROTOCOL_VERSION}"]`,
        { envelope: { missing: [mt === undefined ? '_meta' : META_PROTOCOL_VERSION] } },
      );
    // A notification has no envelope of its own: the header decides, within what the route
    // serves (else a header alone would take it past the 2025-era session checks).
    if (!supported.includes(versionHeader!))
      throw httpError('UNSUPPORTED_VERSION', `Unsupported protocol version: ${versionHeader}`, {
        supported: [...supported],
        requested: versionHeader,
      });
    checkMethodHeader(headers, m.method);
    return { era: 'modern', version: versionHeader!, capabilities: {} };
  }
  if (typeof claim !== 'string' || claim === '')
    throw httpError(
      'INVALID_ENVELOPE',
      `Invalid params: params._meta["${META_PROTOCOL_VERSION}"] must be a protocol version string`,
      { envelope: { key: META_PROTOCOL_VERSION, problem: 'expected a string' } },
    );
  if (versionHeader !== undefined && versionHeader !== claim)
    throw mismatch(
      `the body names protocol version ${claim} but the MCP-Protocol-Version header names ${versionHeader}`,
      'MCP-Protocol-Version',
      claim,
    );
  if (LEGACY_VERSIONS.includes(claim)) return LEGACY;
  if (!isModernVersion(claim) || !supported.includes(claim))
    throw httpError('UNSUPPORTED_VERSION', `Unsupported protocol version: ${claim}`, {
      supported: [...supported],
      requested: claim,
    });
  const caps = mt[META_CLIENT_CAPABILITIES];
  if (isReq && (caps === null || typeof caps !== 'object' || Array.isArray(caps)))
    throw httpError(
      'INVALID_ENVELOPE',
      `Invalid params: params._meta["${META_CLIENT_CAPABILITIES}"] is required and must be an object`,
      {
        envelope: {
          key: META_CLIENT_CAPABILITIES,
          problem: caps === undefined ? 'missing' : 'expected an object',
        },
      },
    );
  if (isReq) {
    // Presence (MCP-Protocol-Version first, then Mcp-Method: the order the spec lists them).
    if (versionHeader === undefined)
      throw mismatch(
        `the body names protocol version ${claim} but the required MCP-Protocol-Version header is absent`,
        'MCP-Protocol-Version',
        claim,
      );
    if (header(headers, 'mcp-method') === undefined)
      throw mismatch(
        `the body names method ${m.method} but the required Mcp-Method header is absent`,
        'Mcp-Method',
        m.method,
      );
  }
  checkMethodHeader(headers, m.method);
  if (isReq) checkNameHeader(headers, m);
  return { era: 'modern', version: claim, capabilities: (caps ?? {}) as Record<string, unknown> };
}

function checkMethodHeader(headers: IncomingHttpHeaders, method: string): void {
  const h = header(headers, 'mcp-method');
  if (h !== undefined && h !== method)
    throw mismatch(
      `the body names method ${method} but the Mcp-Method header names ${h}`,
      'Mcp-Method',
      method,
    );
}

function checkNameHeader(headers: IncomingHttpHeaders, m: JsonRpcMessage): void {
  const source = NAME_SOURCE[m.method!];
  if (!source) return;
  const field = source.field;
  const body = (m.params as Record<string, unknown> | undefined)?.[field];
  const h = header(headers, 'mcp-name');
  if (h === undefined) {
    if (body === undefined || !source.required) return;
    throw mismatch(
      `the body carries params.${field}=${JSON.stringify(body)} but the required Mcp-Name header is absent`,
      'Mcp-Name',
      body,
    );
  }
  const decoded = decodeHeaderValue(h);
  if (decoded === undefined)
    throw mismatch('the Mcp-Name header carries an invalid =?base64?…?= value', 'Mcp-Name', body);
  if (body !== undefined && decoded !== body)
    throw mismatch(
      `the body carries params.${field}=${JSON.stringify(body)} but the Mcp-Name header names ${JSON.stringify(decoded)}`,
      'Mcp-Name',
      body,
    );
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A header value as sent: values that are not header-safe travel as `=?base64?<b64>?=`
 * (2026-07-28 Streamable HTTP, "Encoding"). Undefined when the sentinel wraps invalid base64 or
 * bytes that are not UTF-8.
 */
export function decodeHeaderValue(v: string): string | undefined {
  if (!(v.startsWith('=?base64?') && v.endsWith('?=') && v.length >= 11)) return v;
  const b64 = v.slice(9, -2);
  if (!B64.test(b64)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(b64, 'base64'));
  } catch {
    return undefined;
  }
}

/** A value as a header: printable ASCII without leading/trailing space as is, else base64. */
export function encodeHeaderValue(v: string): string {
  return /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(v) && !v.startsWith('=?base64?')
    ? v
    : `=?base64?${Buffer.from(v, 'utf8').toString('base64')}?=`;
}
