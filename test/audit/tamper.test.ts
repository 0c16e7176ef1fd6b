// An attacker with write access to the log, against `warden audit verify` with the chain key
// and the signed checkpoints kept apart: every edit of issue "audit you can prove" — a cut
// tail, a removed head, a rewritten and re-hashed record, a deleted record with the rest
// renumbered, a one-record file, an empty file — is caught, on logs the real Auditor wrote.
// Without key and checkpoints, verify keeps its old checks and says what it cannot prove.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAuditor, parseAuditConfig } from '../../src/audit/index.ts';
import { hmacHasher, recordHash, canonicalize } from '../../src/audit/canonical.ts';
import { run } from '../../src/cli/commands/audit.ts';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { captureIo, input, tempDir } from './helpers.ts';

const BIN = fileURLToPath(new URL('../../bin/warden.js', import.meta.url));
/** The installed command, in its own process (the contract is its exit codes and output). */
const warden = (args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

const KEY = 'correct horse battery staple 42';

interface Log {
  dir: string;
  path: string;
  cps: string;
  keyFile: string;
  pub: string;
  priv: string;
}

function setup(): Log {
  const dir = tempDir('warden-tamper-');
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const log: Log = {
    dir,
    path: join(dir, 'audit.jsonl'),
    cps: join(dir, 'checkpoints.jsonl'),
    keyFile: join(dir, 'chain.key'),
    pub: join(dir, 'checkpoint.pub.pem'),
    priv: join(dir, 'checkpoint.pem'),
  };
  writeFileSync(log.keyFile, `${KEY}\n`);
  writeFileSync(log.pub, publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(log.priv, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  return log;
}

async function write(log: Log, from: number, n: number, extra: Record<string, unknown> = {}) {
  const a = await createAuditor(
    parseAuditConfig({
      chain_key: { file: log.keyFile },
      checkpoints: {
        signing_key: log.priv,
        every_records: 3,
        sinks: [{ type: 'file', path: log.cps }],
      },
      sinks: [{ type: 'file', path: log.path }],
      spool: { dir: join(log.dir, 'spool') },
      ...extra,
    }),
  );
  for (let i = from; i < from + n; i++) await a.record(input(i));
  await a.close();
}

async function freshLog(n = 8): Promise<Log> {
  const log = setup();
  await write(log, 0, n);
  return log;
}

const rows = (p: string): Array<Record<string, unknown>> =>
  readFileSync(p, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const save = (p: string, recs: Array<Record<string, unknown>>): void =>
  writeFileSync(p, recs.map((r) => `${canonicalize(r)}\n`).join(''));

async function verify(log: Log, how: 'full' | 'key' | 'checkpoints' | 'none', files = [log.path]) {
  const io = captureIo();
  const args = ['verify', ...files];
  if (how === 'full' || how === 'key') args.push('--key', log.keyFile);
  if (how === 'full' || how === 'checkpoints')
    args.push('--checkpoints', log.cps, '--public-key', log.pub);
  const code = await run(args, io);
  return { code, out: io.out, err: io.err };
}

/** What an attacker without the key can do: re-chain from `from` with plain SHA-256 or with a
 *  key of their own, keeping `kid` so the records still look keyed. */
function rechain(recs: Array<Record<string, unknown>>, from: number, key?: string): void {
  const h = key ? hmacHasher(Buffer.from(key)) : undefined;
  for (let i = from; i < recs.length; i++) {
    recs[i].seq =
      (recs[i - 1]?.seq as number | undefined) === undefined ? 0 : (recs[i - 1].seq as number) + 1;
    recs[i].prev = i === 0 ? '0'.repeat(64) : recs[i - 1].hash;
    recs[i].hash = recordHash(recs[i], h);
  }
}

describe('verify with the chain key and signed checkpoints', () => {
  it('accepts the untouched log; records carry kid; checkpoints start, cover and stop', async () => {
    const log = await freshLog();
    const recs = rows(log.path);
    expect(recs.every((r) => typeof r.kid === 'string')).toBe(true);
    const cps = rows(log.cps);
    expect(cps[0]).toMatchObject({ type: 'checkpoint', event: 'start', seq: -1, first_seq: 0 });
    expect(cps.at(-1)).toMatchObject({ event: 'stop', seq: 7, hash: recs[7].hash });
    expect(cps.some((c) => c.event === 'interval')).toBe(true);
    const r = await verify(log, 'full');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/ok: 8 record\(s\).*keyed, \d+ checkpoint\(s\) match/);
    expect(r.err).toBe('');
  });

  it('a cut tail (the destructive last call deleted)', async () => {
    const log = await freshLog();
    save(log.path, rows(log.path).slice(0, 6));
    const r = await verify(log, 'full');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /ends at seq 5, but the checkpoint at .*checkpoints\.jsonl:\d+ covers seq 7: records 6\.\.7 were removed/,
    );
    // Without checkpoints: the old checks pass, and verify says what it cannot see.
    const weak = await verify(log, 'key');
    expect(weak.code).toBe(0);
    expect(weak.err).toMatch(
      /no checkpoints: a cut tail or a removed head .* would not be detected/,
    );
  });

  it('a removed head', async () => {
    const log = await freshLog();
    save(log.path, rows(log.path).slice(2));
    const r = await verify(log, 'full');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/starts at seq 2.*records before seq 2 were removed/);
  });

  it('a record rewritten and the tail re-hashed (SHA-256, or a key of the attacker)', async () => {
    const log = await freshLog();
    const recs = rows(log.path);
    (recs[3].arguments as Record<string, unknown>).sql = 'drop table users';
    rechain(recs, 3);
    save(log.path, recs);
    expect((await verify(log, 'none')).code).toBe(0); // the old checks cannot see it …
    expect((await verify(log, 'none')).err).toMatch(
      /no key: .*re-hashed record would not be detected/,
    );
    const k = await verify(log, 'key');
    expect(k.code).toBe(1);
    expect(k.err).toMatch(/audit\.jsonl:4: record seq 3 was modified \(its HMAC/);
    // … and the signed checkpoints catch it without the key.
    expect((await verify(log, 'checkpoints')).err).toMatch(/is not the record the checkpoint/);

    rechain(recs, 3, 'the attacker s own key material');
    save(log.path, recs);
    expect((await verify(log, 'key')).err).toMatch(/record seq 3 was modified/);

    for (const r of recs.slice(3)) delete r.kid; // downgrade to the unkeyed chain
    rechain(recs, 3);
    save(log.path, recs);
    expect((await verify(log, 'key')).err).toMatch(/seq 3 has no key id after keyed records/);
  });

  it('a record deleted and the rest renumbered', async () => {
    const log = await freshLog();
    const recs = rows(log.path);
    recs.splice(4, 1);
    rechain(recs, 4);
    save(log.path, recs);
    expect((await verify(log, 'none')).code).toBe(0);
    expect((await verify(log, 'key')).err).toMatch(/record seq 4 was modified/);
    expect((await verify(log, 'checkpoints')).code).toBe(1);
  });

  it('a one-record file and an empty file', async () => {
    const log = await freshLog();
    save(log.path, rows(log.path).slice(5, 6));
    const one = await verify(log, 'full');
    expect(one.code).toBe(1);
    expect(one.err).toMatch(/starts at seq 5/);
    writeFileSync(log.path, '');
    const empty = await verify(log, 'full');
    expect(empty.code).toBe(1);
    expect(empty.err).toMatch(/holds no records, but the checkpoint .* covers seq 7/);
    const weak = await verify(log, 'none');
    expect(weak.code).toBe(0);
    expect(weak.err).toMatch(/no records: an emptied log cannot be told from a new one/);
  });

  it('a forged or edited checkpoint is refused', async () => {
    const log = await freshLog();
    const cps = rows(log.cps);
    cps[cps.length - 1].seq = 5;
    save(log.cps, cps);
    const r = await verify(log, 'full');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/checkpoints\.jsonl:\d+: checkpoint of seq 5: signature does not verify/);
  });

  it('a restart after the log was truncated is logged, continues after the gap, and the gap is recorded', async () => {
    const log = await freshLog(6);
    const lines = readFileSync(log.path, 'utf8').split('\n');
    truncateSync(log.path, Buffer.byteLength(lines.slice(0, 4).join('\n') + '\n'));
    const errors: string[] = [];
    const logger = { error: (_o: unknown, m: string) => errors.push(m), warn() {}, info() {} };
    const a = await createAuditor(
      parseAuditConfig({
        chain_key: { file: log.keyFile },
        checkpoints: { signing_key: log.priv, sinks: [{ type: 'file', path: log.cps }] },
        sinks: [{ type: 'file', path: log.path }],
        spool: { dir: join(log.dir, 'spool') },
      }),
      { logger: logger as never },
    );
    await a.record(input(6));
    await a.close();
    expect(errors.join('\n')).toMatch(/AUDIT LOG LOST RECORDS/);
    const start = rows(log.cps).filter((c) => c.event === 'start')[1];
    expect(start).toMatchObject({ gap: { from: 4, to: 5 }, next_seq: 6 });
    expect(rows(log.path).at(-1)).toMatchObject({ seq: 6 });
    const r = await verify(log, 'full');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /expected seq 4, found 6 \(the gateway found them missing at its restart/,
    );
  });

  it('a rotated day: files that end at a rotation verify, with a note; rotated keys by id', async () => {
    const log = setup();
    const keys = join(log.dir, 'keys.json');
    writeFileSync(keys, JSON.stringify({ old: `${KEY}-old`, new: `${KEY}-new` }));
    const cfg = (first: string, second: string) => ({
      chain_key: undefined,
      chain_keys: [
        { id: first, key: `${KEY}-${first}` },
        { id: second, key: `${KEY}-${second}` },
      ],
      sinks: [{ type: 'file', path: log.path, max_bytes: 1500 }],
    });
    await write(log, 0, 4, cfg('old', 'new'));
    await write(log, 4, 4, cfg('new', 'old'));
    const recs = readFileSync(log.path, 'utf8');
    expect(recs).toMatch(/"kid":"new"/);
    const { readdirSync } = await import('node:fs');
    const rotated = readdirSync(log.dir)
      .filter((f) => /^audit\.jsonl\.\d/.test(f))
      .sort()
      .map((f) => join(log.dir, f));
    expect(rotated.length).toBeGreaterThan(1);
    const io = captureIo();
    const all = [
      'verify',
      ...rotated,
      log.path,
      '--key',
      keys,
      '--checkpoints',
      log.cps,
      '--public-key',
      log.pub,
    ];
    expect(await run(all, io)).toBe(0);
    const day = captureIo();
    const part = [
      'verify',
      ...rotated,
      '--key',
      keys,
      '--checkpoints',
      log.cps,
      '--public-key',
      log.pub,
    ];
    expect(await run(part, day)).toBe(0);
    expect(day.err).toMatch(/series ends where the log was rotated/);
    const wrong = captureIo();
    expect(await run(['verify', log.path, '--key', log.keyFile], wrong)).toBe(1);
    expect(wrong.err).toMatch(/keyed with "new", which no given key matches/);
  });

  it('PRODUCT.md command line: warden audit verify FILE --key FILE --checkpoints FILE --public-key FILE', async () => {
    const log = await freshLog(4);
    const args = ['audit', 'verify', log.path, '--key', log.keyFile];
    const cp = ['--checkpoints', log.cps, '--public-key', log.pub];
    expect(warden([...args, ...cp]).code).toBe(0);
    save(log.path, rows(log.path).slice(0, 3));
    const cut = warden([...args, ...cp]);
    expect(cut.code).toBe(1);
    expect(cut.err).toMatch(/audit\.jsonl:3: the log ends at seq 2/);
    // Usage: checkpoints without the public key, an unreadable key file, a key that is not Ed25519.
    const u1 = warden([...args, '--checkpoints', log.cps]);
    expect(u1.code).toBe(2);
    expect(u1.err).toMatch(/--checkpoints needs --public-key/);
    const u2 = warden(['audit', 'verify', log.path, '--key', join(log.dir, 'nope')]);
    expect(u2.code).toBe(2);
    expect(u2.err.trimEnd().split('\n')).toHaveLength(1);
    const u3 = warden([...args, '--checkpoints', log.cps, '--public-key', log.keyFile]);
    expect(u3.code).toBe(2);
    expect(u3.err).toMatch(/chain\.key.*not a PEM public key/);
  });
});
