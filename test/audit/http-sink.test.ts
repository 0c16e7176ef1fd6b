// The HTTP sink against a real node:http collector: NDJSON batches, failures then recovery
// (records spool and arrive complete and in order), persistence across an auditor restart, and
// the full-spool policies (block / reject with 503).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AuditUnavailableError,
  createAuditor,
  parseAuditConfig,
  recordHash,
  GENESIS,
} from '../../src/audit/index.ts';
import { input, tempDir } from './helpers.ts';

interface Collector {
  server: Server;
  url: string;
  records: Array<Record<string, unknown>>;
  requests: number;
  /** Answer 503 while true. */
  failing: boolean;
  contentTypes: Set<string>;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function collector(failing = false, port = 0): Promise<Collector> {
  const c = { records: [], requests: 0, failing, contentTypes: new Set() } as unknown as Collector;
  c.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      c.requests++;
      c.contentTypes.add(String(req.headers['content-type']));
      if (c.failing) {
        res.writeHead(503).end();
        return;
      }
      for (const l of Buffer.concat(chunks).toString('utf8').split('\n'))
        if (l !== '') c.records.push(JSON.parse(l) as Record<string, unknown>);
      res.writeHead(204).end();
    });
  });
  servers.push(c.server);
  await new Promise<void>((r) => c.server.listen(port, '127.0.0.1', r));
  c.url = `http://127.0.0.1:${(c.server.address() as AddressInfo).port}/ingest`;
  return c;
}

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Complete, in order, and a valid chain. */
function expectChain(recs: Array<Record<string, unknown>>, from: number, n: number): void {
  expect(recs.map((r) => r.seq)).toEqual(Array.from({ length: n }, (_, i) => from + i));
  let prev = from === 0 ? GENESIS : (recs[0].prev as string);
  for (const r of recs) {
    expect(r.prev).toBe(prev);
    expect(recordHash(r)).toBe(r.hash);
    prev = r.hash as string;
  }
}

const config = (dir: string, url: string, extra: Record<string, unknown> = {}) =>
  parseAuditConfig({
    sinks: [
      { type: 'file', path: join(dir, 'audit.jsonl') },
      { type: 'http', name: 'collector', url, batch_size: 7, flush_ms: 5 },
    ],
    spool: { dir: join(dir, 'spool') },
    ...extra,
  });

describe('HTTP sink', () => {
  it('delivers NDJSON batches in order', async () => {
    const c = await collector();
    const dir = tempDir();
    const a = await createAuditor(config(dir, c.url));
    for (let i = 0; i < 20; i++) await a.record(input(i));
    await until(() => c.records.length === 20);
    expectChain(c.records, 0, 20);
    expect(c.contentTypes).toEqual(new Set(['application/x-ndjson']));
    expect(c.requests).toBeLessThan(20); // batched
    await a.close();
  });

  it('spools while the collector fails, then delivers everything in order', async () => {
    const c = await collector(true);
    const dir = tempDir();
    const a = await createAuditor(config(dir, c.url));
    for (let i = 0; i < 30; i++) await a.record(input(i));
    await until(() => c.requests >= 3);
    const down = a.metrics().remote.collector;
    expect(down.delivered).toBe(0);
    expect(down.failures).toBeGreaterThanOrEqual(3);
    expect(down.pending_bytes).toBeGreaterThan(0);
    expect(down.lag_ms).toBeGreaterThan(0);
    for (let i = 30; i < 40; i++) await a.record(input(i));
    expect(a.metrics().remote.collector.spooled).toBeGreaterThan(0);
    c.failing = false;
    await until(() => c.records.length === 40);
    expectChain(c.records, 0, 40);
    await until(() => a.metrics().remote.collector.pending_bytes === 0);
    expect(a.metrics().remote.collector).toMatchObject({ delivered: 40, lag_ms: 0 });
    expect(a.prometheus()).toContain('warden_audit_delivered_total{sink="collector"} 40');
    await a.close();
  });

  it('keeps the spool across an auditor restart and resumes delivery', async () => {
    const dir = tempDir();
    const down = await collector(true);
    const a = await createAuditor(config(dir, down.url));
    for (let i = 0; i < 15; i++) await a.record(input(i));
    await a.close(200); // collector still failing: records stay spooled
    const up = await collector(false);
    const b = await createAuditor(config(dir, up.url));
    for (let i = 15; i < 20; i++) await b.record(input(i));
    await until(() => up.records.length === 20);
    expectChain(up.records, 0, 20);
    await b.close();
  });

  it('on_full: reject refuses new calls with a 503 error; recovers when drained', async () => {
    const c = await collector(true);
    const dir = tempDir();
    const a = await createAuditor(
      config(dir, c.url, {
        on_full: 'reject',
        spool: { dir: join(dir, 'spool'), max_bytes: 4096 },
      }),
    );
    let i = 0;
    while (a.canAccept()) {
      await a.admit();
      await a.record(input(i++));
    }
    const err = await a.admit().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuditUnavailableError);
    expect(err).toMatchObject({ status: 503, code: 'AUDIT_SPOOL_FULL' });
    expect(a.metrics().rejected_total).toBe(1);
    c.failing = false;
    await until(() => a.canAccept());
    await a.admit();
    await a.record(input(i++));
    await until(() => c.records.length === i);
    expectChain(c.records, 0, i);
    await a.close();
  });

  it('on_full: block makes new records wait until the spool drains', async () => {
    const c = await collector(true);
    const dir = tempDir();
    const a = await createAuditor(
      config(dir, c.url, { on_full: 'block', spool: { dir: join(dir, 'spool'), max_bytes: 4096 } }),
    );
    // Fill the spool: records resolve while there is room; the first one that does not
    // resolve within 300 ms is blocked.
    let i = 0;
    let blocked: Promise<unknown> | null = null;
    let done = false;
    while (blocked === null) {
      const p = a.record(input(i++)).then(() => (done = true));
      done = false;
      const settled = await Promise.race([
        p.then(() => true),
        new Promise((r) => setTimeout(() => r(false), 300)),
      ]);
      if (!settled) blocked = p;
    }
    expect(done).toBe(false);
    expect(a.canAccept()).toBe(false);
    c.failing = false;
    await blocked;
    await until(() => c.records.length === i);
    expectChain(c.records, 0, i);
    await a.close();
  });

  it('survives the collector process going away entirely (connection refused)', async () => {
    const c = await collector();
    const port = Number(new URL(c.url).port);
    const dir = tempDir();
    const a = await createAuditor(config(dir, c.url));
    for (let i = 0; i < 5; i++) await a.record(input(i));
    await until(() => c.records.length === 5);
    await new Promise((r) => c.server.close(r));
    c.server.closeAllConnections();
    for (let i = 5; i < 15; i++) await a.record(input(i));
    await until(() => a.metrics().remote.collector.failures > 0);
    const again = await collector(false, port);
    await until(() => again.records.length === 10);
    expectChain([...c.records, ...again.records], 0, 15);
    await a.close();
  });
});
