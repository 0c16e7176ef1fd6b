// audit.mode: what record() promises in each mode, and group commit in `durable`: concurrent
// records share one fdatasync (counted by the file sink), so 8 concurrent calls do not wait
// for 8 flushes. `sync` is read as `durable`. (SIGKILL survival: crash.test.ts.)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuditor, parseAuditConfig } from '../../src/audit/index.ts';
import { input, tempDir } from './helpers.ts';

const count = (path: string): number =>
  readFileSync(path, 'utf8').split('\n').filter(Boolean).length;

async function auditor(mode: string) {
  const path = join(tempDir(), 'audit.jsonl');
  // A long interval: the background fdatasync of written/async mode does not run here.
  const sinks = [{ type: 'file', path, fsync_interval_ms: 3_600_000 }];
  const a = await createAuditor(parseAuditConfig({ mode, sinks }));
  return { a, path, file: a.files[0] };
}

describe('audit.mode', () => {
  it('defaults to written; sync is the old name of durable', () => {
    expect(parseAuditConfig({}).mode).toBe('written');
    expect(parseAuditConfig({ mode: 'sync' }).mode).toBe('durable');
  });

  it('durable: 8 concurrent records, one fdatasync, all in the file when record() resolves', async () => {
    const { a, path, file } = await auditor('durable');
    await Promise.all(Array.from({ length: 8 }, (_, i) => a.record(input(i))));
    expect(count(path)).toBe(8);
    expect(file.fsyncs).toBe(1);
    // Sequential records each wait for their own flush.
    await a.record(input(8));
    await a.record(input(9));
    expect(file.fsyncs).toBe(3);
    expect(a.holdsAnswers).toBe(true);
    await a.close();
  });

  it('written: in the file (write(2) returned) when record() resolves, no fdatasync waited for', async () => {
    const { a, path, file } = await auditor('written');
    await Promise.all(Array.from({ length: 8 }, (_, i) => a.record(input(i))));
    expect(count(path)).toBe(8);
    await a.record(input(8));
    expect(count(path)).toBe(9);
    expect(file.fsyncs).toBe(0);
    expect(a.holdsAnswers).toBe(true);
    await a.close();
    expect(file.fsyncs).toBeGreaterThan(0); // close() flushes
  });

  it('async: record() resolves before the record is sealed; answers are not held', async () => {
    const { a, path } = await auditor('async');
    await a.record(input(0));
    expect(count(path)).toBe(0);
    expect(a.holdsAnswers).toBe(false);
    await a.flush();
    expect(count(path)).toBe(1);
    await a.close();
  });
});
