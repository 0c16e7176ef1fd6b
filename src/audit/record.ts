// Builds the body of an audit record from what the gateway knows about one answered request:
// the PRODUCT.md contract fields, redacted, plus what the audit issue adds (decision id,
// redaction kinds and counts, sizes). Sealing (seq, prev, hash) happens in the auditor.
import { randomUUID } from 'node:crypto';
import { canonicalize } from './canonical.ts';
import type { RedactionCounts, Redactor } from './redact/index.ts';
import { redactFields } from './redact/record-fields.ts';
import type { PolicyEvaluation } from './decision-log/event.ts';

export type AuditDecision = 'allow' | 'deny' | 'none';
/** `dropped`: an upstream's message that could be attributed to no one call (a shared stdio
 *  child's request or notification, gateway/shared-calls.ts), refused or not passed on.
 *  `client_gone`: the client left before the answer was written. `timeout`: the gateway gave
 *  up waiting for the upstream (which may still have run the call: `upstream_state`). */
export type AuditOutcome =
  'ok' | 'tool_error' | 'denied' | 'error' | 'dropped' | 'client_gone' | 'timeout';

/** The most of a denied call's arguments a record keeps (bytes of their canonical JSON): a call
 *  refused for its size must not put its whole payload in the log. */
export const DENIED_ARGUMENTS_MAX = 4096;

/** What the gateway hands to `record()`. The first block is exactly the fields of
 *  src/gateway/audit-hook.ts `AuditRecord`, so the hook's object can be passed as is. */
export interface AuditInput {
  time: string;
  request_id: string | number | null;
  subject: string | null;
  client: string | null;
  route: string;
  upstream: string | null;
  method: string;
  tool: string | null;
  decision: AuditDecision;
  reasons: string[];
  outcome: AuditOutcome;
  status: number;
  error_code?: number;
  duration_ms: number;
  arguments?: unknown;
  result?: { is_error: boolean; content_types: string[]; bytes: number };
  policy_revision: string | null;
  session?: string;
  /** Whether the upstream ran the call, when the gateway cannot know (timeout, client gone). */
  upstream_state?: 'unknown';
  // --- optional extras the audit module understands ---
  /** The policy engine's decision id; one is generated when absent. */
  decision_id?: string;
  /** The raw CallToolResult: summarized (and, with `audit.results: full`, kept redacted). */
  result_value?: unknown;
  /** Error message returned to the client (redacted before it is stored). */
  error_message?: string;
  /** Request headers worth keeping (redacted; credentials by name). */
  headers?: Record<string, string | string[] | undefined>;
  /** `params._meta` of the request (redacted). */
  meta?: unknown;
  /** JSON-RPC `error.data` of the answer (redacted). */
  error_data?: unknown;
  /** Progress and log notifications relayed during the call (redacted). */
  notifications?: unknown[];
  /** The policy evaluation behind `decision`: for decision logs (OPA format), not the record. */
  policy?: PolicyEvaluation;
}

export const RECORD_VERSION = 1;

export function summarize(
  result: unknown,
): { is_error: boolean; content_types: string[]; bytes: number } | undefined {
  const r = result as { isError?: boolean; content?: Array<{ type?: string }> } | undefined;
  if (!r || typeof r !== 'object') return undefined;
  const types = Array.isArray(r.content) ? [...new Set(r.content.map((c) => String(c?.type)))] : [];
  return { is_error: r.isError === true, content_types: types, bytes: byteLength(r) };
}

const byteLength = (v: unknown): number =>
  v === undefined ? 0 : Buffer.byteLength(JSON.stringify(v) ?? '');

export function buildRecord(
  input: AuditInput,
  redactor: Redactor,
  keepResults: boolean,
  /** The chain key's id, for a keyed chain (hashed with the record). */
  kid?: string,
): Record<string, unknown> {
  const counts: RedactionCounts = {};
  const summary = input.result ?? summarize(input.result_value);
  const result: Record<string, unknown> | undefined = summary && { ...summary };
  if (result && keepResults && input.result_value !== undefined)
    result.value = redactor.result(input.result_value, counts);
  // Redact first (redact/record-fields.ts: every field with client- or upstream-chosen text),
  // then lay the members out in canonical (sorted) order, so sealing finds them sorted and
  // skips the sort. Member order never changes the written line: seal() canonicalizes.
  const red = redactFields(input, redactor, counts);
  let args = red.arguments;
  let truncated: true | undefined;
  if (input.decision === 'deny' && args !== undefined) {
    const text = canonicalize(args);
    if (text.length > DENIED_ARGUMENTS_MAX / 4 && Buffer.byteLength(text) > DENIED_ARGUMENTS_MAX) {
      args = utf8Prefix(text, DENIED_ARGUMENTS_MAX);
      truncated = true;
    }
  }
  return {
    arguments: args,
    arguments_truncated: truncated,
    client: input.client,
    decision: input.decision,
    decision_id: input.decision_id ?? randomUUID(),
    duration_ms: input.duration_ms,
    error: red.error,
    error_code: input.error_code,
    error_data: red.error_data,
    headers: red.headers,
    kid,
    meta: red.meta,
    method: red.method,
    notifications: red.notifications,
    outcome: input.outcome,
    policy_revision: input.policy_revision,
    reasons: red.reasons,
    redactions: counts,
    request_id: red.request_id,
    result,
    route: input.route,
    session: red.session,
    sizes: {
      arguments_bytes: byteLength(input.arguments),
      result_bytes: summary?.bytes ?? 0,
    },
    status: input.status,
    subject: input.subject,
    time: input.time,
    tool: red.tool,
    upstream: input.upstream,
    upstream_state: input.upstream_state,
    v: RECORD_VERSION,
  };
}

/** The longest prefix of `s` whose UTF-8 form fits `max` bytes (never half a character). */
function utf8Prefix(s: string, max: number): string {
  const b = Buffer.from(s, 'utf8');
  let end = Math.min(max, b.length);
  // Back off continuation bytes (10xxxxxx) to a character start.
  while (end > 0 && end < b.length && (b[end] & 0xc0) === 0x80) end--;
  return b.subarray(0, end).toString('utf8');
}
