import { describe, expect, it } from 'vitest';
import { checkTools, revisionOf, runInputSchema, REVISIONS } from '../../src/registry/validate.ts';
import { tool } from './fixtures.ts';
import { specToolValidator } from './spec.ts';

describe('tool validation', () => {
  it('accepts valid tools and agrees with the full MCP schema of every revision', () => {
    const good = [tool('echo'), tool('a.b-c_d'), tool('x'.repeat(128))];
    for (const rev of REVISIONS) {
      const r = checkTools(good, rev);
      expect(r.invalid).toEqual([]);
      expect(r.ok.map((t) => t.def.name)).toEqual(good.map((t) => t.name));
      const spec = specToolValidator(rev);
      for (const t of good) expect(spec(t), `${rev} ${JSON.stringify(spec.errors)}`).toBe(true);
    }
  });

  it('excludes bad names, duplicates, non-object and uncompilable schemas with a reason', () => {
    const r = checkTools(
      [
        tool('has space'),
        tool('y'.repeat(129)),
        tool(''),
        tool('dup'),
        tool('dup'),
        tool('notobject', { inputSchema: { type: 'string' } }),
        tool('badtype', { inputSchema: { type: 'object', properties: { a: { type: 'strng' } } } }),
        tool('badout', { outputSchema: { type: 'array' } }),
        tool('badout2', { outputSchema: { type: 'object', properties: { a: { minimum: 'x' } } } }),
        tool('nodesc', { description: 5 }),
        tool('fine'),
      ],
      '2025-11-25',
    );
    const reasons = Object.fromEntries(r.invalid.map((p) => [p.name, p.reason]));
    expect(r.ok.map((t) => t.def.name)).toEqual(['fine']);
    expect(reasons['has space']).toMatch(/invalid name/);
    expect(reasons['y'.repeat(129)]).toMatch(/invalid name/);
    expect(reasons['']).toMatch(/invalid name/);
    expect(r.invalid.filter((p) => p.name === 'dup')).toHaveLength(2);
    expect(reasons.notobject).toMatch(/Tool schema at \/inputSchema\/type/);
    expect(reasons.badtype).toMatch(/inputSchema is not a valid JSON Schema/);
    expect(reasons.badout).toMatch(/\/outputSchema\/type/);
    expect(reasons.badout2).toMatch(/outputSchema is not a valid JSON Schema/);
    expect(reasons.nodesc).toMatch(/\/description/);
    // The spec's own schema agrees on what it can see (type, description).
    const spec = specToolValidator('2025-11-25');
    expect(spec(tool('notobject', { inputSchema: { type: 'string' } }))).toBe(false);
  });

  it('compiles draft-07 schemas with the draft-07 dialect and 2020-12 by default', () => {
    const d7 = tool('d7', {
      inputSchema: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: {
          list: { type: 'array', items: [{ type: 'string' }], additionalItems: false },
        },
      },
    });
    const d2020 = tool('d2020', {
      inputSchema: {
        type: 'object',
        properties: { list: { type: 'array', prefixItems: [{ type: 'string' }], items: false } },
      },
    });
    const r = checkTools([d7, d2020], '2025-11-25');
    expect(r.invalid).toEqual([]);
    const [v7, v20] = r.ok.map((t) => t.input);
    expect(runInputSchema(v7, { list: ['a', 'b'] })).toMatchObject({ ok: false, path: '/list' });
    expect(runInputSchema(v20, { list: ['a', 'b'] })).toMatchObject({ ok: false, path: '/list' });
    expect(runInputSchema(v20, { list: ['a'] })).toEqual({ ok: true });
  });

  it('names the failing path of invalid arguments', () => {
    const { ok } = checkTools([tool('t')], '2025-11-25');
    const v = ok[0].input;
    expect(runInputSchema(v, { text: 'hi' })).toEqual({ ok: true });
    expect(runInputSchema(v, {})).toEqual({
      ok: false,
      path: '/text',
      message: "must have required property 'text'",
    });
    expect(runInputSchema(v, { text: 'x', count: -1 })).toMatchObject({
      ok: false,
      path: '/count',
    });
    expect(runInputSchema(v, undefined)).toMatchObject({ ok: false, path: '/text' });
  });

  it('maps negotiated protocol versions to a schema revision', () => {
    expect(revisionOf('2025-03-26')).toBe('2025-03-26');
    expect(revisionOf('2024-11-05')).toBe('2025-03-26');
    expect(revisionOf(undefined)).toBe('2025-11-25');
    expect(revisionOf('2026-07-28')).toBe('2026-07-28');
  });
});
