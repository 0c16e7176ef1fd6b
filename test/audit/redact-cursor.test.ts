// The redactor locates union matches with search + sticky test instead of exec (cheaper in
// node-re2). Whatever the pattern — built-ins, or custom ones with \b, \B, ^, $, empty matches —
// the cursor must return exactly the match exec returns from the same position.
import RE2 from 're2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCursor } from '../../src/audit/redact/cursor.ts';
import { BUILTIN_DETECTORS } from '../../src/audit/redact/index.ts';

const union = BUILTIN_DETECTORS.map((d) => `(?:${d.source})`).join('|');

const compiled = new Map<string, RE2>();
function viaExec(source: string, buf: Buffer, from: number): [number, number] | null {
  let re = compiled.get(source);
  if (re === undefined) compiled.set(source, (re = new RE2(source, 'g')));
  re.lastIndex = from;
  const m = re.exec(buf);
  return m === null ? null : [m.index, m.index + m[0].length];
}

const pieces = [
  'alice@example.com',
  '4111 1111 1111 1111',
  '123-45-6789',
  '+44 20 7946 0958',
  '(212) 555-1234',
  '10.20.30.40',
  '1.2.3.4.5',
  '2001:db8::1',
  'fe80::1:',
  'AKIAIOSFODNN7EXAMPLE',
  'Bearer abcdefgh12',
  'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig',
  'DE89 3704 0044 0532 0130 00',
  '-----BEGIN PRIVATE KEY-----',
  'x',
  'ab',
  ' ',
  '\u0000',
  '.',
  '-',
  '1',
  '@',
  ':',
  'é',
  '電話',
  'word',
  '12',
  'abc_def',
];
const text = fc
  .array(fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 6 })), { maxLength: 12 })
  .map((a) => a.join(''));

const sources: Array<[string, string]> = [
  ['built-in union', union],
  ['\\Bb\\w*', '\\Bb\\w*'],
  ['^a|b', '^a|b'],
  ['a*', 'a*'],
  ['\\b\\w{2}\\b', '\\b\\w{2}\\b'],
  ['x?', 'x?'],
  ['(?:[0-9]+)$|\\d', '(?:[0-9]+)$|\\d'],
  ['\\Bcom\\b|@', '\\Bcom\\b|@'],
];

describe('redaction cursor', () => {
  it.each(sources)('finds what exec finds, from every position: %s', (_label, source) => {
    const cursor = createCursor(source);
    fc.assert(
      fc.property(text, (s) => {
        const buf = Buffer.from(s, 'utf8');
        for (let from = 0; from <= buf.length + 1; from++)
          expect(cursor.next(buf, from)).toEqual(viaExec(source, buf, from));
      }),
      { numRuns: source === union ? 300 : 150 },
    );
  });

  it('walks a secret-dense text to the same spans as exec', () => {
    const s = pieces.join(' | ').repeat(20);
    const buf = Buffer.from(s);
    const cursor = createCursor(union);
    const a: Array<[number, number]> = [];
    const b: Array<[number, number]> = [];
    for (let f = 0, m; (m = cursor.next(buf, f)) !== null; f = Math.max(m[1], m[0] + 1)) a.push(m);
    for (let f = 0, m; (m = viaExec(union, buf, f)) !== null; f = Math.max(m[1], m[0] + 1))
      b.push(m);
    expect(a).toEqual(b);
    expect(a.length).toBeGreaterThan(100);
  });
});
