// End-to-end tests of the compiler: Rego source → WASM module → the unmodified
// @open-policy-agent/opa-wasm SDK. Each case is a policy, optional data and input, and the
// expected value of the entrypoint (undefined = the SDK returns []).
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { compileModules } from '../../src/rego/compile.ts';
import { RegoError } from '../../src/rego/errors.ts';
import { hostBuiltins } from '../../src/rego/builtins/index.ts';

async function run(
  src: string | string[],
  entry: string,
  opts: { input?: unknown; data?: unknown } = {},
) {
  const files = (Array.isArray(src) ? src : [src]).map((text, i) => ({ path: `m${i}.rego`, text }));
  const c = compileModules(files, { entrypoints: [entry] });
  const policy = await loadPolicy(c.wasm, { initial: c.minPages }, hostBuiltins);
  if (opts.data !== undefined) policy.setData(opts.data as object);
  const rs = policy.evaluate(opts.input, entry);
  return rs.length === 0 ? undefined : rs[0].result;
}

const cases: [string, string | string[], string, { input?: unknown; data?: unknown }, unknown][] = [
  ['constant', 'package t\np := 1', 't/p', {}, 1],
  ['boolean rule', 'package t\np if input.x == 1', 't/p', { input: { x: 1 } }, true],
  ['undefined rule', 'package t\np if input.x == 1', 't/p', { input: { x: 2 } }, undefined],
  [
    'default',
    'package t\ndefault p := false\np if input.x == 1',
    't/p',
    { input: { x: 2 } },
    false,
  ],
  [
    'iteration',
    'package t\np if { some x in input.xs; x > 2 }',
    't/p',
    { input: { xs: [1, 3] } },
    true,
  ],
  [
    'ref iteration',
    'package t\np contains x if { x := input.xs[_]; x > 1 }',
    't/p',
    { input: { xs: [1, 2, 3] } },
    [2, 3],
  ],
  [
    'partial object',
    'package t\np[k] := v if { some k, v in input.o; v > 1 }',
    't/p',
    { input: { o: { a: 1, b: 2 } } },
    { b: 2 },
  ],
  [
    'object construction',
    'package t\np := {"a": input.x, "b": [1, input.x]}',
    't/p',
    { input: { x: 5 } },
    { a: 5, b: [1, 5] },
  ],
  [
    'array comprehension',
    'package t\np := [y | some x in input.xs; y := x * 2]',
    't/p',
    { input: { xs: [1, 2] } },
    [2, 4],
  ],
  ['set comprehension', 'package t\np := {x | some x in [3, 1, 3]}', 't/p', {}, [1, 3]],
  [
    'object comprehension',
    'package t\np := {k: 1 | some k in ["a", "b"]}',
    't/p',
    {},
    { a: 1, b: 1 },
  ],
  ['negation', 'package t\np if not input.admin', 't/p', { input: {} }, true],
  [
    'negation false',
    'package t\np if not input.admin',
    't/p',
    { input: { admin: true } },
    undefined,
  ],
  [
    'every true',
    'package t\np if every x in input.xs { x > 0 }',
    't/p',
    { input: { xs: [1, 2] } },
    true,
  ],
  [
    'every false',
    'package t\np if every x in input.xs { x > 1 }',
    't/p',
    { input: { xs: [1, 2] } },
    undefined,
  ],
  [
    'else',
    'package t\np := 1 if input.a else := 2 if input.b else := 3',
    't/p',
    { input: { b: true } },
    2,
  ],
  [
    'else last',
    'package t\np := 1 if input.a else := 2 if input.b else := 3',
    't/p',
    { input: {} },
    3,
  ],
  ['function', 'package t\nf(x) := x + 1\np := f(2)', 't/p', {}, 3],
  ['function patterns', 'package t\nf(1) := "one"\nf(2) := "two"\np := f(2)', 't/p', {}, 'two'],
  [
    'data ref',
    'package t\np := data.roles[input.u]',
    't/p',
    { data: { roles: { bob: 'admin' } }, input: { u: 'bob' } },
    'admin',
  ],
  ['package doc', 'package t\na := 1\nb contains 2', 't', {}, { a: 1, b: [2] }],
  [
    'rule ref across packages',
    ['package a\nx := 1', 'package b\nimport data.a\ny := a.x + 1'],
    'b/y',
    {},
    2,
  ],
  [
    'unification destructure',
    'package t\np := y if [_, y] = input.pair',
    't/p',
    { input: { pair: [1, 2] } },
    2,
  ],
  ['with input', 'package t\nq := input.x\np := v if { v := q with input.x as 7 }', 't/p', {}, 7],
  [
    'with data',
    'package t\nq := data.v\np := v if { v := q with data.v as 3 }',
    't/p',
    { data: { v: 1 } },
    3,
  ],
  ['ref head', 'package t\na.b.c := 1\na.b.d := 2', 't/a', {}, { b: { c: 1, d: 2 } }],
  ['membership', 'package t\np if "b" in input.xs', 't/p', { input: { xs: ['a', 'b'] } }, true],
  ['host builtin', 'package t\np := concat("-", ["a", "b"])', 't/p', {}, 'a-b'],
  ['sprintf', 'package t\np := sprintf("missing scope: %s", ["x"])', 't/p', {}, 'missing scope: x'],
  ['count', 'package t\np := count(input.xs)', 't/p', { input: { xs: [1, 2, 3] } }, 3],
  [
    'big integer',
    'package t\np := 123456789012345678901234567890',
    't/p',
    {},
    123456789012345678901234567890,
  ],
  ['unicode', 'package t\np := count("héllo 🌍")', 't/p', {}, 7],
  ['reordering', 'package t\np := y if { y > 1; y := input.v }', 't/p', { input: { v: 5 } }, 5],
];

describe('compiled Rego through the unmodified opa-wasm SDK', () => {
  for (const [name, src, entry, opts, want] of cases) {
    it(name, async () => {
      expect(await run(src, entry, opts)).toEqual(want);
    });
  }

  it('reports a conflict as an evaluation error, not a crash', async () => {
    await expect(
      run('package t\np := input.x\np := 2', 't/p', { input: { x: 1 } }),
    ).rejects.toThrow(/conflict/);
  });

  it('rejects unsafe variables with file:line:col', () => {
    expect(() =>
      compileModules([{ path: 'x.rego', text: 'package t\np if { x > 1 }' }], {
        entrypoints: ['t/p'],
      }),
    ).toThrow(RegoError);
    try {
      compileModules([{ path: 'x.rego', text: 'package t\np if { x > 1 }' }], {
        entrypoints: ['t/p'],
      });
    } catch (e) {
      expect((e as RegoError).toLine()).toMatch(/^x\.rego:2:\d+: var x is unsafe/);
    }
  });

  it('rejects recursion', () => {
    expect(() =>
      compileModules([{ path: 'r.rego', text: 'package t\np if q\nq if p' }], {
        entrypoints: ['t/p'],
      }),
    ).toThrow(/recursive/);
  });

  it('rejects an unknown entrypoint', () => {
    expect(() =>
      compileModules([{ path: 'r.rego', text: 'package t\np := 1' }], { entrypoints: ['t/nope'] }),
    ).toThrow(/undefined entrypoint/);
  });

  it('rejects undefined functions', () => {
    expect(() =>
      compileModules([{ path: 'r.rego', text: 'package t\np := nope(1)' }], {
        entrypoints: ['t/p'],
      }),
    ).toThrow(/undefined function nope/);
  });

  it('runs a core-only policy with no custom builtins at all', async () => {
    const c = compileModules(
      [{ path: 'a.rego', text: 'package t\np if { some x in input; x == 2 }' }],
      {
        entrypoints: ['t/p'],
      },
    );
    expect(c.hostBuiltins).toEqual([]);
    const policy = await loadPolicy(c.wasm, { initial: c.minPages });
    expect(policy.evaluate([1, 2])).toEqual([{ result: true }]);
  });
});
