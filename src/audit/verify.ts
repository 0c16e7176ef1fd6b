// `warden audit verify`: checks the hash chain of one file or a rotated series. Files are taken
// in chain order (by the `seq` of their first record, so a shell glob's alphabetical order does
// not matter); within and across files every record must hash correctly, carry the previous
// record's hash as `prev`, and have the next `seq`. The first problem is reported as file:line.
//
// With chain keys (`--key`), keyed records (`kid`) are checked by HMAC-SHA-256, so a record
// rewritten and the tail re-hashed is caught; a plain record after keyed ones is a downgrade.
// With signed checkpoints (`--checkpoints` + `--public-key`, kept apart from the log), every
// checkpointed seq must hold the signed hash, the series must start where a checkpoint says a
// chain or a file starts (removed head), and no checkpoint may cover records past the series'
// end unless it ends at a file boundary (cut tail). What cannot be proven without them is said.
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { KeyObject } from 'node:crypto';
import {
  canonicalizeLegacy,
  GENESIS,
  hmacHasher,
  recordHash,
  SHA256,
  type ChainHasher,
} from './canonical.ts';
import { checkpointValid, type Checkpoint } from './checkpoints.ts';
import type { ChainKey } from './keys.ts';

export interface VerifyProblem {
  file: string;
  line: number;
  kind:
    | 'unparsable'
    | 'truncated'
    | 'hash_mismatch'
    | 'broken_link'
    | 'missing'
    | 'reordered'
    | 'unknown_key'
    | 'downgrade'
    | 'checkpoint_invalid'
    | 'checkpoint_mismatch'
    | 'head_removed'
    | 'tail_cut';
  message: string;
}

export interface VerifyOptions {
  /** Chain keys (rotated ones too): keyed records are checked with them. */
  keys?: ChainKey[];
  /** Signed checkpoints and the Ed25519 public key that signed them. */
  checkpoints?: { files: string[]; publicKey: KeyObject };
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  files: string[];
  /** seq of the first record seen (0 means the chain is checked from its genesis). */
  firstSeq: number | null;
  lastHash: string | null;
  /** What was not or could not be proven (printed by the CLI). */
  notes: string[];
  checkpoints: number;
  problem?: VerifyProblem;
}

interface Line {
  text: string;
  no: number;
  terminated: boolean;
}

/** Reads a file line by line, noting whether the last line ended with "\n" (a torn write). */
async function* lines(file: string): AsyncGenerator<Line> {
  const stream = createReadStream(file, { encoding: 'utf8' });
  let pending = '';
  let no = 0;
  for await (const chunk of stream as AsyncIterable<string>) {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      yield { text: pending.slice(0, nl), no: ++no, terminated: true };
      pending = pending.slice(nl + 1);
    }
  }
  if (pending !== '') yield { text: pending, no: ++no, terminated: false };
}

/** The first record's seq, to order a series; null for an empty or unparsable file. Throws
 *  (ENOENT, EACCES, EISDIR) when the file cannot be read: the CLI turns that into exit 2. */
export async function firstSeq(file: string): Promise<number | null> {
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  try {
    for await (const l of rl) {
      if (l.trim() === '') continue;
      try {
        const s = (JSON.parse(l) as { seq?: unknown }).seq;
        return typeof s === 'number' ? s : null;
      } catch {
        return null;
      }
    }
    return null;
  } finally {
    rl.close();
  }
}

interface SignedPoint {
  cp: Checkpoint;
  file: string;
  line: number;
}

/** Reads and checks the signature of every checkpoint; the first bad one is a problem. */
function readCheckpoints(
  files: string[],
  key: KeyObject,
): { points: SignedPoint[] } | { problem: VerifyProblem } {
  const points: SignedPoint[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const rows = text.split('\n');
    for (let i = 0; i < rows.length; i++) {
      const t = rows[i];
      if (t.trim() === '') continue;
      const bad = (message: string) => ({
        problem: { file, line: i + 1, kind: 'checkpoint_invalid' as const, message },
      });
      let cp: Checkpoint;
      try {
        cp = JSON.parse(t) as Checkpoint;
      } catch {
        return bad('not a JSON checkpoint');
      }
      if (cp?.type !== 'checkpoint' || typeof cp.seq !== 'number' || typeof cp.hash !== 'string')
        return bad('not a checkpoint (type, seq, hash)');
      if (!checkpointValid(cp, key))
        return bad(`checkpoint of seq ${cp.seq}: signature does not verify with the public key`);
      points.push({ cp, file, line: i + 1 });
    }
  }
  return { points };
}

const where = (p: SignedPoint): string => `${p.file}:${p.line}`;

export async function verifyFiles(
  files: string[],
  opts: VerifyOptions = {},
): Promise<VerifyResult> {
  const keyed = await Promise.all(files.map(async (f, i) => ({ f, i, s: await firstSeq(f) })));
  // Stable: files whose first seq is unknown keep their given position relative to each other.
  keyed.sort((a, b) => (a.s ?? Infinity) - (b.s ?? Infinity) || a.i - b.i);
  const ordered = keyed.map((k) => k.f);
  const emptyGiven = keyed.some((k) => k.s === null);
  const notes: string[] = [];
  const hashers = new Map<string, ChainHasher>();
  for (const k of opts.keys ?? []) hashers.set(k.kid, hmacHasher(k.key));
  const spare = [...(opts.keys ?? [])].map((k) => hmacHasher(k.key));
  let expectSeq: number | null = null;
  let prev: string | null = null;
  let records = 0;
  let first: number | null = null;
  let keyedSeen = false;
  let unkeyed = 0;
  let keyedUnchecked = 0;
  let points: SignedPoint[] = [];
  const bySeq = new Map<number, SignedPoint[]>();
  const result = (problem?: VerifyProblem): VerifyResult => ({
    ok: problem === undefined,
    records,
    files: ordered,
    firstSeq: first,
    lastHash: prev,
    notes,
    checkpoints: points.length,
    problem,
  });
  const fail = (file: string, line: number, kind: VerifyProblem['kind'], message: string) =>
    result({ file, line, kind, message });
  if (opts.checkpoints) {
    const r = readCheckpoints(opts.checkpoints.files, opts.checkpoints.publicKey);
    if ('problem' in r) return result(r.problem);
    points = r.points;
    for (const p of points) {
      const l = bySeq.get(p.cp.seq) ?? [];
      l.push(p);
      bySeq.set(p.cp.seq, l);
    }
  }
  /** The hasher of a keyed record: by its kid, else the first given key that matches. */
  const keyedHash = (rec: Record<string, unknown>, kid: string): string | null => {
    const h = hashers.get(kid);
    if (h) return recordHash(rec, h);
    for (const s of spare) {
      const v = recordHash(rec, s);
      if (v === rec.hash) {
        hashers.set(kid, s);
        return v;
      }
    }
    return null;
  };
  let lastFile = '';
  let lastLine = 0;
  for (const file of ordered) {
    for await (const l of lines(file)) {
      if (l.text.trim() === '') continue;
      if (!l.terminated)
        return fail(
          file,
          l.no,
          'truncated',
          'truncated record (no end of line): the write was cut off or the file was cut',
        );
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(l.text) as Record<string, unknown>;
        if (rec === null || typeof rec !== 'object' || Array.isArray(rec))
          throw new Error('not an object');
      } catch {
        return fail(file, l.no, 'unparsable', 'not a JSON object (edited or truncated)');
      }
      const { seq, hash, kid } = rec;
      if (typeof seq !== 'number' || typeof hash !== 'string' || typeof rec.prev !== 'string')
        return fail(file, l.no, 'unparsable', 'record lacks seq, prev or hash');
      if (typeof kid === 'string') {
        keyedSeen = true;
        if (opts.keys && opts.keys.length > 0) {
          const h = keyedHash(rec, kid);
          if (h === null && !hashers.has(kid))
            return fail(
              file,
              l.no,
              'unknown_key',
              `record seq ${seq} is keyed with ${JSON.stringify(kid)}, which no given key matches (modified, or another key)`,
            );
          if (h !== hash)
            return fail(
              file,
              l.no,
              'hash_mismatch',
              `record seq ${seq} was modified (its HMAC does not match its content)`,
            );
        } else keyedUnchecked++;
      } else {
        if (keyedSeen && opts.keys && opts.keys.length > 0)
          return fail(
            file,
            l.no,
            'downgrade',
            `record seq ${seq} has no key id after keyed records: re-hashed without the chain key`,
          );
        unkeyed++;
        // Files written before line separators were escaped hash their raw form.
        if (recordHash(rec) !== hash && SHA256(canonicalizeLegacy(omitHash(rec))) !== hash)
          return fail(
            file,
            l.no,
            'hash_mismatch',
            `record seq ${seq} was modified (hash does not match its content)`,
          );
      }
      if (expectSeq === null) {
        first = seq;
        if (seq === 0 && rec.prev !== GENESIS)
          return fail(
            file,
            l.no,
            'broken_link',
            'record seq 0 does not start from the genesis hash',
          );
      } else {
        if (seq > expectSeq) {
          const gap = points.find(
            (p) => p.cp.gap && p.cp.gap.from <= expectSeq! && p.cp.gap.to >= expectSeq!,
          );
          return fail(
            file,
            l.no,
            'missing',
            `record(s) missing or moved before this one: expected seq ${expectSeq}, found ${seq}` +
              (gap
                ? ` (the gateway found them missing at its restart: checkpoint ${where(gap)})`
                : ''),
          );
        }
        if (seq < expectSeq)
          return fail(
            file,
            l.no,
            'reordered',
            `record out of order: expected seq ${expectSeq}, found ${seq}`,
          );
        if (rec.prev !== prev)
          return fail(
            file,
            l.no,
            'broken_link',
            `record seq ${seq} does not link to the previous record (prev mismatch)`,
          );
      }
      for (const p of bySeq.get(seq) ?? [])
        if (p.cp.hash !== hash)
          return fail(
            file,
            l.no,
            'checkpoint_mismatch',
            `record seq ${seq} is not the record the checkpoint at ${where(p)} signed (replaced or re-forged)`,
          );
      prev = hash;
      expectSeq = seq + 1;
      records++;
      lastFile = file;
      lastLine = l.no;
    }
  }
  if (opts.checkpoints) {
    const p = checkBounds(
      points,
      first,
      expectSeq === null ? null : expectSeq - 1,
      emptyGiven,
      notes,
    );
    if (p) {
      const file = p.atEnd ? lastFile || ordered[ordered.length - 1] : ordered[0];
      return fail(file, p.atEnd ? lastLine : 1, p.kind, p.message);
    }
    if (points.length === 0)
      notes.push('the checkpoints file holds no checkpoint: nothing anchored');
  } else
    notes.push(
      'no checkpoints: a cut tail or a removed head (records deleted at either end) would not be detected',
    );
  if (keyedUnchecked > 0)
    notes.push(
      `no key: ${keyedUnchecked} keyed record(s) were checked for links and order only, not for their HMAC; a rewritten and re-hashed record would not be detected`,
    );
  else if (!opts.keys?.length && records > 0)
    notes.push('no key: a rewritten and re-hashed record would not be detected');
  else if (opts.keys?.length && unkeyed > 0)
    notes.push(
      `${unkeyed} record(s) before the first keyed one are plain SHA-256: not proven by the key`,
    );
  if (records === 0 && !opts.checkpoints)
    notes.push('no records: an emptied log cannot be told from a new one without --checkpoints');
  return result();
}

const omitHash = (rec: Record<string, unknown>): Record<string, unknown> => {
  const { hash: _omit, ...rest } = rec;
  return rest;
};

/** The ends of the series against the checkpoints: where may it start, where must it end. */
function checkBounds(
  points: SignedPoint[],
  first: number | null,
  last: number | null,
  emptyGiven: boolean,
  notes: string[],
): { kind: 'head_removed' | 'tail_cut'; message: string; atEnd: boolean } | null {
  if (points.length === 0) return null;
  const lastSeq = last ?? -1;
  // Head: seq 0 is the genesis (its prev was checked), else a file a rotation started.
  const start = first ?? lastSeq + 1;
  const starts = new Set(
    points.filter((p) => p.cp.first_seq !== undefined).map((p) => p.cp.first_seq),
  );
  // Evidence of records before the series' first: a chain start named before it, or a
  // checkpoint of an earlier record.
  const before = points.find(
    (p) =>
      (p.cp.first_seq !== undefined && p.cp.first_seq < start) ||
      (p.cp.seq >= 0 && p.cp.seq < start),
  );
  if (first !== null && first !== 0 && !starts.has(first) && before)
    return {
      kind: 'head_removed',
      atEnd: false,
      message: `the log starts at seq ${first}, but no checkpoint names a chain or file starting there and the checkpoint at ${where(before)} knows of earlier records: records before seq ${first} were removed`,
    };
  // Tail: nothing checkpointed past the end, unless the end is a rotation's boundary.
  const beyond = points.filter((p) => p.cp.seq > lastSeq);
  if (beyond.length === 0) return null;
  const far = beyond.reduce((a, b) => (b.cp.seq > a.cp.seq ? b : a));
  const boundary = points.some(
    (p) => p.cp.event === 'rotate' && p.cp.seq === lastSeq && p.cp.first_seq === lastSeq + 1,
  );
  if (boundary && !emptyGiven) {
    notes.push(
      `the series ends where the log was rotated (seq ${lastSeq}); checkpoints reach seq ${far.cp.seq} in later files not given`,
    );
    return null;
  }
  return {
    kind: 'tail_cut',
    atEnd: true,
    message:
      last === null
        ? `the log holds no records, but the checkpoint at ${where(far)} covers seq ${far.cp.seq}: records were removed`
        : `the log ends at seq ${lastSeq}, but the checkpoint at ${where(far)} covers seq ${far.cp.seq}: records ${lastSeq + 1}..${far.cp.seq} were removed`,
  };
}
