// The local JSONL sink: append-only, group commit, size/time rotation.
//
// Durability: in `durable` mode a write resolves only after fdatasync(2) returned for the bytes
// it is in, so an acknowledged record survives a process kill and a power cut. Concurrent
// records share one write and one fdatasync (group commit): the first write of a burst waits
// one event-loop turn for the others of that turn, and records arriving while a flush runs form
// the next batch, so 8 concurrent calls cost one or two fdatasyncs, not 8. In `written` and
// `async` modes a write resolves once write(2) returned (the bytes are the kernel's: they
// survive the process being killed), and a timer fdatasyncs every `fsync_interval_ms`.
//
// Rotation renames the live file to `<path>.<UTC timestamp>` (sortable) and starts a new one;
// the hash chain simply continues, so `warden audit verify <path>*` checks the whole series.
import { open, rename, readdir, stat, type FileHandle } from 'node:fs/promises';
import { mkdirSync, openSync, fsyncSync, closeSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { ChainHead } from '../canonical.ts';
import type { AuditMode, FileSinkConfig } from '../config.ts';
import { readLastRecord } from './tail.ts';

interface Pending {
  data: string;
  /** Records in `data` (for the written count). */
  records: number;
  /** The chain position of the last record in `data`. */
  last?: { seq: number; hash: string };
  done: (err?: Error) => void;
}

export class FileSink {
  readonly name: string;
  private fh: FileHandle | null = null;
  private size = 0;
  private openedAt = 0;
  private queue: Pending[] = [];
  private busy = false;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  written = 0;
  /** fdatasync calls on the live file (group commit is visible here). */
  fsyncs = 0;
  /** The last record this sink wrote (where the live file ends). */
  lastWritten: { seq: number; hash: string } | null = null;
  /** Called after a rotation with the last record of the rotated file and the new name. */
  onRotate?: (last: { seq: number; hash: string } | null, rotatedTo: string) => void;
  private readonly sync: boolean;

  constructor(
    private readonly cfg: FileSinkConfig,
    mode: AuditMode,
    private readonly logger?: Logger,
  ) {
    this.name = `file:${cfg.path}`;
    this.sync = mode === 'durable';
  }

  /** Opens the live file and returns where the chain stands in it (or in the newest rotated
   *  file), so a restarted gateway continues the chain instead of starting a new one. */
  async open(): Promise<ChainHead | null> {
    mkdirSync(dirname(this.cfg.path), { recursive: true });
    let head = await readLastRecord(this.cfg.path, this.logger);
    if (head === null) {
      const rotated = await this.rotatedFiles();
      if (rotated.length > 0) head = await readLastRecord(rotated[rotated.length - 1], this.logger);
    }
    await this.openLive();
    if (!this.sync) {
      this.timer = setInterval(() => void this.syncIfDirty(), this.cfg.fsync_interval_ms);
      this.timer.unref();
    }
    return head;
  }

  /** Appends one or more complete lines (`records` of them, for the written count). */
  write(data: string, records = 1, last?: { seq: number; hash: string }): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ data, records, last, done: (e) => (e ? reject(e) : resolve()) });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    // Group commit: the records of this event-loop turn join the first one's fdatasync.
    if (this.sync) await new Promise<void>((r) => setImmediate(r));
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          const buf = Buffer.from(batch.map((p) => p.data).join(''), 'utf8');
          await this.maybeRotate(buf.length);
          await this.writeAll(buf);
          if (this.sync) await this.datasync();
          else this.dirty = true;
          for (const p of batch) {
            this.written += p.records;
            if (p.last) this.lastWritten = p.last;
          }
          for (const p of batch) p.done();
        } catch (e) {
          for (const p of batch) p.done(e as Error);
        }
      }
    } finally {
      this.busy = false;
    }
  }

  private async writeAll(buf: Buffer): Promise<void> {
    // write(2) to the page cache is a few µs; a threadpool round trip per batch costs more CPU
    // than the call itself. Durability is unchanged: sync mode still awaits fdatasync below.
    const fd = this.fh!.fd;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    this.size += buf.length;
  }

  private async maybeRotate(incoming: number): Promise<void> {
    const { max_bytes, max_age_s } = this.cfg;
    if (this.size === 0) return;
    const bySize = max_bytes > 0 && this.size + incoming > max_bytes;
    const byAge = max_age_s > 0 && Date.now() - this.openedAt >= max_age_s * 1000;
    if (!bySize && !byAge) return;
    await this.datasync();
    await this.fh!.close();
    this.fh = null;
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('.', '');
    let target = `${this.cfg.path}.${stamp}`;
    for (let n = 1; await exists(target); n++) target = `${this.cfg.path}.${stamp}-${n}`;
    await rename(this.cfg.path, target);
    await this.openLive();
    this.onRotate?.(this.lastWritten, target);
  }

  private async datasync(): Promise<void> {
    this.fsyncs++;
    await this.fh!.datasync();
  }

  private async openLive(): Promise<void> {
    this.fh = await open(this.cfg.path, 'a');
    const st = await this.fh.stat();
    this.size = st.size;
    this.openedAt = this.size === 0 ? Date.now() : st.birthtimeMs || st.mtimeMs;
    // The directory entry must be durable too, or a crash can lose a just-created file.
    syncDir(dirname(this.cfg.path));
  }

  /** Rotated siblings, oldest first. */
  async rotatedFiles(): Promise<string[]> {
    const dir = dirname(this.cfg.path);
    const base = basename(this.cfg.path);
    const names = await readdir(dir).catch(() => [] as string[]);
    return names
      .filter(
        (n) => n.startsWith(`${base}.`) && /^\d{8}T\d{9}Z(-\d+)?$/.test(n.slice(base.length + 1)),
      )
      .sort()
      .map((n) => join(dir, n));
  }

  private async syncIfDirty(): Promise<void> {
    if (!this.dirty || !this.fh || this.busy) return;
    this.dirty = false;
    await this.datasync().catch((e: Error) =>
      this.logger?.warn({ err: e.message }, 'audit fsync failed'),
    );
  }

  async flush(): Promise<void> {
    await this.write('');
    if (this.fh) await this.datasync();
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.timer) clearInterval(this.timer);
    await this.fh?.close();
    this.fh = null;
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the file's own fdatasync still holds.
  }
}
