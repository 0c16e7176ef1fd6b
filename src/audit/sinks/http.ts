// HTTP transport: NDJSON batches (one record per line, `application/x-ndjson`) POSTed to a
// collector. A 2xx confirms the batch; anything else, a network error or a timeout fails it and
// the queue retries the same batch with backoff, so the collector sees records in order and a
// batch at least once. 4xx other than 408/429 are still retried: dropping records is the one
// thing the audit trail must not do; the lag metric shows the problem instead.
import type { HttpSinkConfig } from '../config.ts';
import type { Transport } from '../remote.ts';

export class HttpTransport implements Transport {
  readonly confirmMs = 0;
  readonly epoch = 0;
  constructor(private readonly cfg: HttpSinkConfig) {}

  onDown(): void {
    // Each batch is its own request: there is no connection to lose between batches.
  }

  async send(ndjson: Buffer, lines: number): Promise<void> {
    const res = await fetch(this.cfg.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        'x-audit-records': String(lines),
        ...this.cfg.headers,
      },
      body: ndjson.toString('utf8'),
      signal: AbortSignal.timeout(this.cfg.timeout_ms),
    });
    // Drain the body so the connection can be reused.
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status > 299)
      throw new Error(`collector answered HTTP ${res.status}`);
  }

  async close(): Promise<void> {}
}
