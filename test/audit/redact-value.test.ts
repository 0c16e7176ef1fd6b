// redactor.value() joins every string of a JSON value into one buffer and scans it once. That
// must find exactly what redacting each string (and key) on its own finds — including custom
// patterns that can run over the "\0" separator into the next string (`token=\S+`), which an
// earlier version rejected as "crossing" and so left unredacted.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  buildRedactor,
  type RedactionCounts,
  type Redactor,
} from '../../src/audit/redact/index.ts';

const pieces = [
  'alice@example.com',
  '4111 1111 1111 1111',
  '123-45-6789',
  '+44 20 7946 0958',
  '10.20.30.40',
  '2001:db8::1',
  'AKIAIOSFODNN7EXAMPLE',
  'Bearer abcdefgh12',
  'DE89 3704 0044 0532 0130 00',
  'token=abc',
  'token=',
  'zz',
  'zzab',
  'x',
  ' ',
  '\u0000',
  '.',
  '1',
  '@',
  'é',
  'word',
];
const str = fc
  .array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 5 })), { maxLength: 5 })
  .map((a) => a.join(''));
const key = fc.constantFrom('id', 'note', 'token=abc', 'zz1', 'mail bob@example.com', 'a', 'b');
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    str,
    fc.integer(),
    fc.constant(null),
    tie('arr'),
    tie('obj'),
  ),
  arr: fc.array(tie('value'), { maxLength: 4 }),
  obj: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
})).value;

/** The oracle: every string and key redacted on its own with text(). */
function naive(r: Redactor, x: unknown, counts: RedactionCounts): unknown {
  if (typeof x === 'string') return r.text(x, counts);
  if (Array.isArray(x)) return x.map((e) => naive(r, e, counts));
  if (x === null || typeof x !== 'object') return x;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) out[r.text(k, counts)] = naive(r, v, counts);
  return out;
}

const redactors: Array<[string, Redactor]> = [
  ['built-ins', buildRedactor()],
  [
    'built-ins + custom patterns',
    buildRedactor({
      patterns: [
        { name: 'tok', regex: 'token=\\S+' },
        { name: 'neg', regex: 'zz[^x]+' },
      ],
    }),
  ],
];

describe('redactor.value() joined scan', () => {
  it.each(redactors)('equals per-string redaction (%s)', (_name, r) => {
    fc.assert(
      fc.property(json, (v) => {
        const a: RedactionCounts = {};
        const b: RedactionCounts = {};
        expect(r.value(v, a)).toEqual(naive(r, v, b));
        expect(a).toEqual(b);
      }),
      { numRuns: 1500 },
    );
  });

  it('redacts a custom pattern that runs into the next string', () => {
    const r = redactors[1][1];
    const out = r.value({ a: 'token=abc', b: 'next', c: ['zzab', 'q'] });
    expect(out).toEqual({ a: '[REDACTED:tok]', b: 'next', c: ['[REDACTED:neg]', 'q'] });
  });
});
