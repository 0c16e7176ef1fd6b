// Signed checkpoints of the chain head, written to sinks other than the audit log (another
// file, syslog, an HTTP collector). Whoever can rewrite the log cannot rewrite what those hold
// nor sign a new one, so `warden audit verify --checkpoints` catches a cut tail (a checkpoint
// covers records no longer in the log), a removed head (the chain's start and each file's first
// seq are named by a checkpoint) and a re-forged chain (the signed hash differs).
//
// A checkpoint is one JSON line: {type:"checkpoint", event, seq, hash, time, kid?, first_seq?,
// next_seq?, gap?, file?, sig}. `seq`/`hash` are the last record written to the log (seq -1 and
// the genesis hash before the first one). `sig` is Ed25519 (RFC 8032) over the canonical JSON
// of the checkpoint without `sig`, base64url.
import { sign, verify as edVerify, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { canonicalize, type ChainHead } from './canonical.ts';
import type { CheckpointConfig } from './config.ts';
import { RemoteQueue } from './remote.ts';
import { FileSink } from './sinks/file.ts';
import { HttpTransport } from './sinks/http.ts';
import { SyslogTransport } from './sinks/syslog.ts';
import { Spool } from './spool.ts';

export type CheckpointEvent = 'start' | 'interval' | 'rotate' | 'stop';

export interface Checkpoint {
  type: 'checkpoint';
  event: CheckpointEvent;
  seq: number;
  hash: string;
  time: string;
  kid?: string;
  /** start of a new chain: 0; rotate: the first seq of the new file. */
  first_seq?: number;
  /** start of a continued chain: the seq the next record gets. */
  next_seq?: number;
  /** start after the log lost records a checkpoint had covered: the missing seqs. */
  gap?: { from: number; to: number };
  /** rotate: the file the log was rotated to. */
  file?: string;
  sig?: string;
}

export function signCheckpoint(cp: Omit<Checkpoint, 'sig'>, key: KeyObject): Checkpoint {
  const sig = sign(null, Buffer.from(canonicalize(cp), 'utf8'), key).toString('base64url');
  return { ...cp, sig };
}

export function checkpointValid(cp: Checkpoint, key: KeyObject): boolean {
  if (typeof cp.sig !== 'string') return false;
  const { sig, ...rest } = cp;
  try {
    return edVerify(
      null,
      Buffer.from(canonicalize(rest), 'utf8'),
      key,
      Buffer.from(sig, 'base64url'),
    );
  } catch {
    return false;
  }
}

interface Out {
  write(line: string): Promise<void>;
  close(): Promise<void>;
}

export class Checkpointer {
  private outs: Out[] = [];
  /** Where the first file sink's last checkpoint stood when the gateway started. */
  lastOnDisk: ChainHead | null = null;
  private last = -2;
  private lastWritten: { seq: number; hash: string } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly cfg: CheckpointConfig,
    private readonly key: KeyObject,
    private readonly kid: string | undefined,
    private readonly spoolDir: string,
    private readonly spoolBytes: number,
    private readonly logger?: Logger,
  ) {}

  async open(): Promise<void> {
    for (const s of this.cfg.sinks) {
      if (s.type === 'file') {
        // Checkpoints are rare and must survive a power cut: every one is fdatasync'ed.
        const f = new FileSink(s, 'durable', this.logger);
        const h = await f.open();
        if (this.lastOnDisk === null && h) this.lastOnDisk = h;
        this.outs.push({ write: (l) => f.write(l), close: () => f.close() });
      } else {
        const transport = s.type === 'syslog' ? new SyslogTransport(s) : new HttpTransport(s);
        const spool = new Spool(join(this.spoolDir, 'checkpoints', s.name), this.spoolBytes);
        const q = new RemoteQueue(`checkpoints:${s.name}`, spool, transport, 64, 0, this.logger);
        await q.start();
        this.outs.push({ write: (l) => q.append(l, 1), close: () => q.close(5000).then(() => {}) });
      }
    }
    if (this.cfg.every_s > 0) {
      this.timer = setInterval(() => {
        if (this.lastWritten && this.lastWritten.seq > this.last) void this.emit('interval');
      }, this.cfg.every_s * 1000);
      this.timer.unref();
    }
  }

  /** The log holds every record up to `seq` (its hash `hash`). */
  written(seq: number, hash: string): void {
    if (this.lastWritten && seq <= this.lastWritten.seq) return;
    this.lastWritten = { seq, hash };
    const n = this.cfg.every_records;
    if (n > 0 && seq - this.last >= n) void this.emit('interval');
  }

  /** Writes one checkpoint of the written head (in order; failures logged, loudly). */
  emit(
    event: CheckpointEvent,
    extra: Partial<Pick<Checkpoint, 'first_seq' | 'next_seq' | 'gap' | 'file'>> = {},
    at?: { seq: number; hash: string },
  ): Promise<void> {
    const head = at ?? this.lastWritten;
    const cp = signCheckpoint(
      {
        type: 'checkpoint',
        event,
        seq: head?.seq ?? -1,
        hash: head?.hash ?? '0'.repeat(64),
        time: new Date().toISOString(),
        kid: this.kid,
        ...extra,
      },
      this.key,
    );
    this.last = Math.max(this.last, cp.seq);
    const line = `${canonicalize(cp)}\n`;
    const p = this.chain.then(() =>
      Promise.all(this.outs.map((o) => o.write(line))).then(
        () => undefined,
        (e: Error) => this.logger?.error({ err: e.message, event }, 'audit checkpoint not written'),
      ),
    );
    this.chain = p;
    return p;
  }

  /** Seeds the written head (the chain as it stood on disk when the auditor started). */
  seed(seq: number, hash: string): void {
    if (seq >= 0) this.lastWritten = { seq, hash };
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.emit('stop');
    await Promise.all(this.outs.map((o) => o.close()));
  }
}
