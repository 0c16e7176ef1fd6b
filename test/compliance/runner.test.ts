// The compliance runner's own pieces: lossless YAML, query shapes, input terms, comparison,
// OPA's WASM expectations and the expected-failures bookkeeping.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  loadCases,
  parseJsonTerm,
  parseLossless,
  planQuery,
  toJson,
  UnsupportedTerm,
  type TestCase,
} from '../../scripts/compliance/cases.ts';
import {
  compareValues,
  resultMatches,
  sortBinding,
  valuesEqual,
} from '../../scripts/compliance/compare.ts';
import { judge, updatedExpected, type Status } from '../../scripts/compliance/expected.ts';
import { judgeCase, runCase } from '../../scripts/compliance/run-case.ts';

describe('lossless YAML', () => {
  it('keeps integers beyond 2^53 exact and narrows the rest to numbers', () => {
    const doc = parseLossless(
      'big: 28857836529306024611913\nneg: -9007199254740993\nsmall: 42\nf: 1.5\nlist: [1, 18446744073709551616]\n',
    ) as Record<string, unknown>;
    expect(doc.big).toBe(28857836529306024611913n);
    expect(doc.neg).toBe(-9007199254740993n);
    expect(doc.small).toBe(42);
    expect(doc.f).toBe(1.5);
    expect(doc.list).toEqual([1, 18446744073709551616n]);
    expect(toJson(doc)).toBe(
      '{"big":28857836529306024611913,"neg":-9007199254740993,"small":42,"f":1.5,"list":[1,18446744073709551616]}',
    );
  });

  it('gives repeated notes distinct keys, and categories from directories', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'warden-cases-'));
    try {
      await mkdir(path.join(dir, 'v1', 'cat'), { recursive: true });
      const yaml = (n: number) =>
        `cases:\n  - note: cat/same\n    query: data.p.q = x\n    modules: ["package p\\n\\nq := ${n}"]\n    want_result: [{x: ${n}}]\n`;
      await writeFile(path.join(dir, 'v1', 'cat', 'a.yaml'), yaml(1));
      await writeFile(path.join(dir, 'v1', 'cat', 'b.yaml'), yaml(2));
      const cases = await loadCases(dir);
      expect(cases.map((c) => [c.key, c.category, c.file])).toEqual([
        ['cat/same', 'cat', path.join('v1', 'cat', 'a.yaml')],
        ['cat/same #2', 'cat', path.join('v1', 'cat', 'b.yaml')],
      ]);
      expect(await loadCases(dir, new Set(['other']))).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('queries and input terms', () => {
  it('maps data.a.b = x to an entrypoint', () => {
    expect(planQuery('data.test.p = x')).toEqual({
      kind: 'entrypoint',
      entrypoint: 'test/p',
      variable: 'x',
    });
    expect(planQuery(' data.generated.p = b ')).toMatchObject({
      entrypoint: 'generated/p',
      variable: 'b',
    });
  });

  it('wraps any other query in a rule whose value holds the expected variables', () => {
    const q = planQuery('data.main.r.foo = x; y = $"{x} {1 + 2}"', [{ x: 1, y: '1 3' }]);
    expect(q).toEqual({
      kind: 'wrapper',
      entrypoint: 'compliance_query/result',
      vars: ['x', 'y'],
      module:
        'package compliance_query\n\nresult := {"x": x, "y": y} if {\n\tdata.main.r.foo = x; y = $"{x} {1 + 2}"\n}\n',
    });
    // No variables to report: the rule is `true` when the query succeeds.
    expect(planQuery('1 / 0')).toMatchObject({
      vars: [],
      module: expect.stringContaining('result := true if {\n\t1 / 0\n}'),
    });
    expect(planQuery('data.x.p.a.b = 1', [{}])).toMatchObject({ vars: [] });
  });

  it('maps a query over all of data to the empty entrypoint', () => {
    expect(planQuery('data = x', [{ x: {} }])).toEqual({
      kind: 'entrypoint',
      entrypoint: '',
      variable: 'x',
    });
  });

  it('leaves several result rows and other queries over all of data alone', () => {
    expect(
      planQuery('data.p[i] = x', [
        { i: 0, x: 1 },
        { i: 1, x: 2 },
      ]),
    ).toBeUndefined();
    expect(planQuery('x = data', [{ x: {} }])).toBeUndefined();
    expect(planQuery('x = "data"', [{ x: 'data' }])).toBeDefined();
  });

  it('reads JSON-like terms, with trailing commas and big integers', () => {
    expect(parseJsonTerm('{ "a": [1, 2.5, "s\\"q", null, true, false,], }')).toEqual({
      a: [1, 2.5, 's"q', null, true, false],
    });
    expect(parseJsonTerm('123456789012345678901234')).toBe(123456789012345678901234n);
    expect(parseJsonTerm('{}')).toEqual({});
  });

  it.each([['{"x": {1}}'], ['set()'], ['{"a"}'], ['{1: 2}'], ['input.x']])(
    'refuses the non-JSON term %s',
    (t) => {
      expect(() => parseJsonTerm(t)).toThrow(UnsupportedTerm);
    },
  );
});

describe('comparison', () => {
  it('compares numbers by value across BigInt and double', () => {
    expect(valuesEqual(18446744073709551616n, 18446744073709551616)).toBe(true);
    expect(valuesEqual({ a: [1, 2n] }, { a: [1, 2] })).toBe(true);
    expect(valuesEqual(1, 1.0)).toBe(true);
    expect(valuesEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(valuesEqual([1, 2], [2, 1])).toBe(false);
    expect(valuesEqual(null, {})).toBe(false);
    expect(valuesEqual('1', 1)).toBe(false);
  });

  it("sorts in OPA's order for sort_bindings", () => {
    const mixed = [{ a: 1 }, [1], 'b', 2, true, null, 'a', false, [0, 5], 10n];
    expect(sortBinding(mixed)).toEqual([
      null,
      false,
      true,
      2,
      10n,
      'a',
      'b',
      [0, 5],
      [1],
      { a: 1 },
    ]);
    expect(compareValues({ a: 1 }, { b: 0 })).toBeLessThan(0);
    expect(compareValues([1, 2], [1])).toBeGreaterThan(0);
  });

  it('matches want_result rows against the entrypoint result', () => {
    expect(resultMatches([], 'x', undefined)).toBe(true);
    expect(resultMatches([], 'x', false)).toBe(false);
    expect(resultMatches([{ x: 7 }], 'x', 7)).toBe(true);
    expect(resultMatches([{ x: 7 }], 'x', undefined)).toBe(false);
    expect(resultMatches([{ y: 7 }], 'x', 7)).toBe(false);
    expect(resultMatches([{ x: [1, 2] }], 'x', [2, 1])).toBe(false);
    expect(resultMatches([{ x: [1, 2] }], 'x', [2, 1], true)).toBe(true);
  });
});

describe("OPA's WASM conventions", () => {
  const EP = { kind: 'entrypoint', entrypoint: 'p/q', variable: 'x' } as const;
  const base: TestCase = {
    key: 'k',
    note: 'k',
    category: 'c',
    file: 'f',
    query: 'data.p.q = x',
    modules: [],
  };

  it('strict_error expects an empty result (or the given want_result)', () => {
    const c = { ...base, strict_error: true, want_error_code: 'eval_builtin_error' };
    expect(judgeCase(c, EP, undefined, undefined).status).toBe('pass');
    expect(judgeCase(c, EP, undefined, 'boom').status).toBe('fail');
    expect(judgeCase(c, EP, 1, undefined).status).toBe('fail');
    const withResult = { ...c, want_result: [{ x: { b: {} } }] };
    expect(judgeCase(withResult, EP, { b: {} }, undefined).status).toBe('pass');
  });

  it('requires conflict errors, and accepts error-or-empty for the others', () => {
    const conflict = {
      ...base,
      want_error_code: 'eval_conflict_error',
      want_error: 'complete rules must not produce multiple outputs',
    };
    expect(judgeCase(conflict, EP, undefined, 'p.rego:3:1: var assignment conflict').status).toBe(
      'pass',
    );
    expect(judgeCase(conflict, EP, undefined, undefined).status).toBe('fail');
    const typeErr = {
      ...base,
      want_error_code: 'eval_type_error',
      want_error: 'operand 1 must be string',
    };
    expect(judgeCase(typeErr, EP, undefined, undefined).status).toBe('pass');
    expect(judgeCase(typeErr, EP, undefined, 'whatever').status).toBe('pass');
    expect(judgeCase(typeErr, EP, 'a value', undefined).status).toBe('fail');
  });

  it('fails on an unexpected error and on a wrong value', () => {
    const c = { ...base, want_result: [{ x: 1 }] };
    expect(judgeCase(c, EP, 1, undefined).status).toBe('pass');
    expect(judgeCase(c, EP, 2, undefined)).toEqual({ status: 'fail', reason: 'want 1, got 2' });
    expect(judgeCase(c, EP, undefined, 'boom')).toEqual({
      status: 'fail',
      reason: 'unexpected error: boom',
    });
  });
});

describe('expected failures', () => {
  const results = new Map<string, Status>([
    ['a', 'pass'],
    ['b', 'fail'],
    ['c', 'fail'],
    ['d', 'skip'],
  ]);

  it('flags unlisted failures and listed passes', () => {
    expect(judge(['c', 'd'], results, true)).toEqual({ unexpected: ['b'], stale: [] });
    expect(judge(['a', 'b', 'c'], results, true)).toEqual({ unexpected: [], stale: ['a'] });
  });

  it('treats entries for cases that no longer exist as stale only on a full run', () => {
    expect(judge(['b', 'c', 'gone'], results, true).stale).toEqual(['gone']);
    expect(judge(['b', 'c', 'gone'], results, false).stale).toEqual([]);
  });

  it('rewrites the list from this run, keeping entries for cases that did not run', () => {
    expect(updatedExpected(['a', 'd', 'gone'], results, true)).toEqual(['b', 'c', 'd']);
    expect(updatedExpected(['a', 'd', 'other-cat'], results, false)).toEqual([
      'b',
      'c',
      'd',
      'other-cat',
    ]);
  });
});

describe('runCase (through the compiler and the SDK)', () => {
  const c = (over: Partial<TestCase>): TestCase => ({
    key: 'k',
    note: 'k',
    category: 'c',
    file: 'f',
    query: 'data.test.p = x',
    modules: ['package test\n\np := input.a + data.b\n'],
    ...over,
  });

  it('passes a matching case and fails a wrong one', async () => {
    expect(await runCase(c({ input: { a: 1 }, data: { b: 2 }, want_result: [{ x: 3 }] }))).toEqual({
      status: 'pass',
    });
    expect(await runCase(c({ input: { a: 1 }, data: { b: 2 }, want_result: [{ x: 4 }] }))).toEqual({
      status: 'fail',
      reason: 'want 4, got 3',
    });
  });

  it('uses input_term, sets included, and skips query shapes WASM cannot express', async () => {
    expect(
      (await runCase(c({ input_term: '{"a": 1,}', data: { b: 1 }, want_result: [{ x: 2 }] })))
        .status,
    ).toBe('pass');
    // A set cannot travel as JSON input; it is given with `with input as` in a wrapper rule.
    expect(
      await runCase(
        c({
          input_term: '{"a": {1}}',
          modules: ['package test\n\np := count(input.a)\n'],
          want_result: [{ x: 1 }],
        }),
      ),
    ).toEqual({ status: 'pass' });
    expect(await runCase(c({ query: 'x = data' }))).toEqual({
      status: 'skip',
      reason: 'query shape',
    });
    // A free variable in a wrapped query: no single-entrypoint form.
    expect(
      await runCase(
        c({
          query: 'data.test.q[i] = x',
          modules: ['package test\n\nq := [1, 2]\n'],
          want_result: [
            { i: 0, x: 1 },
            { i: 1, x: 2 },
          ],
        }),
      ),
    ).toEqual({
      status: 'skip',
      reason: 'query shape',
    });
  });

  it('evaluates wrapped queries: function calls and template strings', async () => {
    const f = { modules: ['package test\n\nf(a) := a * 2\n'], want_result: [{ y: 6 }] };
    expect(await runCase(c({ ...f, query: 'data.test.f(3) = y' }))).toEqual({ status: 'pass' });
    expect(await runCase(c({ ...f, query: 'y = data.test.f(3)' }))).toEqual({ status: 'pass' });
  });

  it('skips cases using builtins without an implementation, naming them', async () => {
    const o = await runCase(
      c({ modules: ['package test\n\np := http.send({"url": input.u, "method": "get"})\n'] }),
    );
    expect(o).toEqual({
      status: 'skip',
      reason: 'builtin not implemented',
      builtins: ['http.send'],
    });
  });

  it('counts an expected compile error as a pass', async () => {
    const bad = { modules: ['package test\n\np if {\n'], want_error_code: 'rego_parse_error' };
    expect(await runCase(c(bad))).toEqual({ status: 'pass' });
    expect((await runCase(c({ modules: ['package test\n\np if {\n'] }))).status).toBe('fail');
  });
});
