// Uploads decision events the way OPA's decision-log plugin does (OPA docs "Decision Logs" ›
// Decision Log Service API): each upload is a POST of a JSON array of events, gzip-compressed,
// with `Content-Encoding: gzip` and `Content-Type: application/json`; a 2xx accepts the
// batch, anything else (or no answer) is retried with exponential backoff. Events wait in a
// bounded in-memory buffer; when it is full the oldest are dropped, counted and logged — the
// decision log is a copy for OPA tooling, the audit log (with its own spool) is the record.
import { gzipSync } from 'node:zlib';
import type { Logger } from 'pino';
import type { DecisionLogsConfig } from './config.ts';

export interface UploadStats {
  uploaded: number;
  dropped: number;
  failures: number;
  pending: number;
  pending_bytes: number;
}

export class Uploader {
  private queue: string[] = [];
  private bytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private failuresInRow = 0;
  private closed = false;
  readonly stats = { uploaded: 0, dropped: 0, failures: 0 };
  private droppedSinceLog = 0;
  /** Events dropped from the head so far (lets an upload tell what is still queued). */
  private shifted = 0;

  constructor(
    private readonly cfg: DecisionLogsConfig,
    private readonly logger?: Logger,
  ) {
    this.schedule(cfg.interval_s * 1000);
  }

  /** Queues one event (its JSON); a full batch is uploaded at once. */
  add(json: string): void {
    if (this.closed) return;
    const size = Buffer.byteLength(json) + 1;
    this.queue.push(json);
    this.bytes += size;
    while (this.bytes > this.cfg.buffer_bytes && this.queue.length > 1) {
      const old = this.queue.shift()!;
      this.bytes -= Buffer.byteLength(old) + 1;
      this.stats.dropped++;
      this.droppedSinceLog++;
      this.shifted++;
    }
    if (this.droppedSinceLog > 0 && this.droppedSinceLog % 1000 === 1)
      this.logger?.warn(
        { dropped: this.stats.dropped, buffer_bytes: this.cfg.buffer_bytes },
        'decision log buffer full: oldest events dropped',
      );
    if (this.bytes >= this.cfg.batch_bytes && this.failuresInRow === 0) void this.flush();
  }

  getStats(): UploadStats {
    return { ...this.stats, pending: this.queue.length, pending_bytes: this.bytes };
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.flush(), ms);
    this.timer.unref();
  }

  /** Uploads what is queued, batch by batch, until empty or an upload fails. */
  flush(): Promise<void> {
    this.inflight ??= this.drain().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      // At least one event per batch, however large; otherwise up to batch_bytes of JSON.
      let n = 0;
      let size = 2;
      while (
        n < this.queue.length &&
        (n === 0 || size + this.queue[n].length + 1 <= this.cfg.batch_bytes)
      )
        size += this.queue[n++].length + 1;
      const batch = this.queue.slice(0, n);
      const shifted = this.shifted;
      try {
        await this.post(`[${batch.join(',')}]`);
      } catch (e) {
        this.stats.failures++;
        this.failuresInRow++;
        const delay = Math.min(
          this.cfg.retry.max_delay_s,
          this.cfg.retry.min_delay_s * 2 ** (this.failuresInRow - 1),
        );
        this.logger?.warn(
          { err: (e as Error).message, events: batch.length, retry_in_s: delay },
          'decision log upload failed',
        );
        this.schedule(delay * 1000);
        return;
      }
      // Events dropped while the upload ran were the oldest: this batch's first ones.
      const gone = Math.min(n, this.shifted - shifted);
      const sent = this.queue.splice(0, n - gone);
      for (const s of sent) this.bytes -= Buffer.byteLength(s) + 1;
      this.stats.uploaded += n;
      this.failuresInRow = 0;
      if (this.droppedSinceLog > 0) {
        this.logger?.warn({ dropped: this.droppedSinceLog }, 'decision log events dropped');
        this.droppedSinceLog = 0;
      }
    }
    this.schedule(this.cfg.interval_s * 1000);
  }

  private async post(body: string): Promise<void> {
    const res = await fetch(this.cfg.url, {
      method: 'POST',
      headers: {
        ...this.cfg.headers,
        'content-type': 'application/json',
        'content-encoding': 'gzip',
      },
      body: gzipSync(body),
      signal: AbortSignal.timeout(this.cfg.timeout_ms),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status > 299)
      throw new Error(`collector answered HTTP ${res.status}`);
  }

  /** Final upload attempt within `timeoutMs`; what is left is reported as dropped. */
  async close(timeoutMs: number): Promise<void> {
    clearTimeout(this.timer);
    const done = this.flush();
    this.closed = true;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((r) => (t = setTimeout(r, timeoutMs)))]);
    clearTimeout(t);
    if (this.queue.length > 0) {
      this.logger?.warn(
        { events: this.queue.length },
        'decision log events not uploaded at shutdown',
      );
    }
  }
}
