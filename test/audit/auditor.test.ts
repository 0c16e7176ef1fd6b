// The auditor with local sinks: concurrency and group commit, time rotation, a torn tail left by
// a crash, async mode, stdout, results kept redacted, redaction before the client, close().
import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  AuditClosedError,
  createAuditor,
  parseAuditConfig,
  verifyFiles,
} from '../../src/audit/index.ts';
import { input, tempDir } from './helpers.ts';

const lines = (path: string) =>
  readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('auditor', () => {
  it('writes concurrent records in seq order (group commit)', async () => {
    const dir = tempDir();
    const path = join(dir, 'audit.jsonl');
    const a = await createAuditor(parseAuditConfig({ sinks: [{ type: 'file', path }] }));
    await Promise.all(Array.from({ length: 200 }, (_, i) => a.record(input(i))));
    expect(lines(path).map((r) => r.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect(a.metrics()).toMatchObject({
      records_total: 200,
      records_written: { [`file:${path}`]: 200 },
      redactions: { email: 200 },
    });
    await a.close();
    expect((await verifyFiles([path])).ok).toBe(true);
  });

  it('rotates by age and keeps the chain', async () => {
    const dir = tempDir();
    const path = join(dir, 'audit.jsonl');
    const a = await createAuditor(
      parseAuditConfig({ sinks: [{ type: 'file', path, max_age_s: 1 }] }),
    );
    await a.record(input(0));
    await new Promise((r) => setTimeout(r, 1100));
    await a.record(input(1));
    await a.close();
    const files = readdirSync(dir).map((f) => join(dir, f));
    expect(files).toHaveLength(2);
    expect(await verifyFiles(files)).toMatchObject({ ok: true, records: 2 });
  });

  it('repairs a torn tail left by a crash and continues the chain', async () => {
    const dir = tempDir();
    const path = join(dir, 'audit.jsonl');
    const a = await createAuditor(parseAuditConfig({ sinks: [{ type: 'file', path }] }));
    for (let i = 0; i < 3; i++) await a.record(input(i));
    await a.close();
    appendFileSync(path, '{"seq":3,"half a rec');
    expect((await verifyFiles([path])).problem?.kind).toBe('truncated');
    const b = await createAuditor(parseAuditConfig({ sinks: [{ type: 'file', path }] }));
    await b.record(input(3));
    await b.close();
    expect(lines(path).map((r) => r.seq)).toEqual([0, 1, 2, 3]);
    expect(await verifyFiles([path])).toMatchObject({ ok: true, records: 4 });
  });

  it('async mode resolves on enqueue and close() flushes everything', async () => {
    const dir = tempDir();
    const path = join(dir, 'audit.jsonl');
    const out = new PassThrough();
    let stdout = '';
    out.on('data', (d) => (stdout += d));
    const a = await createAuditor(
      parseAuditConfig({ mode: 'async', sinks: [{ type: 'file', path }, { type: 'stdout' }] }),
      { stdout: out },
    );
    for (let i = 0; i < 50; i++) void a.record(input(i));
    await a.close();
    expect(lines(path)).toHaveLength(50);
    expect(stdout.trimEnd().split('\n')).toEqual(readFileSync(path, 'utf8').trimEnd().split('\n'));
    await expect(a.record(input(51))).rejects.toBeInstanceOf(AuditClosedError);
  });

  it('keeps redacted results with results: full, redacts errors, headers and reasons', async () => {
    const dir = tempDir();
    const path = join(dir, 'audit.jsonl');
    const a = await createAuditor(
      parseAuditConfig({ results: 'full', sinks: [{ type: 'file', path }] }),
    );
    await a.record(
      input(0, {
        result: undefined,
        result_value: {
          content: [{ type: 'text', text: 'card 4111 1111 1111 1111' }],
          isError: false,
        },
        outcome: 'error',
        error_message: 'upstream said: no user bob@example.org',
        headers: { authorization: 'Bearer abcdefghijklmnop', 'user-agent': 'test' },
        reasons: ['no such tool: 10.1.2.3'],
        decision_id: 'd-1',
      }),
    );
    await a.close();
    const [rec] = lines(path);
    expect(rec).toMatchObject({
      decision_id: 'd-1',
      result: {
        is_error: false,
        content_types: ['text'],
        value: { content: [{ type: 'text', text: 'card [REDACTED:card]' }] },
      },
      error: 'upstream said: no user [REDACTED:email]',
      headers: { authorization: '[REDACTED:authorization]', 'user-agent': 'test' },
      reasons: ['no such tool: [REDACTED:ipv4]'],
      redactions: { card: 1, email: 2, authorization: 1, ipv4: 1 },
    });
    expect((rec.sizes as { result_bytes: number }).result_bytes).toBeGreaterThan(40);
  });

  it('redacts results for the client only when configured', async () => {
    const result = { content: [{ type: 'text', text: 'ssn 123-45-6789' }] };
    const dir = tempDir();
    const off = await createAuditor(
      parseAuditConfig({ sinks: [{ type: 'file', path: join(dir, 'a.jsonl') }] }),
    );
    expect(off.clientResult(result)).toBe(result);
    await off.close();
    const on = await createAuditor(
      parseAuditConfig({
        sinks: [{ type: 'file', path: join(dir, 'b.jsonl') }],
        redaction: { results_to_client: true },
      }),
    );
    expect(on.clientResult(result)).toEqual({
      content: [{ type: 'text', text: 'ssn [REDACTED:ssn]' }],
    });
    await on.close();
  });
});
