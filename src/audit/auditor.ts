// The auditor: turns each answered request into one sealed, redacted JSON line and hands it to
// every sink. Local sinks (file, stdout) are written directly; remote sinks (syslog, HTTP) go
// through their spool. In `written` mode `record()` resolves once the line was handed to the
// kernel (write(2) returned: it survives the gateway being killed), in `durable` mode once it
// was fdatasync'ed (group-committed) — either lets the gateway release a tools/call response
// only after its record is in the log; in `async` mode it resolves at once and the record is
// sealed after the answer went out. With chain keys the chain is HMAC-SHA-256 and each record
// names its key (`kid`); with checkpoints the written head is signed to other sinks.
import { join } from 'node:path';
import type { Logger } from 'pino';
import { GENESIS, seal, canonicalize, hmacHasher, SHA256, type ChainHead } from './canonical.ts';
import { Checkpointer } from './checkpoints.ts';
import type { AuditConfig } from './config.ts';
import { loadChainKeys, loadSigningKey } from './keys.ts';
import { AuditClosedError, AuditUnavailableError } from './errors.ts';
import { buildRecord, type AuditInput } from './record.ts';
import { auditSinks, createDecisionLog } from './decision-log/index.ts';
import { randomUUID } from 'node:crypto';
import { buildRedactor, type Redactor, type RedactionCounts } from './redact/index.ts';
import { RemoteQueue, type RemoteStats } from './remote.ts';
import { Spool } from './spool.ts';
import { FileSink } from './sinks/file.ts';
import { HttpTransport } from './sinks/http.ts';
import { StdoutSink } from './sinks/stdout.ts';
import { SyslogTransport } from './sinks/syslog.ts';

export interface AuditMetrics {
  records_total: number;
  /** Per local sink: records written (and synced, in sync mode). */
  records_written: Record<string, number>;
  /** Per remote sink: delivery state. `spooled` counts records that had to wait in the spool
   *  because the sink was failing or still unconfirmed. */
  remote: Record<string, RemoteStats>;
  rejected_total: number;
  redactions: RedactionCounts;
}

export interface Auditor {
  /** Seals and writes one record. `written`: resolves when write(2) returned on the local
   *  sinks; `durable`: when fdatasync'ed. `async`: resolves at once; the record is sealed and
   *  written on the next turn of the event loop (failures there are logged). Rejects only on
   *  local write failure (disk full, …) in written/durable mode, and after close. */
  record(input: AuditInput): Promise<void>;
  /** written/durable: a tools/call answer is held until its record is in the log. */
  readonly holdsAnswers: boolean;
  /** File sinks (their fsync counters, for tests and benches). */
  readonly files: readonly FileSink[];
  /** The compiled redactor (config patterns and field rules). */
  readonly redactor: Redactor;
  /** What the client receives: the result redacted when `redaction.results_to_client`. */
  clientResult<T>(result: T): T;
  /** False when a remote spool is full: with on_full=reject the gateway should answer 503. */
  canAccept(): boolean;
  /** Call before serving a request: resolves when it may proceed; with on_full=block waits
   *  for spool space, with on_full=reject throws AuditUnavailableError (status 503). */
  admit(): Promise<void>;
  metrics(): AuditMetrics;
  /** Prometheus text exposition of metrics() (for /metrics). */
  prometheus(): string;
  /** Syncs the local sinks. */
  flush(): Promise<void>;
  /** Flushes, gives remote sinks up to timeoutMs to drain (the spool keeps the rest for the
   *  next start), and closes. */
  close(timeoutMs?: number): Promise<void>;
}

interface LocalSink {
  name: string;
  written: number;
  /** Appends complete lines; `records`: how many (default 1); `last`: the chain position of
   *  the last of them. */
  write(data: string, records?: number, last?: { seq: number; hash: string }): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Records sealed into one sink write in async mode. */
const WRITE_BATCH = 256;

/** Headroom for seq/prev/hash and framing when checking spool space before sealing. */
const SEAL_OVERHEAD = 200;

export async function createAuditor(
  cfg: AuditConfig,
  opts: { logger?: Logger; stdout?: NodeJS.WritableStream } = {},
): Promise<Auditor> {
  const { logger } = opts;
  const redactor = buildRedactor(cfg.redaction);
  const holds = cfg.mode !== 'async';
  const keys = loadChainKeys(cfg.chain_keys);
  const signer = keys[0];
  const hasher = signer ? hmacHasher(signer.key) : SHA256;
  const kid = signer?.kid;
  const checkpoints = cfg.checkpoints
    ? new Checkpointer(
        cfg.checkpoints,
        loadSigningKey(cfg.checkpoints.signing_key, 'audit.checkpoints.signing_key'),
        kid,
        cfg.spool.dir,
        cfg.spool.max_bytes,
        logger,
      )
    : undefined;
  await checkpoints?.open();
  const locals: LocalSink[] = [];
  const files: FileSink[] = [];
  const remotes: RemoteQueue[] = [];
  let head: ChainHead = { seq: 0, prev: GENESIS };
  // Sinks with `format: opa` and `decision_logs` get OPA decision events instead of records.
  const decisions = await createDecisionLog(cfg, redactor, opts);
  for (const s of auditSinks(cfg)) {
    if (s.type === 'file') {
      const f = new FileSink(s, cfg.mode, logger);
      const h = await f.open();
      if (h && h.seq > head.seq) head = h;
      f.onRotate = (last, to) =>
        void checkpoints?.emit(
          'rotate',
          { first_seq: (last?.seq ?? -1) + 1, file: to },
          last ?? undefined,
        );
      locals.push(f);
      files.push(f);
    } else if (s.type === 'stdout') locals.push(new StdoutSink(opts.stdout));
    else {
      const transport = s.type === 'syslog' ? new SyslogTransport(s) : new HttpTransport(s);
      const spool = new Spool(join(cfg.spool.dir, s.name), cfg.spool.max_bytes);
      const q = new RemoteQueue(
        s.name,
        spool,
        transport,
        s.type === 'http' ? s.batch_size : 256,
        s.type === 'http' ? s.flush_ms : 0,
        logger,
      );
      await q.start();
      remotes.push(q);
    }
  }
  const start = startCheckpoint(head, files.length > 0, checkpoints, logger);
  head = start.head;
  checkpoints?.seed(head.seq - 1, head.prev);
  await checkpoints?.emit('start', start.extra);
  let total = 0;
  let rejected = 0;
  let closed = false;
  const redactions: RedactionCounts = {};
  /** Running average line size: admission asks for room for one typical record. */
  let typical = SEAL_OVERHEAD * 4;
  const full = (bytes: number): RemoteQueue[] => remotes.filter((q) => !q.canAccept(bytes));

  /** Redacts and builds one record; with on_full=block waits for room in the remote spools.
   *  The record is never dropped: with on_full=reject the gateway's admit() refused new calls
   *  already, and a record that still finds the spool full (a call admitted just before)
   *  overshoots the bound by that one record. */
  const waitsForRoom = cfg.on_full === 'block' && remotes.length > 0;
  const prepare = async (input: AuditInput) => {
    const body = buildRecord(input, redactor, cfg.results === 'full', kid);
    if (waitsForRoom) {
      const estimate = canonicalize(body).length + SEAL_OVERHEAD;
      for (const q of remotes) await q.waitForSpace(estimate);
    }
    return body;
  };
  /** Seals a built record onto the chain: synchronous, so lines reach every sink in seq order. */
  const sealLine = (body: ReturnType<typeof buildRecord>): string => {
    const { line } = seal(head, body, hasher);
    typical = Math.round(typical * 0.9 + line.length * 0.1);
    total++;
    for (const [k, n] of Object.entries(body.redactions as RedactionCounts))
      redactions[k] = (redactions[k] ?? 0) + n;
    return line;
  };
  /** Hands complete lines (`n` records) to every sink; once the local sinks hold them, the
   *  checkpointer may cover them. */
  const writeLines = (data: string, n: number): Promise<void> => {
    const last = { seq: head.seq - 1, hash: head.prev };
    return Promise.all([
      ...locals.map((l) => l.write(data, n, last)),
      ...remotes.map((q) => q.append(data, n)),
    ]).then(() => checkpoints?.written(last.seq, last.hash));
  };

  // Async mode: the answer does not wait for its record, so nothing of the record's work
  // (redaction, canonical JSON, the hash chain) is done on the request's path either. Inputs
  // queue in arrival order; on the next turn of the event loop, after the answers of this turn
  // were written, they are sealed and go to the sinks as one write (issue #4: this was ~40% of
  // the drop-in route's added latency).
  let deferred: AuditInput[] = [];
  let sealing: Promise<void> | undefined;
  const sealDeferred = async (): Promise<void> => {
    while (deferred.length > 0) {
      // At most WRITE_BATCH records per write: a burst does not become one giant string.
      const batch = deferred.length <= WRITE_BATCH ? deferred : deferred.splice(0, WRITE_BATCH);
      if (batch === deferred) deferred = [];
      let lines = '';
      let n = 0;
      for (const input of batch) {
        try {
          const body = waitsForRoom
            ? await prepare(input)
            : buildRecord(input, redactor, cfg.results === 'full', kid);
          lines += sealLine(body);
          n++;
        } catch (e) {
          // Loud, never silent: the trail has a hole (sync mode would have refused the answer).
          logger?.error(
            { err: (e as Error).message, request_id: input.request_id, route: input.route },
            'audit record could not be sealed',
          );
        }
      }
      if (n > 0)
        writeLines(lines, n).catch((e: Error) =>
          logger?.error({ err: e.message, records: n }, 'audit write failed'),
        );
    }
    sealing = undefined;
  };
  const settled = (): Promise<void> => sealing ?? Promise.resolve();

  const record = async (input: AuditInput): Promise<void> => {
    if (closed) throw new AuditClosedError();
    if (decisions && input.policy) {
      // The decision event and the record share the decision id.
      input.decision_id ??= randomUUID();
      decisions.add(input);
    }
    if (holds) {
      const line = sealLine(await prepare(input));
      return writeLines(line, 1);
    }
    // A copy: the caller's object is its own again once record() returned.
    deferred.push({ ...input });
    sealing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(sealDeferred);
  };

  const metrics = (): AuditMetrics => ({
    records_total: total,
    records_written: Object.fromEntries(locals.map((l) => [l.name, l.written])),
    remote: Object.fromEntries(remotes.map((q) => [q.name, q.stat()])),
    rejected_total: rejected,
    redactions: { ...redactions },
  });

  return {
    record,
    holdsAnswers: holds,
    files,
    redactor,
    clientResult: <T>(r: T): T => (cfg.redaction.results_to_client ? redactor.result(r) : r),
    canAccept: () => full(typical).length === 0,
    async admit() {
      if (closed) throw new AuditClosedError();
      const f = full(typical);
      if (f.length === 0) return;
      if (cfg.on_full === 'reject') {
        rejected++;
        throw new AuditUnavailableError(f.map((q) => q.name));
      }
      for (const q of f) await q.waitForSpace(typical);
    },
    metrics,
    prometheus: () => prometheusText(metrics()) + (decisions?.prometheus() ?? ''),
    flush: async () => {
      await settled();
      await Promise.all(locals.map((l) => l.flush()));
    },
    async close(timeoutMs = 5000) {
      if (closed) return;
      closed = true;
      await settled(); // records accepted before close are sealed and written
      await Promise.all([...locals.map((l) => l.close()), decisions?.close(timeoutMs)]);
      await checkpoints?.close();
      const drained = await Promise.all(remotes.map((q) => q.close(timeoutMs)));
      remotes.forEach((q, i) => {
        if (!drained[i])
          logger?.warn(
            { sink: q.name },
            'audit sink not drained at shutdown; records stay spooled for the next start',
          );
      });
    },
  };
}

/** Where the chain continues, and what the start checkpoint says. With a file checkpoint sink
 *  the gateway knows how far its checkpoints reached: a log that ends before that lost records
 *  (cut, or restored from an older backup). That is logged loudly, the chain continues after
 *  the checkpointed head (so the hole stays a hole: seqs are not reused for other records) and
 *  the start checkpoint records the gap. */
function startCheckpoint(
  logHead: ChainHead,
  hasFileLog: boolean,
  cps: Checkpointer | undefined,
  logger?: Logger,
): {
  head: ChainHead;
  extra: { first_seq?: number; next_seq?: number; gap?: { from: number; to: number } };
} {
  const cp = cps?.lastOnDisk;
  if (hasFileLog && cp && cp.seq > logHead.seq) {
    const gap = { from: logHead.seq, to: cp.seq - 1 };
    logger?.error(
      { missing_from_seq: gap.from, missing_to_seq: gap.to },
      'AUDIT LOG LOST RECORDS: the log ends before its last signed checkpoint (truncated or ' +
        'restored); continuing the chain after the checkpointed record, gap recorded',
    );
    return { head: { ...cp }, extra: { next_seq: cp.seq, gap } };
  }
  if (hasFileLog && cp && cp.seq === logHead.seq && cp.prev !== logHead.prev)
    logger?.error(
      { seq: logHead.seq - 1 },
      'AUDIT LOG DIFFERS from its last signed checkpoint (the last record was replaced)',
    );
  return {
    head: logHead,
    extra: logHead.seq === 0 ? { first_seq: 0 } : { next_seq: logHead.seq },
  };
}

function prometheusText(m: AuditMetrics): string {
  const esc = (s: string): string =>
    s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  const out: string[] = [
    '# HELP warden_audit_records_total Audit records sealed.',
    '# TYPE warden_audit_records_total counter',
    `warden_audit_records_total ${m.records_total}`,
    '# HELP warden_audit_records_written_total Records written per local sink.',
    '# TYPE warden_audit_records_written_total counter',
    ...Object.entries(m.records_written).map(
      ([k, v]) => `warden_audit_records_written_total{sink="${esc(k)}"} ${v}`,
    ),
    '# HELP warden_audit_rejected_total Calls refused with 503 because a spool was full.',
    '# TYPE warden_audit_rejected_total counter',
    `warden_audit_rejected_total ${m.rejected_total}`,
  ];
  const remote: Array<[string, string, keyof RemoteStats]> = [
    ['warden_audit_delivered_total', 'counter', 'delivered'],
    ['warden_audit_spooled_total', 'counter', 'spooled'],
    ['warden_audit_delivery_failures_total', 'counter', 'failures'],
    ['warden_audit_spool_bytes', 'gauge', 'pending_bytes'],
    ['warden_audit_delivery_lag_seconds', 'gauge', 'lag_ms'],
  ];
  for (const [name, type, key] of remote) {
    out.push(`# TYPE ${name} ${type}`);
    for (const [sink, s] of Object.entries(m.remote)) {
      const v = key === 'lag_ms' ? s.lag_ms / 1000 : Number(s[key]);
      out.push(`${name}{sink="${esc(sink)}"} ${v}`);
    }
  }
  out.push('# TYPE warden_audit_redactions_total counter');
  for (const [k, v] of Object.entries(m.redactions))
    out.push(`warden_audit_redactions_total{kind="${esc(k)}"} ${v}`);
  return `${out.join('\n')}\n`;
}
