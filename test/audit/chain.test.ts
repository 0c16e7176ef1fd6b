// The hash chain: canonical JSON, records written by the auditor, rotation and restarts, and
// `warden audit verify` catching edited, deleted, reordered and truncated lines (exit 1) and
// unreadable files (exit 2).
import { readFileSync, writeFileSync, readdirSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  canonicalize,
  createAuditor,
  parseAuditConfig,
  recordHash,
  verifyFiles,
  GENESIS,
} from '../../src/audit/index.ts';
import { run } from '../../src/cli/commands/audit.ts';
import { main } from '../../src/cli/main.ts';
import { captureIo, input, tempDir } from './helpers.ts';

async function writeLog(
  n: number,
  sink: Record<string, unknown> = {},
): Promise<{ dir: string; path: string }> {
  const dir = tempDir();
  const path = join(dir, 'audit.jsonl');
  const a = await createAuditor(parseAuditConfig({ sinks: [{ type: 'file', path, ...sink }] }));
  for (let i = 0; i < n; i++) await a.record(input(i));
  await a.close();
  return { dir, path };
}

const series = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.startsWith('audit.jsonl'))
    .map((f) => join(dir, f));

async function verify(files: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await run(['verify', ...files], io);
  return { code, out: io.out, err: io.err };
}

describe('canonical JSON (RFC 8785 subset)', () => {
  it('sorts keys by UTF-16 code units, drops undefined, no whitespace', () => {
    expect(
      canonicalize({
        b: 1,
        a: [true, null, 'x'],
        c: undefined,
        '\u00e9': 0,
        '\ud83d\ude00': 1,
        Z: 2,
      }),
    ).toBe('{"Z":2,"a":[true,null,"x"],"b":1,"é":0,"😀":1}');
    expect(canonicalize({ n: [1e21, 0.1, -0, 1.5e-7, 100] })).toBe(
      '{"n":[1e+21,0.1,0,1.5e-7,100]}',
    );
    // Line separators other tools split on are escaped: one record, one line, for every reader.
    expect(canonicalize('line\n"q"\u2028\u2029\u0085\u009f')).toBe(
      '"line\\n\\"q\\"\\u2028\\u2029\\u0085\\u009f"',
    );
    expect(() => canonicalize({ x: Number.NaN })).toThrow(/non-finite/);
  });

  it('hashes the record without its hash field, prev included', () => {
    const rec = { a: 1, prev: GENESIS, hash: 'ignored' };
    expect(recordHash(rec)).toBe(recordHash({ prev: GENESIS, a: 1 }));
    expect(recordHash(rec)).not.toBe(recordHash({ a: 1, prev: '1'.repeat(64) }));
  });
});

describe('line separators', () => {
  it('are escaped in written lines; a file from before, with them raw, still verifies', async () => {
    const { path } = await writeLog(1, {});
    const line = readFileSync(path, 'utf8');
    expect(line).not.toMatch(/[\u2028\u2029\u0085]/);
    // A record as the earlier sealer wrote it: the separators raw, hashed as written.
    const { createHash } = await import('node:crypto');
    const body = { a: 'x\u2028y\u0085z', prev: GENESIS, seq: 0 };
    const rawText = JSON.stringify(body); // keys sorted; JSON.stringify leaves these raw
    const hash = createHash('sha256').update(rawText).digest('hex');
    const old = JSON.stringify({ a: body.a, hash, prev: GENESIS, seq: 0 });
    expect(old).toMatch(/\u2028/);
    const legacy = join(tempDir(), 'old.jsonl');
    writeFileSync(legacy, `${old}\n`);
    expect(await verifyFiles([legacy])).toMatchObject({ ok: true, records: 1 });
  });
});

describe('audit records and chain', () => {
  it('writes the contract fields, redacted, chained from genesis', async () => {
    const { path } = await writeLog(3);
    const lines = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({
      v: 1,
      seq: 0,
      prev: GENESIS,
      subject: 'alice',
      client: 'cli-1',
      upstream: 'db',
      method: 'tools/call',
      tool: 'db.query',
      decision: 'allow',
      outcome: 'ok',
      policy_revision: 'rev-1',
      arguments: { sql: 'select 0', contact: '[REDACTED:email]', note: 'Zoë ✓ 電話' },
      redactions: { email: 1 },
      sizes: { result_bytes: 10 },
    });
    expect(lines[0].decision_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(lines[1].prev).toBe(lines[0].hash);
    expect(lines[2].seq).toBe(2);
    // Each line is exactly the canonical form of its record.
    const raw = readFileSync(path, 'utf8').split('\n')[0];
    expect(raw).toBe(canonicalize(JSON.parse(raw)));
    expect(raw).not.toContain('bob@example.org');
  });

  it('keeps the chain across rotation and restarts; verify takes the series in any order', async () => {
    const { dir, path } = await writeLog(40, { max_bytes: 3000 });
    // Restart: a new auditor continues the same chain.
    const a = await createAuditor(
      parseAuditConfig({ sinks: [{ type: 'file', path, max_bytes: 3000 }] }),
    );
    for (let i = 40; i < 50; i++) await a.record(input(i));
    await a.close();
    const files = series(dir);
    expect(files.length).toBeGreaterThan(3);
    const r = await verify([...files].reverse());
    expect(r).toMatchObject({ code: 0 });
    expect(r.out).toContain(`ok: 50 record(s) in ${files.length} file(s), seq 0..49`);
  });

  it('detects a missing rotated file', async () => {
    const { dir } = await writeLog(30, { max_bytes: 3000 });
    const files = series(dir).sort();
    // files[0] is the live file; files[2] is the second-oldest rotated one.
    const r = await verify(files.filter((_, i) => i !== 2));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /:1: record\(s\) missing or moved before this one: expected seq \d+, found \d+/,
    );
  });
});

describe('tamper detection', () => {
  const tamper = async (edit: (lines: string[]) => string) => {
    const { path } = await writeLog(6);
    const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1);
    writeFileSync(path, edit(lines));
    return { path, ...(await verify([path])) };
  };

  it('accepts the untouched file', async () => {
    const { path } = await writeLog(6);
    expect((await verify([path])).code).toBe(0);
  });

  it('edited line: value changed', async () => {
    const r = await tamper((l) => {
      l[2] = l[2].replace('"decision":"allow"', '"decision":"deny"');
      return `${l.join('\n')}\n`;
    });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${r.path}:3: record seq 2 was modified`);
  });

  it('edited line: hash recomputed to hide the edit', async () => {
    const r = await tamper((l) => {
      const rec = JSON.parse(l[2]);
      rec.outcome = 'denied';
      rec.hash = recordHash(rec);
      l[2] = canonicalize(rec);
      return `${l.join('\n')}\n`;
    });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${r.path}:4: record seq 3 does not link to the previous record`);
  });

  it('deleted line', async () => {
    const r = await tamper((l) => `${l.filter((_, i) => i !== 3).join('\n')}\n`);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `${r.path}:4: record(s) missing or moved before this one: expected seq 3, found 4`,
    );
  });

  it('reordered lines', async () => {
    const r = await tamper((l) => {
      [l[1], l[2]] = [l[2], l[1]];
      return `${l.join('\n')}\n`;
    });
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      `${r.path}:2: record(s) missing or moved before this one: expected seq 1, found 2`,
    );
  });

  it('line moved earlier (seq goes back)', async () => {
    const r = await tamper((l) => `${[l[0], l[1], l[2], l[1], l[3]].join('\n')}\n`);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${r.path}:4: record out of order: expected seq 3, found 1`);
  });

  it('truncated last line (cut mid-record)', async () => {
    const r = await tamper((l) => `${l.slice(0, 5).join('\n')}\n${l[5].slice(0, 40)}`);
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${r.path}:6: truncated record`);
  });

  it('truncated line in the middle', async () => {
    const r = await tamper((l) => {
      l[1] = l[1].slice(0, l[1].length - 30);
      return `${l.join('\n')}\n`;
    });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${r.path}:2: not a JSON object`);
  });

  it('a forged first record', async () => {
    const r = await tamper((l) => {
      const rec = JSON.parse(l[0]);
      rec.prev = '1'.repeat(64);
      rec.hash = recordHash(rec);
      l[0] = canonicalize(rec);
      return `${l.join('\n')}\n`;
    });
    expect(r.code).toBe(1);
    expect(r.err).toContain(`${r.path}:1: record seq 0 does not start from the genesis hash`);
  });

  it('verifyFiles reports the problem structurally', async () => {
    const { path } = await writeLog(3);
    const l = readFileSync(path, 'utf8').split('\n');
    writeFileSync(path, `${l[0]}\n${l[2]}\n`);
    const r = await verifyFiles([path]);
    expect(r.ok).toBe(false);
    expect(r.problem).toMatchObject({ file: path, line: 2, kind: 'missing' });
  });
});

describe('warden audit verify: exit codes through the CLI', () => {
  it('exit 2 for a missing or unreadable file, one line', async () => {
    const io = captureIo();
    expect(await main(['audit', 'verify', '/nonexistent/audit.jsonl'], io)).toBe(2);
    expect(io.err).toBe('/nonexistent/audit.jsonl: cannot read: no such file\n');
    const dir = tempDir();
    const io2 = captureIo();
    expect(await main(['audit', 'verify', dir], io2)).toBe(2);
    expect(io2.err).toContain('is a directory');
    if (process.getuid?.() !== 0) {
      const f = join(dir, 'x.jsonl');
      writeFileSync(f, '');
      chmodSync(f, 0);
      expect(await main(['audit', 'verify', f], captureIo())).toBe(2);
    }
  });

  it('exit 2 for usage errors', async () => {
    const io = captureIo();
    expect(await main(['audit', 'verify'], io)).toBe(2);
    expect(io.err).toContain('missing FILE');
    expect(await main(['audit', 'frobnicate'], captureIo())).toBe(2);
  });

  it('exit 1 on a broken file, 0 on a good one', async () => {
    const { path } = await writeLog(2);
    expect(await main(['audit', 'verify', path], captureIo())).toBe(0);
    writeFileSync(path, readFileSync(path, 'utf8').replace('alice', 'mallory'));
    expect(await main(['audit', 'verify', path], captureIo())).toBe(1);
  });
});
