// Delivery from a spool to one remote sink, in order, with retry and backoff.
//
// A batch is read at the send cursor and handed to the transport. HTTP confirms a batch with
// its 2xx. Syslog over TCP has no receipt (RFC 6587 is fire-and-forget; RELP is not an option
// with a plain collector), so a batch counts as confirmed only once the connection has stayed
// up `confirm_ms` after it was written; if the connection drops first, delivery rewinds to the
// last confirmed record and re-sends (at-least-once: collectors dedupe on `seq`/`hash`).
import type { Logger } from 'pino';
import { Spool, type Cursor } from './spool.ts';

export interface Transport {
  /** 0: `send` resolving means delivered. >0: see above. */
  readonly confirmMs: number;
  /** Changes whenever the connection is replaced; unconfirmed batches of an old one re-send. */
  readonly epoch: number;
  send(ndjson: Buffer, lines: number): Promise<void>;
  /** Called when the connection drops on its own (peer closed, reset). */
  onDown(cb: () => void): void;
  close(): Promise<void>;
}

export interface RemoteStats {
  delivered: number;
  spooled: number;
  pending_bytes: number;
  failures: number;
  /** Age of the oldest record not yet confirmed by the sink, ms (0 when caught up). */
  lag_ms: number;
  connected: boolean;
}

const BACKOFF_MIN_MS = 100;
const BACKOFF_MAX_MS = 5_000;

export class RemoteQueue {
  private sendAt: Cursor = { seg: 1, off: 0 };
  private unconfirmed: Array<{ to: Cursor; at: number; epoch: number; lines: number }> = [];
  /** Enqueue times of records not yet confirmed, oldest first (for the lag metric). */
  private times: number[] = [];
  private timesHead = 0;
  private wake: (() => void) | null = null;
  private spaceWaiters: Array<() => void> = [];
  private running = true;
  private loop: Promise<void> | null = null;
  private failing = false;
  readonly stats = { delivered: 0, spooled: 0, failures: 0 };

  constructor(
    readonly name: string,
    private readonly spool: Spool,
    private readonly transport: Transport,
    private readonly batchLines: number,
    private readonly flushMs: number,
    private readonly logger?: Logger,
  ) {
    transport.onDown(() => this.rewind());
  }

  async start(): Promise<void> {
    await this.spool.open();
    this.sendAt = this.spool.start;
    // Records left from a previous run: their enqueue time is unknown; count them as now.
    const backlog = this.spool.pendingBytes();
    if (backlog > 0)
      this.logger?.info({ sink: this.name, bytes: backlog }, 'audit spool: resuming delivery');
    this.loop = this.run();
  }

  canAccept(bytes: number): boolean {
    return this.spool.pendingBytes() + bytes <= this.spool.maxBytes;
  }

  /** Resolves once `bytes` more fit (on_full: block). */
  waitForSpace(bytes: number): Promise<void> {
    if (this.canAccept(bytes)) return Promise.resolve();
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.canAccept(bytes) || !this.running) resolve();
        else this.spaceWaiters.push(check);
      };
      this.spaceWaiters.push(check);
    });
  }

  async append(data: string, records: number): Promise<void> {
    await this.spool.append(data);
    const now = Date.now();
    for (let i = 0; i < records; i++) this.times.push(now);
    // "Spooled" = had to wait for the sink to come back (not the normal pass-through).
    if (this.failing) this.stats.spooled += records;
    this.wake?.();
  }

  stat(): RemoteStats {
    const oldest = this.times[this.timesHead];
    return {
      ...this.stats,
      pending_bytes: this.spool.pendingBytes(),
      lag_ms: oldest === undefined ? 0 : Date.now() - oldest,
      connected: !this.failing,
    };
  }

  private rewind(): void {
    if (this.unconfirmed.length > 0)
      this.logger?.warn(
        { sink: this.name, batches: this.unconfirmed.length },
        'audit sink connection lost; re-sending unconfirmed records',
      );
    this.unconfirmed = [];
    this.sendAt = this.spool.start;
    this.wake?.();
  }

  private confirmUpTo(i: number): void {
    const done = this.unconfirmed.splice(0, i + 1);
    const last = done[done.length - 1];
    this.spool.confirm(last.to);
    const n = done.reduce((a, b) => a + b.lines, 0);
    this.stats.delivered += n;
    this.timesHead += n;
    if (this.timesHead > 4096) {
      this.times = this.times.slice(this.timesHead);
      this.timesHead = 0;
    }
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
  }

  /** Confirms batches whose connection outlived confirm_ms. */
  private settle(): void {
    const now = Date.now();
    let idx = -1;
    for (let i = 0; i < this.unconfirmed.length; i++) {
      const u = this.unconfirmed[i];
      if (u.epoch !== this.transport.epoch || now - u.at < this.transport.confirmMs) break;
      idx = i;
    }
    if (idx >= 0) this.confirmUpTo(idx);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    let backoff = BACKOFF_MIN_MS;
    while (this.running) {
      this.settle();
      const batch = await this.spool.read(this.sendAt, this.batchLines);
      if (batch === null) {
        // Caught up: wait for new records, or for unconfirmed batches to mature.
        await this.sleep(
          this.unconfirmed.length > 0 ? Math.max(10, this.transport.confirmMs / 4) : 1000,
        );
        continue;
      }
      // Small batches: give concurrent records flushMs to join (HTTP batching).
      if (batch.lines < this.batchLines && this.flushMs > 0 && !this.failing) {
        await this.sleep(this.flushMs);
        if (!this.running) break;
        const again = await this.spool.read(this.sendAt, this.batchLines);
        if (again && again.lines > batch.lines) Object.assign(batch, again);
      }
      try {
        await this.transport.send(batch.data, batch.lines);
        // After send: sending may have opened a new connection (a new epoch).
        const epoch = this.transport.epoch;
        this.sendAt = batch.next;
        this.unconfirmed.push({ to: batch.next, at: Date.now(), epoch, lines: batch.lines });
        if (this.transport.confirmMs === 0) this.confirmUpTo(this.unconfirmed.length - 1);
        if (this.failing) this.logger?.info({ sink: this.name }, 'audit sink recovered');
        this.failing = false;
        backoff = BACKOFF_MIN_MS;
      } catch (e) {
        this.stats.failures++;
        if (!this.failing)
          this.logger?.warn(
            { sink: this.name, err: (e as Error).message },
            'audit sink unavailable; spooling',
          );
        this.failing = true;
        this.rewind();
        // Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff
        // and Jitter"), so a fleet of gateways does not hammer a recovering collector at once.
        await this.sleep(backoff / 2 + Math.random() * (backoff / 2));
        backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
      }
    }
  }

  /** Waits (up to timeoutMs) until everything spooled is confirmed, then stops. */
  async close(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.spool.pendingBytes() > 0 && Date.now() < deadline) {
      this.wake?.();
      await new Promise((r) => setTimeout(r, 20));
      this.settle();
    }
    const drained = this.spool.pendingBytes() === 0;
    this.running = false;
    this.wake?.();
    await this.loop;
    for (const w of this.spaceWaiters) w();
    await this.transport.close();
    await this.spool.close();
    return drained;
  }
}
