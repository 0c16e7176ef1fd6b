// The single-pass canonicalizer and seal() must produce byte-for-byte what the first
// implementation produced (sorted-keys JSON via JSON.stringify, sealed by canonicalizing the
// record twice), or audit files written before the speed-up would stop verifying. The reference
// below is that first implementation, kept as the oracle — plus the one later change: strings
// escape the C1 controls and U+2028/U+2029 that line-splitting tools break lines at.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalize, GENESIS, recordHash, seal } from '../../src/audit/canonical.ts';
import { verifyFiles } from '../../src/audit/verify.ts';

const refQuote = (s: string): string =>
  JSON.stringify(s).replace(
    /[\u0080-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );

function refCanonicalize(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return refQuote(v);
    case 'boolean':
      return JSON.stringify(v);
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError('non-finite');
      return JSON.stringify(v);
    case 'object': {
      if (Array.isArray(v))
        return `[${v.map((e) => (e === undefined ? 'null' : refCanonicalize(e))).join(',')}]`;
      const obj = v as Record<string, unknown>;
      const toJSON = (obj as { toJSON?: () => unknown }).toJSON;
      if (typeof toJSON === 'function') return refCanonicalize(toJSON.call(obj));
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined && typeof obj[k] !== 'function')
        .sort();
      return `{${keys.map((k) => `${refQuote(k)}:${refCanonicalize(obj[k])}`).join(',')}}`;
    }
    default:
      return 'null';
  }
}

function refSeal(head: { seq: number; prev: string }, body: Record<string, unknown>): string {
  const rec: Record<string, unknown> = { ...body, seq: head.seq, prev: head.prev };
  const { hash: _omit, ...rest } = rec;
  rec.hash = createHash('sha256').update(refCanonicalize(rest), 'utf8').digest('hex');
  head.seq += 1;
  head.prev = rec.hash as string;
  return `${refCanonicalize(rec)}\n`;
}

// Keys around "hash", "prev" and "seq" (where seal splits the record), unsorted insertion,
// unicode and lone surrogates, -0, big and tiny numbers, undefined members, nested values.
const key = fc.oneof(
  fc.constantFrom('a', 'hash', 'hasg', 'hasi', 'prev', 'seq', 'z', 'é', '\ud800', '', 'Z', '~'),
  fc.string(),
);
const leaf = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant(-0),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, leaf, tie('arr'), tie('obj')),
  arr: fc.array(tie('value'), { maxLength: 5 }),
  obj: fc.dictionary(key, tie('value'), { maxKeys: 8 }),
})).value;
const body = fc.dictionary(key, json, { maxKeys: 30 });

describe('canonical JSON fast path', () => {
  it('canonicalize() equals the reference on arbitrary values', () => {
    fc.assert(
      fc.property(json, (v) => {
        expect(canonicalize(v)).toBe(refCanonicalize(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('seal() lines equal the reference, chained, and recordHash agrees', () => {
    fc.assert(
      fc.property(fc.array(body, { minLength: 1, maxLength: 4 }), (bodies) => {
        const a = { seq: 7, prev: GENESIS };
        const b = { seq: 7, prev: GENESIS };
        for (const x of bodies) {
          const { line, rec } = seal(a, x as Record<string, unknown>);
          expect(line).toBe(refSeal(b, x as Record<string, unknown>));
          expect(a).toEqual(b);
          expect(recordHash(rec)).toBe(rec.hash);
          expect(JSON.parse(line).hash).toBe(rec.hash);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('a record with Dates and toJSON members seals like the reference', () => {
    const x = { time: new Date(0), when: { toJSON: () => 'later' }, hash: 'stale', seq: 99 };
    expect(seal({ seq: 0, prev: GENESIS }, x).line).toBe(refSeal({ seq: 0, prev: GENESIS }, x));
  });

  it('an audit file written before the single-pass sealer still verifies', async () => {
    // fixtures/chain-v1.jsonl was sealed by the reference implementation.
    const path = fileURLToPath(new URL('./fixtures/chain-v1.jsonl', import.meta.url));
    expect(readFileSync(path, 'utf8').split('\n').length).toBe(4);
    const r = await verifyFiles([path]);
    expect(r.ok).toBe(true);
  });
});
