// Properties of the redactor: a generated secret embedded anywhere in generated text (or JSON)
// never survives redaction; and hostile input is handled in linear time (RE2 never backtracks).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRedactor } from '../../src/audit/redact/index.ts';
import { adversarial } from '../../bench/redact/corpus.ts';

const r = buildRedactor();

const digits = (n: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: n, maxLength: n });
/** A Luhn-valid 16-digit Visa-like number. */
const card = digits(14).map((d) => {
  const body = [4, ...d];
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let x = body[body.length - 1 - i];
    if (i % 2 === 0) x = x * 2 > 9 ? x * 2 - 9 : x * 2;
    sum += x;
  }
  return [...body, (10 - (sum % 10)) % 10].join('');
});
const alnum = fc.string({
  unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789'),
  minLength: 1,
  maxLength: 12,
});
const email = fc
  .tuple(alnum, alnum, fc.constantFrom('com', 'org', 'io', 'co.uk'))
  .map(([a, b, t]) => `${a}@${b}.${t}`);
const ssn = fc
  .tuple(
    fc.integer({ min: 1, max: 665 }),
    fc.integer({ min: 1, max: 99 }),
    fc.integer({ min: 1, max: 9999 }),
  )
  .map(
    ([a, g, s]) =>
      `${String(a).padStart(3, '0')}-${String(g).padStart(2, '0')}-${String(s).padStart(4, '0')}`,
  );
const ipv4 = fc.ipV4();
const aws = fc
  .string({
    unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'),
    minLength: 16,
    maxLength: 16,
  })
  .map((s) => `AKIA${s}`);
const phone = fc
  .tuple(fc.integer({ min: 1, max: 9 }), digits(10))
  .map(([c, d]) => `+${c}${d.join('')}`);
const secret = fc.oneof(card, email, ssn, ipv4, aws, phone);
/** Filler that cannot glue onto a secret (separators around it) but is otherwise arbitrary
 *  unicode, including text that looks half like the patterns. */
const filler = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom('order #', 'ip:', 'mail to', '電話', 'Bearer', '-----BEGIN', '', '1.2.3', '@'),
);

describe('redaction properties', () => {
  it('never leaves a secret in redacted text', () => {
    fc.assert(
      fc.property(filler, secret, filler, (a, s, b) => {
        const out = r.text(`${a} ${s} ${b}`);
        expect(out).not.toContain(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('never leaves a secret in redacted JSON, at any position', () => {
    const json = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.tuple(filler, secret, filler).map(([a, s, b]) => ({ v: `${a} ${s} ${b}`, s })),
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 8 }), tie('node'), { maxKeys: 3 }),
      ),
    }));
    fc.assert(
      fc.property(json.node, (tree) => {
        const secrets: string[] = [];
        const plain = JSON.parse(
          JSON.stringify(tree, (_k, v) => {
            if (v && typeof v === 'object' && 's' in v && 'v' in v) {
              secrets.push(v.s);
              return v.v;
            }
            return v;
          }),
        );
        const out = JSON.stringify(r.value(plain));
        for (const s of secrets) expect(out).not.toContain(JSON.stringify(s).slice(1, -1));
      }),
      { numRuns: 500 },
    );
  });

  it('is linear on adversarial input (1 MB vs 100 KB)', () => {
    // CPU time of this process, not wall time: other processes on a shared machine take the
    // CPU away between two clock readings but do not add to what this one spent.
    const time = (s: string): number => {
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const t = process.cpuUsage();
        r.text(s);
        const d = process.cpuUsage(t);
        best = Math.min(best, d.user + d.system);
      }
      return best;
    };
    const small = adversarial(100_000);
    const big = adversarial(1_000_000);
    time(small); // warm-up
    const ratio = time(big) / time(small);
    // Linear growth is a ratio near 10; quadratic would be ~100. Loose on purpose (shared CI).
    expect(ratio).toBeLessThan(30);
  });
});
