// `Mcp-Param-{Name}` headers (MCP 2026-07-28 Streamable HTTP, "Custom Parameter Headers"): a
// tool may mark primitive input properties with `"x-mcp-header": "<Name>"`; clients then mirror
// those arguments into headers so intermediaries can route on them. A server that reads the
// body must check each mirrored value against the body (400 / -32020 on a missing or
// disagreeing header) — otherwise a WAF or router in front could be steered by a header that
// lies. When the gateway itself writes a request (the aggregated endpoint, era translation) it
// builds the headers from the tool's schema with `paramHeaders`.

import type { IncomingHttpHeaders } from 'node:http';
import { httpError } from './errors.ts';
import { decodeHeaderValue, encodeHeaderValue } from './era.ts';

export interface ParamHeader {
  /** The property path in `arguments`, through `properties` only. */
  path: string[];
  /** The `Name` of `Mcp-Param-{Name}`. */
  name: string;
  type: string;
}

const cache = new WeakMap<object, ParamHeader[]>();

/**
 * The `x-mcp-header` declarations of an input schema. Only chains of `properties` count (the
 * spec forbids the annotation under items, combinators or $defs); declarations elsewhere are
 * ignored here — the registry's tool validation is where a malformed schema is reported.
 */
export function paramHeaderDecls(inputSchema: unknown): ParamHeader[] {
  if (!inputSchema || typeof inputSchema !== 'object') return [];
  const hit = cache.get(inputSchema);
  if (hit) return hit;
  const out: ParamHeader[] = [];
  const visit = (node: unknown, path: string[]) => {
    if (!node || typeof node !== 'object') return;
    const s = node as Record<string, unknown>;
    const name = s['x-mcp-header'];
    if (path.length > 0 && typeof name === 'string' && name !== '')
      out.push({ path, name, type: typeof s.type === 'string' ? s.type : 'string' });
    const props = s.properties;
    if (props && typeof props === 'object')
      for (const [k, child] of Object.entries(props)) visit(child, [...path, k]);
  };
  visit(inputSchema, []);
  cache.set(inputSchema, out);
  return out;
}

const at = (root: unknown, path: string[]): unknown => {
  let n = root;
  for (const k of path) {
    if (n === null || typeof n !== 'object') return undefined;
    n = (n as Record<string, unknown>)[k];
  }
  return n;
};

/** The spec's conversion of a primitive argument to header text; undefined = no header. */
function asText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (
    typeof v === 'number' &&
    Number.isFinite(v) &&
    (!Number.isInteger(v) || Number.isSafeInteger(v))
  )
    return String(v);
  return undefined;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** Checks the request's `Mcp-Param-*` headers against `arguments`; throws 400 / -32020. */
export function checkParamHeaders(
  headers: IncomingHttpHeaders,
  inputSchema: unknown,
  args: unknown,
): void {
  for (const d of paramHeaderDecls(inputSchema)) {
    const value = at(args, d.path);
    const text = asText(value);
    // Absent or null in the body: the header is not expected (and ignored when present).
    if (value === undefined || value === null || text === undefined) continue;
    const key = `mcp-param-${d.name.toLowerCase()}`;
    const raw = headers[key];
    const headerName = `Mcp-Param-${d.name}`;
    const fail = (why: string) =>
      httpError('HEADER_MISMATCH', `Bad Request: ${why}`, {
        mismatch: { header: headerName, body: value },
      });
    if (typeof raw !== 'string')
      throw fail(
        `the body carries ${d.path.join('.')}=${JSON.stringify(value)} but the ${headerName} header is absent`,
      );
    const decoded = decodeHeaderValue(raw.trim());
    if (decoded === undefined)
      throw fail(`the ${headerName} header carries an invalid =?base64?…?= value`);
    const numeric = (d.type === 'integer' || d.type === 'number') && typeof value === 'number';
    const same = numeric && DECIMAL.test(decoded) ? Number(decoded) === value : decoded === text;
    if (!same)
      throw fail(
        `the ${headerName} header says ${JSON.stringify(decoded)} but the body carries ${d.path.join('.')}=${JSON.stringify(value)}`,
      );
  }
}

/** The `Mcp-Param-*` headers a request with these arguments must carry. */
export function paramHeaders(inputSchema: unknown, args: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of paramHeaderDecls(inputSchema)) {
    const text = asText(at(args, d.path));
    if (text !== undefined) out[`Mcp-Param-${d.name}`] = encodeHeaderValue(text);
  }
  return out;
}
