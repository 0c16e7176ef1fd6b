// Which fields of an audit record carry client- or upstream-chosen text, and their redaction,
// in one place (PRODUCT.md "Audit record contract": request id, method, tool, arguments,
// results, errors, `_meta`, headers). record.ts calls this once per record, as it builds the
// body that the auditor seals, so no path into a sink can skip it.
//
// Not redacted, by design: subject and client (from the verified token: the identity the
// record exists to name), upstream and route (from the config), decision/outcome/status and
// the sizes (gateway-computed), policy revision (the bundle's).
import type { RedactionCounts, Redactor } from './redactor.ts';

/** The text-bearing fields of a record as the gateway hands them over. */
export interface RedactableFields {
  request_id: string | number | null;
  method: string;
  tool: string | null;
  reasons: string[];
  session?: string;
  arguments?: unknown;
  /** `params._meta` of the request (progress tokens, client-chosen extension data). */
  meta?: unknown;
  error_message?: string;
  /** JSON-RPC `error.data` (upstream-chosen, any JSON). */
  error_data?: unknown;
  headers?: Record<string, string | string[] | undefined>;
  /** Notifications relayed during the call (notifications/progress, notifications/message). */
  notifications?: unknown[];
}

export interface RedactedFields {
  request_id: string | number | null;
  method: string;
  tool: string | null;
  reasons: string[];
  session?: string;
  arguments?: unknown;
  meta?: unknown;
  error?: string;
  error_data?: unknown;
  headers?: Record<string, string | string[]>;
  notifications?: unknown[];
}

/** Methods and tool names repeat on every record: the clean ones are remembered (bounded, so
 *  hostile names cannot grow it) and skip the scan. */
const cleanNames = new WeakMap<Redactor, Set<string>>();

/** Redacts every text-bearing field, in the contract's field order (which fixes the order
 *  counts accumulate in). Policy reasons can quote arguments ("no such tool: …"). */
export function redactFields(
  f: RedactableFields,
  redactor: Redactor,
  counts: RedactionCounts,
): RedactedFields {
  const name = (s: string): string => {
    let clean = cleanNames.get(redactor);
    if (clean === undefined) cleanNames.set(redactor, (clean = new Set()));
    if (clean.has(s)) return s;
    const out = redactor.text(s, counts);
    if (out === s && clean.size < 4096) clean.add(s);
    return out;
  };
  const opt = <T>(v: T | undefined): T | undefined =>
    v === undefined ? undefined : redactor.value(v, counts);
  return {
    request_id:
      typeof f.request_id === 'string' ? redactor.text(f.request_id, counts) : f.request_id,
    method: name(f.method),
    tool: f.tool === null ? null : name(f.tool),
    reasons: f.reasons.map((r) => redactor.text(r, counts)),
    session: f.session === undefined ? undefined : redactor.text(f.session, counts),
    error: f.error_message === undefined ? undefined : redactor.text(f.error_message, counts),
    error_data: opt(f.error_data),
    arguments: opt(f.arguments),
    meta: opt(f.meta),
    headers: f.headers === undefined ? undefined : redactor.headers(f.headers, counts),
    notifications: opt(f.notifications),
  };
}
