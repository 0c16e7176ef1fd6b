// Decision logs in OPA's format: one event per policy decision (event.ts), written to every
// audit sink configured with `format: opa` and uploaded to `decision_logs.url` (upload.ts).
// The auditor hands every audit input here; inputs that carry no policy evaluation (requests
// the policy was not asked about) are skipped, as OPA logs only queries.
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AuditConfig, SinkConfig } from '../config.ts';
import type { AuditInput } from '../record.ts';
import type { Redactor } from '../redact/index.ts';
import { RemoteQueue } from '../remote.ts';
import { Spool } from '../spool.ts';
import { SyslogTransport } from '../sinks/syslog.ts';
import { buildEvent } from './event.ts';
import { Uploader, type UploadStats } from './upload.ts';

export { parseDecisionLogsConfig, type DecisionLogsConfig } from './config.ts';
export { buildEvent, rfc3339Nano, LABELS, BUNDLE_NAME, type PolicyEvaluation } from './event.ts';

export interface DecisionLog {
  /** Logs the decision of one audit input (no-op without a policy evaluation). */
  add(input: AuditInput): void;
  stats(): Record<string, UploadStats>;
  prometheus(): string;
  close(timeoutMs?: number): Promise<void>;
}

interface Writer {
  write(line: string): void;
  close(timeoutMs: number): Promise<void>;
}

const isOpa = (s: SinkConfig): boolean => s.format === 'opa';

/** The sinks of `cfg` that take the audit's own JSONL records (the others are OPA's). */
export const auditSinks = (cfg: AuditConfig): SinkConfig[] => cfg.sinks.filter((s) => !isOpa(s));

/** Undefined when no sink has `format: opa` and no `decision_logs` is configured. */
export async function createDecisionLog(
  cfg: AuditConfig,
  redactor: Redactor,
  opts: { logger?: Logger; stdout?: NodeJS.WritableStream } = {},
): Promise<DecisionLog | undefined> {
  const { logger } = opts;
  const writers: Writer[] = [];
  const uploaders = new Map<string, Uploader>();
  if (cfg.decision_logs) uploaders.set('decision_logs', new Uploader(cfg.decision_logs, logger));
  for (const s of cfg.sinks.filter(isOpa)) {
    if (s.type === 'file') writers.push(fileWriter(s.path));
    else if (s.type === 'stdout') {
      const out = opts.stdout ?? process.stdout;
      writers.push({ write: (l) => void out.write(l), close: async () => undefined });
    } else if (s.type === 'http') {
      // An HTTP sink in OPA format speaks OPA's upload protocol to its URL.
      const u = new Uploader(
        {
          url: s.url,
          headers: s.headers,
          batch_bytes: 32 * 1024,
          interval_s: Math.max(0.01, s.flush_ms / 1000),
          buffer_bytes: 16 * 1024 * 1024,
          retry: { min_delay_s: 1, max_delay_s: 60 },
          timeout_ms: s.timeout_ms,
        },
        logger,
      );
      uploaders.set(s.name, u);
    } else {
      // Syslog: one event per RFC 5424 message, through the audit's spooled queue.
      const spool = new Spool(join(cfg.spool.dir, `${s.name}.opa`), cfg.spool.max_bytes);
      const q = new RemoteQueue(s.name, spool, new SyslogTransport(s), 256, 0, logger);
      await q.start();
      writers.push({
        write: (l) =>
          void q
            .append(l, 1)
            .catch((e: Error) => logger?.error({ err: e.message }, 'decision log write failed')),
        close: async (ms) => void (await q.close(ms)),
      });
    }
  }
  if (writers.length === 0 && uploaders.size === 0) return undefined;
  let last = 0;
  let seq = 0;
  return {
    add(input) {
      if (!input.policy) return;
      // Sub-millisecond ordering within one millisecond (RFC 3339 nanos are required; the
      // clock gives ms): a counter keeps events of the same ms distinct and ordered.
      const ms = Date.parse(input.time) || Date.now();
      seq = ms === last ? seq + 1 : 0;
      last = ms;
      const ev = buildEvent(
        input.policy,
        {
          decision_id: input.decision_id!,
          revision: input.policy_revision,
          time_ms: ms,
          sub_ms_ns: Math.min(seq, 999_999),
        },
        redactor,
      );
      const json = JSON.stringify(ev).replace(
        /[\u2028\u2029\u0085]/g,
        (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
      for (const w of writers) w.write(`${json}\n`);
      for (const u of uploaders.values()) u.add(json);
    },
    stats: () => Object.fromEntries([...uploaders].map(([k, u]) => [k, u.getStats()])),
    prometheus() {
      const lines = [
        '# HELP warden_decision_logs_dropped_total Decision events dropped from a full upload buffer.',
        '# TYPE warden_decision_logs_dropped_total counter',
      ];
      for (const [k, u] of uploaders)
        lines.push(`warden_decision_logs_dropped_total{sink="${k}"} ${u.getStats().dropped}`);
      lines.push('# TYPE warden_decision_logs_uploaded_total counter');
      for (const [k, u] of uploaders)
        lines.push(`warden_decision_logs_uploaded_total{sink="${k}"} ${u.getStats().uploaded}`);
      lines.push('# TYPE warden_decision_logs_upload_failures_total counter');
      for (const [k, u] of uploaders)
        lines.push(
          `warden_decision_logs_upload_failures_total{sink="${k}"} ${u.getStats().failures}`,
        );
      return `${lines.join('\n')}\n`;
    },
    async close(timeoutMs = 5000) {
      await Promise.all([
        ...writers.map((w) => w.close(timeoutMs)),
        ...[...uploaders.values()].map((u) => u.close(timeoutMs)),
      ]);
    },
  };
}

function fileWriter(path: string): Writer {
  const stream: WriteStream = createWriteStream(path, { flags: 'a' });
  return {
    write: (l) => void stream.write(l),
    close: () => new Promise<void>((resolve) => stream.end(() => resolve())),
  };
}
