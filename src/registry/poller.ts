// Keeps each upstream's registry entry fresh without letting one upstream affect another:
// every upstream has its own timer chain.
//
// - Healthy: re-discovered every interval ± 20 % jitter (so replicas and upstreams do not poll
//   in lockstep). An HTTP upstream that serves /.well-known/mcp-capabilities with an ETag is
//   first asked conditionally (RFC 9110 §13.1.2 If-None-Match); a 304 skips the MCP re-listing,
//   except every FULL_EVERY-th poll: an ETag is the upstream's promise, and pinning exists for
//   upstreams that break promises.
// - Failed discovery: unhealthy, retried after min(max, base·2^(n-1)) halved plus a random half
//   ("equal jitter", AWS Architecture Blog, "Exponential Backoff and Jitter", 2015). HTTP
//   upstreams reconnect (their MCP session may be gone with the old process); stdio upstreams
//   are restarted by their supervisor and only re-listed here.

import type { Logger } from 'pino';
import { defaultManifestUrl, fetchSameOrigin } from '../upstream/discovery.ts';
import type { Upstream } from '../upstream/upstream.ts';
import type { UpstreamEntry } from './entry.ts';

const FULL_EVERY = 10;

export interface PollerOptions {
  upstreams: Upstream[];
  entries: Map<string, UpstreamEntry>;
  intervalMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  log: Logger;
  onFailed: (e: UpstreamEntry) => void;
}

export const intervalJitter = (ms: number, r = Math.random()): number => ms * (0.8 + 0.4 * r);
export function backoff(failures: number, baseMs: number, maxMs: number, r = Math.random()) {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return cap / 2 + (r * cap) / 2;
}

export class Poller {
  private timers = new Map<string, NodeJS.Timeout>();
  private polls = new Map<string, number>();
  private running = new Map<string, Promise<void>>();
  private closed = false;

  constructor(private readonly o: PollerOptions) {}

  track(u: Upstream): void {
    const e = this.o.entries.get(u.name)!;
    if (u.lastError && e.health !== 'healthy') this.failed(u, e, u.lastError);
    else this.schedule(u, intervalJitter(this.o.intervalMs));
  }

  private schedule(u: Upstream, ms: number): void {
    clearTimeout(this.timers.get(u.name));
    if (this.closed) return;
    if (!(ms > 0) || !Number.isFinite(ms)) return;
    const e = this.o.entries.get(u.name)!;
    if (e.health === 'unhealthy') e.nextRetryAt = new Date(Date.now() + ms).toISOString();
    const t = setTimeout(() => void this.run(u, false), ms);
    t.unref();
    this.timers.set(u.name, t);
  }

  private failed(u: Upstream, e: UpstreamEntry, error: string): void {
    e.health = 'unhealthy';
    e.error = error;
    e.failures++;
    this.o.log.warn({ upstream: u.name, err: error, failures: e.failures }, 'upstream unhealthy');
    this.o.onFailed(e);
    this.schedule(u, backoff(e.failures, this.o.retryBaseMs, this.o.retryMaxMs));
  }

  /** One poll or retry; concurrent triggers for one upstream share the run in progress. */
  private run(u: Upstream, force: boolean): Promise<void> {
    const inflight = this.running.get(u.name);
    if (inflight) return inflight;
    const p = this.attempt(u, force).finally(() => this.running.delete(u.name));
    this.running.set(u.name, p);
    return p;
  }

  private async attempt(u: Upstream, force: boolean): Promise<void> {
    const e = this.o.entries.get(u.name)!;
    if (this.closed) return;
    try {
      if (e.health === 'unhealthy' || !u.catalog) {
        const reconnect = !u.catalog || (u.kind === 'http' && e.failures >= 2);
        if (reconnect && (u.kind === 'http' || u.process?.pid === undefined)) await u.start();
        else await u.refresh();
      } else {
        const n = (this.polls.get(u.name) ?? 0) + 1;
        this.polls.set(u.name, n);
        const unchanged = !force && n % FULL_EVERY !== 0 && (await this.notModified(u, e));
        if (!unchanged) await u.refresh();
      }
    } catch (err) {
      u.lastError = (err as Error).message;
    }
    if (this.closed) return;
    if (u.lastError || !u.catalog) this.failed(u, e, u.lastError ?? 'discovery did not complete');
    else this.schedule(u, intervalJitter(this.o.intervalMs));
  }

  /** Conditional GET of the upstream's manifest: true only on 304 (or the same ETag). */
  private async notModified(u: Upstream, e: UpstreamEntry): Promise<boolean> {
    if (u.kind !== 'http' || !u.url) return false;
    const url = u.config.manifest_url ?? defaultManifestUrl(u.url);
    try {
      const headers: Record<string, string> = {
        accept: 'application/json',
        ...(await u.headers()),
      };
      if (e.etag) headers['if-none-match'] = e.etag;
      const res = await fetchSameOrigin(url, {
        headers,
        signal: AbortSignal.timeout(Math.min(u.config.timeout_ms, 5000)),
      });
      await res.body?.cancel();
      if (res.status === 304) return e.etag !== undefined;
      const etag = res.ok ? (res.headers.get('etag') ?? undefined) : undefined;
      const same = etag !== undefined && etag === e.etag;
      e.etag = etag;
      return same;
    } catch {
      return false;
    }
  }

  async refreshNow(name?: string): Promise<void> {
    const ups = this.o.upstreams.filter((u) => name === undefined || u.name === name);
    await Promise.all(ups.map((u) => this.run(u, true)));
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
