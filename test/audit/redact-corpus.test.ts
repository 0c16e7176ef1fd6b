// The corpus of test/audit/fixtures/redact-corpus.ts: every listed spelling of every kind is
// redacted (as a string, inside a JSON value, and as a JSON key), and every look-alike comes
// back unchanged with nothing counted.
import { describe, expect, it } from 'vitest';
import { buildRedactor, BUILTIN_DETECTORS } from '../../src/audit/redact/index.ts';
import { HITS, LOOKALIKES } from './fixtures/redact-corpus.ts';

const r = buildRedactor();

describe('redaction corpus: hits', () => {
  it('covers every built-in kind', () => {
    const covered = new Set(HITS.map(([k]) => k));
    for (const d of BUILTIN_DETECTORS) expect(covered, d.kind).toContain(d.kind);
  });

  it.each(HITS)('%s: %j', (kind, text, secret) => {
    const counts: Record<string, number> = {};
    const out = r.text(text, counts);
    expect(out).toContain(`[REDACTED:${kind}]`);
    expect(out).not.toContain(secret);
    expect(counts[kind]).toBeGreaterThanOrEqual(1);
    // The same inside a parsed value (the joined scan) and as a key.
    const v = r.value({ note: text, [text]: 1 }) as Record<string, unknown>;
    expect(v.note).toBe(out);
    expect(Object.keys(v)).toContain(out);
  });
});

describe('redaction corpus: look-alikes', () => {
  it.each(LOOKALIKES)('%s', (_why, text) => {
    const counts: Record<string, number> = {};
    expect(r.text(text, counts)).toBe(text);
    expect(counts).toEqual({});
    expect(r.value({ note: text, list: [text] })).toEqual({ note: text, list: [text] });
  });
});
