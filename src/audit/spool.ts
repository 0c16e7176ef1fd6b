// The bounded on-disk queue in front of each remote sink (syslog, HTTP). Every record for the
// sink is appended here first and delivered from here in order, so a sink that is down, slow or
// restarting — or a gateway restart — loses nothing: delivery resumes from the persisted cursor.
//
// Layout: <spool.dir>/<sink name>/seg-<n>.ndjson segments (one JSONL record per line) and
// cursor.json {seg, off}: everything before it was confirmed by the sink. Fully confirmed
// segments are deleted. Bound: bytes after the cursor ≤ max_bytes (checked by the auditor
// before it seals a record, see AuditSpoolFullError).
import {
  mkdirSync,
  readdirSync,
  statSync,
  writeFileSync,
  renameSync,
  readFileSync,
  unlinkSync,
} from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface Cursor {
  seg: number;
  off: number;
}

export interface Batch {
  data: Buffer;
  lines: number;
  next: Cursor;
}

const segName = (n: number): string => `seg-${String(n).padStart(12, '0')}.ndjson`;

export class Spool {
  /** Segment number → bytes written to it (only complete lines). */
  private readonly sizes = new Map<number, number>();
  private segs: number[] = [];
  private confirmed: Cursor = { seg: 1, off: 0 };
  private fh: FileHandle | null = null;
  private writing: Promise<void> = Promise.resolve();
  readonly segmentBytes: number;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {
    this.segmentBytes = Math.max(64 * 1024, Math.floor(maxBytes / 8));
  }

  async open(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    for (const n of readdirSync(this.dir)) {
      const m = /^seg-(\d{12})\.ndjson$/.exec(n);
      if (!m) continue;
      const seg = Number(m[1]);
      this.segs.push(seg);
      this.sizes.set(seg, completeSize(join(this.dir, n)));
    }
    this.segs.sort((a, b) => a - b);
    try {
      this.confirmed = JSON.parse(readFileSync(join(this.dir, 'cursor.json'), 'utf8')) as Cursor;
    } catch {
      this.confirmed = { seg: this.segs[0] ?? 1, off: 0 };
    }
    if (this.segs.length === 0) this.segs.push(this.confirmed.seg);
    const last = this.segs[this.segs.length - 1];
    this.fh = await open(join(this.dir, segName(last)), 'a');
    // Drop a torn tail (a crash mid-append): sizes only count complete lines.
    await this.fh.truncate(this.sizes.get(last) ?? 0);
    if (!this.sizes.has(last)) this.sizes.set(last, 0);
  }

  /** Bytes not yet confirmed by the sink. */
  pendingBytes(): number {
    let n = 0;
    for (const s of this.segs) if (s >= this.confirmed.seg) n += this.sizes.get(s) ?? 0;
    return n - this.confirmed.off;
  }

  /** Appends complete lines; serialized so lines never interleave. */
  append(data: string): Promise<void> {
    const p = this.writing.then(async () => {
      let last = this.segs[this.segs.length - 1];
      if ((this.sizes.get(last) ?? 0) >= this.segmentBytes) {
        await this.fh!.close();
        last += 1;
        this.segs.push(last);
        this.sizes.set(last, 0);
        this.fh = await open(join(this.dir, segName(last)), 'a');
      }
      const buf = Buffer.from(data, 'utf8');
      let off = 0;
      while (off < buf.length)
        off += (await this.fh!.write(buf, off, buf.length - off)).bytesWritten;
      this.sizes.set(last, (this.sizes.get(last) ?? 0) + buf.length);
    });
    this.writing = p.catch(() => undefined);
    return p;
  }

  get start(): Cursor {
    return { ...this.confirmed };
  }

  /** Up to `maxLines` complete lines (and at most ~1 MB) from `from`; null when caught up. */
  async read(from: Cursor, maxLines: number): Promise<Batch | null> {
    let { seg, off } = from;
    for (;;) {
      const size = this.sizes.get(seg);
      if (size === undefined) return null;
      if (off < size) break;
      const nextSeg = this.segs.find((s) => s > seg);
      if (nextSeg === undefined) return null;
      seg = nextSeg;
      off = 0;
    }
    const size = this.sizes.get(seg)!;
    const len = Math.min(size - off, 1024 * 1024);
    const fh = await open(join(this.dir, segName(seg)), 'r');
    try {
      let buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, off);
      let end = 0;
      let lines = 0;
      for (let i = buf.indexOf(0x0a); i >= 0 && lines < maxLines; i = buf.indexOf(0x0a, i + 1)) {
        end = i + 1;
        lines++;
      }
      if (lines === 0) {
        // One record longer than the read window: read it whole.
        buf = Buffer.alloc(size - off);
        await fh.read(buf, 0, buf.length, off);
        end = buf.indexOf(0x0a) + 1;
        lines = 1;
      }
      return { data: buf.subarray(0, end), lines, next: { seg, off: off + end } };
    } finally {
      await fh.close();
    }
  }

  /** Marks everything before `to` delivered: persists the cursor, deletes finished segments. */
  confirm(to: Cursor): void {
    this.confirmed = { ...to };
    const tmp = join(this.dir, 'cursor.json.tmp');
    writeFileSync(tmp, JSON.stringify(this.confirmed));
    renameSync(tmp, join(this.dir, 'cursor.json'));
    const last = this.segs[this.segs.length - 1];
    while (this.segs.length > 1 && this.segs[0] < to.seg && this.segs[0] !== last) {
      const s = this.segs.shift()!;
      this.sizes.delete(s);
      try {
        unlinkSync(join(this.dir, segName(s)));
      } catch {
        // Already gone: nothing to free.
      }
    }
  }

  async close(): Promise<void> {
    await this.writing;
    await this.fh?.close();
    this.fh = null;
  }
}

/** Size of a segment up to its last "\n". */
function completeSize(path: string): number {
  const size = statSync(path).size;
  if (size === 0) return 0;
  const buf = readFileSync(path);
  return buf.lastIndexOf(0x0a) + 1;
}
