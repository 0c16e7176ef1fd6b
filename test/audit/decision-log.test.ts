// OPA-format decision logs: `format: opa` sinks and the `decision_logs` upload, checked by a
// collector written from OPA's documented service API (fixtures/opa-collector.ts): gzip JSON
// arrays of events with OPA's fields, the input redacted, the same decision id as the audit
// record; uploads retried while the collector is down, and a bounded buffer that drops the
// oldest events (counted) when it stays down.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuditor, parseAuditConfig, type Auditor } from '../../src/audit/index.ts';
import { rfc3339Nano } from '../../src/audit/decision-log/index.ts';
import { input, tempDir } from './helpers.ts';
import { OpaCollector, checkEvent } from './fixtures/opa-collector.ts';

const evaluation = (i: number) => ({
  path: 'mcp/authz/decision',
  input: {
    method: 'tools/call',
    tool_name: 'db.query',
    arguments: { sql: `select ${i}`, contact: 'bob@example.org' },
    subject: { sub: 'alice', client_id: 'cli-1', scopes: ['db:read'] },
  },
  result: { allow: i % 2 === 0, reasons: i % 2 === 0 ? [] : ['missing scope: db:write'] },
  eval_ns: 12_345,
});

/** Waits (bounded) for a condition that depends on the event loop making progress. */
async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

let open: Auditor[] = [];
let collectors: OpaCollector[] = [];
afterEach(async () => {
  await Promise.all(open.map((a) => a.close(500)));
  await Promise.all(collectors.map((c) => c.stop()));
  open = [];
  collectors = [];
});

async function collector(port = 0): Promise<OpaCollector> {
  const c = new OpaCollector();
  await c.start(port);
  collectors.push(c);
  return c;
}

describe('decision logs (OPA format)', () => {
  it('writes OPA events to a format: opa file and uploads them gzip-compressed', async () => {
    const c = await collector();
    const dir = tempDir();
    const opaPath = join(dir, 'decisions.jsonl');
    const auditPath = join(dir, 'audit.jsonl');
    const cfg = parseAuditConfig(
      {
        sinks: [
          { type: 'file', path: auditPath },
          { type: 'file', path: opaPath, format: 'opa' },
        ],
      },
      'audit',
      { url: c.url, interval_s: 0.05, headers: { 'x-tenant': 't1' } },
    );
    const a = await createAuditor(cfg);
    open.push(a);
    for (let i = 0; i < 5; i++) await a.record(input(i, { policy: evaluation(i) }));
    // A request without a policy evaluation is audited but is no decision.
    await a.record(input(99));
    await a.flush();
    await until(() => c.events.length === 5);
    expect(c.problems).toEqual([]);
    const records = lines(auditPath);
    expect(records).toHaveLength(6);
    const ids = records.slice(0, 5).map((r) => r.decision_id);
    expect(c.events.map((e) => e.decision_id)).toEqual(ids);
    const e = c.events[1];
    expect(e).toMatchObject({
      path: 'mcp/authz/decision',
      labels: { app: 'mcp-warden' },
      bundles: { policy: { revision: 'rev-1' } },
      metrics: { timer_rego_query_eval_ns: 12_345 },
      result: { allow: false, reasons: ['missing scope: db:write'] },
      input: { arguments: { contact: '[REDACTED:email]' } },
    });
    expect(JSON.stringify(c.events)).not.toContain('bob@example.org');
    expect(e).not.toHaveProperty('nd_builtin_cache');
    // The file sink holds the same events, one JSON object per line, and no audit records.
    await a.close();
    open = [];
    const file = lines(opaPath);
    expect(file.map((x) => x.decision_id)).toEqual(ids);
    for (const x of file) expect(checkEvent(x)).toEqual([]);
    expect(file[0]).not.toHaveProperty('hash');
  });

  it('retries while the collector is down and delivers once it is back', async () => {
    const c = await collector();
    const port = c.port;
    await c.stop();
    const a = await createAuditor(
      parseAuditConfig({ sinks: [{ type: 'file', path: join(tempDir(), 'a.jsonl') }] }, 'audit', {
        url: `http://127.0.0.1:${port}/logs`,
        interval_s: 0.05,
        retry: { min_delay_s: 0.05, max_delay_s: 0.2 },
      }),
    );
    open.push(a);
    for (let i = 0; i < 3; i++) await a.record(input(i, { policy: evaluation(i) }));
    const metric = (name: string) =>
      Number(new RegExp(`${name}\\{[^}]*\\} (\\d+)`).exec(a.prometheus())?.[1]);
    // Two failed attempts (the first and a backoff retry) before the collector returns.
    await until(() => metric('warden_decision_logs_upload_failures_total') >= 2);
    expect(metric('warden_decision_logs_uploaded_total')).toBe(0);
    const back = await collector(port);
    await until(() => back.events.length === 3);
    await until(() => metric('warden_decision_logs_uploaded_total') === 3);
    expect(back.problems).toEqual([]);
    expect(
      back.events.map((e) => (e.input as { arguments: { sql: string } }).arguments.sql),
    ).toEqual(['select 0', 'select 1', 'select 2']);
  });

  it('keeps a bounded buffer: the oldest events are dropped and counted', async () => {
    const c = await collector();
    const port = c.port;
    await c.stop();
    const a = await createAuditor(
      parseAuditConfig({ sinks: [{ type: 'file', path: join(tempDir(), 'a.jsonl') }] }, 'audit', {
        url: `http://127.0.0.1:${port}/logs`,
        interval_s: 0.05,
        buffer_bytes: 2048,
        retry: { min_delay_s: 0.05, max_delay_s: 0.1 },
      }),
    );
    open.push(a);
    for (let i = 0; i < 40; i++) await a.record(input(i, { policy: evaluation(i) }));
    const dropped = Number(
      /warden_decision_logs_dropped_total\{[^}]*\} (\d+)/.exec(a.prometheus())?.[1],
    );
    expect(dropped).toBeGreaterThan(0);
    const back = await collector(port);
    await until(() => back.events.length === 40 - dropped);
    const sqls = back.events.map((e) => (e.input as { arguments: { sql: string } }).arguments.sql);
    // What arrives is the newest events, in order.
    expect(sqls).toEqual(Array.from({ length: 40 - dropped }, (_, k) => `select ${dropped + k}`));
  });

  it('an http sink with format: opa speaks the same upload protocol to its URL', async () => {
    const c = await collector();
    const a = await createAuditor(
      parseAuditConfig({
        sinks: [
          { type: 'file', path: join(tempDir(), 'a.jsonl') },
          { type: 'http', url: c.url, format: 'opa', flush_ms: 50 },
        ],
      }),
    );
    open.push(a);
    for (let i = 0; i < 2; i++) await a.record(input(i, { policy: evaluation(i) }));
    await until(() => c.events.length === 2);
    expect(c.problems).toEqual([]);
    expect(c.events[0]).toMatchObject({ path: 'mcp/authz/decision', bundles: { policy: {} } });
  });

  it('parses decision_logs and format: opa with key paths in errors', () => {
    const where = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return (e as { where?: string }).where;
      }
      return undefined;
    };
    expect(where(() => parseAuditConfig({}, 'audit', { url: 'ftp://x' }))).toBe(
      'decision_logs.url',
    );
    expect(where(() => parseAuditConfig({}, 'audit', { url: 'http://x', nope: 1 }))).toBe(
      'decision_logs.nope',
    );
    expect(
      where(() => parseAuditConfig({ sinks: [{ type: 'stdout', format: 'xml' }] }, 'audit')),
    ).toBe('audit.sinks[0].format');
    const cfg = parseAuditConfig({ sinks: [{ type: 'syslog', host: 'h', format: 'opa' }] });
    expect(cfg.sinks[0]).toMatchObject({ type: 'syslog', format: 'opa' });
  });

  it('writes timestamps as RFC 3339 with nanoseconds, as Go does', () => {
    const ms = Date.UTC(2026, 11, 7, 23, 35, 35, 123);
    expect(rfc3339Nano(ms, 456_789)).toBe('2026-12-07T23:35:35.123456789Z');
    expect(rfc3339Nano(ms, 0)).toBe('2026-12-07T23:35:35.123Z');
    expect(rfc3339Nano(Date.UTC(2026, 0, 1), 0)).toBe('2026-01-01T00:00:00Z');
  });
});
