// One decision as OPA's decision-log plugin reports it (OPA docs "Decision Logs" › event
// format; the plugin's EventV1): the fields an OPA control plane, `opa` tooling or a log
// pipeline built for OPA reads. The input and result are redacted with the audit's redactor:
// a decision log is an audit trail too.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redactor } from '../redact/index.ts';

/** What the gateway knows about one policy evaluation (set on the audit input). */
export interface PolicyEvaluation {
  /** The entrypoint queried, e.g. "mcp/authz/decision". */
  path: string;
  input: unknown;
  result: unknown;
  /** Time spent evaluating, in nanoseconds (OPA's timer_rego_query_eval_ns). */
  eval_ns?: number;
}

export interface EventContext {
  decision_id: string;
  revision: string | null;
  /** Epoch milliseconds of the decision (the record's time). */
  time_ms: number;
  /** Sub-millisecond part, in nanoseconds (0–999999). */
  sub_ms_ns: number;
}

/** Bundle name under which the active policy's revision is reported. */
export const BUNDLE_NAME = 'policy';

const version = ((): string => {
  // Walks up from this module to the package's manifest (src/ or dist/ layouts alike).
  for (let up = '../../../'; up.length < 24; up += '../') {
    try {
      const pkg = JSON.parse(readFileSync(new URL(`${up}package.json`, import.meta.url), 'utf8'));
      if (typeof pkg.version === 'string') return pkg.version;
    } catch {
      // keep walking
    }
  }
  return 'unknown';
})();

/** OPA labels: `id` names this running instance (a fresh UUID per process, as OPA's). */
export const LABELS = { id: randomUUID(), version, app: 'mcp-warden' } as const;

/** RFC 3339 with nanoseconds, as Go's time.RFC3339Nano writes it (trailing zeros trimmed). */
export function rfc3339Nano(ms: number, subNs: number): string {
  const iso = new Date(ms).toISOString(); // …T23:35:35.123Z
  const frac = (iso.slice(20, 23) + String(Math.trunc(subNs)).padStart(6, '0')).replace(/0+$/, '');
  return `${iso.slice(0, 19)}${frac ? `.${frac}` : ''}Z`;
}

export function buildEvent(
  ev: PolicyEvaluation,
  ctx: EventContext,
  redactor: Redactor,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    labels: LABELS,
    decision_id: ctx.decision_id,
    path: ev.path,
    input: redactor.value(ev.input),
    result: redactor.value(ev.result),
    timestamp: rfc3339Nano(ctx.time_ms, ctx.sub_ms_ns),
  };
  if (ctx.revision) out.bundles = { [BUNDLE_NAME]: { revision: ctx.revision } };
  if (ev.eval_ns !== undefined) out.metrics = { timer_rego_query_eval_ns: Math.round(ev.eval_ns) };
  return out;
}
