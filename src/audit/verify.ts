// `warden audit verify`: checks the hash chain of one file or a rotated series. Files are taken
// in chain order (by the `seq` of their first record, so a shell glob's alphabetical order does
// not matter); within and across files every record must hash correctly, carry the previous
// record's hash as `prev`, and have the next `seq`. The first problem is reported as file:line.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { GENESIS, recordHash } from './canonical.ts';

export interface VerifyProblem {
  file: string;
  line: number;
  kind: 'unparsable' | 'truncated' | 'hash_mismatch' | 'broken_link' | 'missing' | 'reordered';
  message: string;
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  files: string[];
  /** seq of the first record seen (0 means the chain is checked from its genesis). */
  firstSeq: number | null;
  lastHash: string | null;
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

export async function verifyFiles(files: string[]): Promise<VerifyResult> {
  const keyed = await Promise.all(files.map(async (f, i) => ({ f, i, s: await firstSeq(f) })));
  // Stable: files whose first seq is unknown keep their given position relative to each other.
  keyed.sort((a, b) => (a.s ?? Infinity) - (b.s ?? Infinity) || a.i - b.i);
  const ordered = keyed.map((k) => k.f);
  let expectSeq: number | null = null;
  let prev: string | null = null;
  let records = 0;
  let first: number | null = null;
  const fail = (
    file: string,
    line: number,
    kind: VerifyProblem['kind'],
    message: string,
  ): VerifyResult => ({
    ok: false,
    records,
    files: ordered,
    firstSeq: first,
    lastHash: prev,
    problem: { file, line, kind, message },
  });
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
      const { seq, hash } = rec;
      if (typeof seq !== 'number' || typeof hash !== 'string' || typeof rec.prev !== 'string')
        return fail(file, l.no, 'unparsable', 'record lacks seq, prev or hash');
      if (recordHash(rec) !== hash)
        return fail(
          file,
          l.no,
          'hash_mismatch',
          `record seq ${seq} was modified (hash does not match its content)`,
        );
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
        if (seq > expectSeq)
          return fail(
            file,
            l.no,
            'missing',
            `record(s) missing or moved before this one: expected seq ${expectSeq}, found ${seq}`,
          );
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
      prev = hash;
      expectSeq = seq + 1;
      records++;
    }
  }
  return { ok: true, records, files: ordered, firstSeq: first, lastHash: prev };
}
