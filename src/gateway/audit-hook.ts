// The single place where the gateway records what it answered: one JSON line per answered MCP
// request (allowed, denied or failed), per PRODUCT.md "Audit record contract". The audit issue
// extends this module (hash chain `prev`/`hash`, redaction of arguments and results); callers
// only ever use `recordRequest`.

import { pino } from 'pino';
import type { AuditSinkConfig } from '../config/schema.ts';

export type AuditDecision = 'allow' | 'deny' | 'none';
export type AuditOutcome = 'ok' | 'tool_error' | 'denied' | 'error';

export interface AuditRecord {
  /** ISO 8601, when the request arrived. */
  time: string;
  request_id: string | number | null;
  /** Token subject (`sub`) or null for unauthenticated requests. */
  subject: string | null;
  client: string | null;
  route: string;
  upstream: string | null;
  method: string;
  tool: string | null;
  decision: AuditDecision;
  reasons: string[];
  outcome: AuditOutcome;
  /** HTTP status the gateway answered with. */
  status: number;
  /** JSON-RPC error code, when the answer was an error. */
  error_code?: number;
  duration_ms: number;
  /** Tool arguments as forwarded (redaction: see the audit issue). */
  arguments?: unknown;
  /** A summary, never the full result: is it an error, which content types, encoded size. */
  result?: { is_error: boolean; content_types: string[]; bytes: number };
  policy_revision: string | null;
  session?: string;
}

export interface AuditHook {
  recordRequest(rec: AuditRecord): void;
  flush(): Promise<void>;
}

/** Summarizes a tools/call result for the audit record. */
export function summarizeResult(result: unknown): AuditRecord['result'] {
  const r = result as { isError?: boolean; content?: Array<{ type?: string }> } | undefined;
  if (!r || typeof r !== 'object') return undefined;
  const types = Array.isArray(r.content) ? [...new Set(r.content.map((c) => String(c?.type)))] : [];
  return {
    is_error: r.isError === true,
    content_types: types,
    bytes: Buffer.byteLength(JSON.stringify(r)),
  };
}

export function createAuditHook(sinks: AuditSinkConfig[]): AuditHook {
  const streams = sinks.map((s) =>
    s.type === 'file'
      ? pino.destination({ dest: s.path!, mkdir: true, sync: false })
      : pino.destination({ dest: 1, sync: false }),
  );
  return {
    recordRequest(rec) {
      // Written through pino's destination (SonicBoom: buffered, non-blocking) but without a
      // logger's envelope: no level, pid, hostname or second timestamp, the record only.
      const line = `${JSON.stringify(rec)}\n`;
      for (const s of streams) s.write(line);
    },
    flush: () =>
      Promise.all(
        streams.map(
          (s) =>
            new Promise<void>((ok) => {
              try {
                s.flush(() => ok());
              } catch {
                ok();
              }
            }),
        ),
      ).then(() => undefined),
  };
}
