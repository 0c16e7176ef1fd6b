// Compiler gaps found running real policy libraries, each with a minimal policy and the value
// OPA gives it.
import { describe, expect, it } from 'vitest';
import { parseModule } from '../../src/rego/parser.ts';
import { runTestModules } from '../../src/policy/testing.ts';
import { evalRego } from './helpers-eval.ts';

describe('compiler gaps found on real code', () => {
  it('keeps a comprehension-local variable local when the body declares the name later', async () => {
    const r = await evalRego(
      `package t
p contains h if { hs := {h | some h in [1, 2]}; some h in hs }
q := v if { a := [1, 2]; v := [y | v := a[_]; y := v * 10] }`,
      ['t/p', 't/q'],
    );
    expect(r).toEqual({ 't/p': [1, 2], 't/q': [10, 20] });
  });

  it('gives a bodiless v0 function head the value true', async () => {
    const r = await evalRego(
      `package t
ok("RunAsAny", _)
ok("MustRunAs", x) = x > 0
a { ok("RunAsAny", 5) }
b { not ok("MustRunAs", -1) }
c { ok("Other", 1) }`,
      ['t/a', 't/b', 't/c'],
      { version: 'v0' },
    );
    expect(r).toEqual({ 't/a': true, 't/b': true, 't/c': undefined });
  });

  it('gives a v1 function head with constant arguments the value true', async () => {
    const r = await evalRego(
      'package t\nvalid("")\nvalid(v) if startswith(v, "2")\na if valid("")\nb if valid("x")',
      ['t/a', 't/b'],
    );
    expect(r).toEqual({ 't/a': true, 't/b': undefined });
    expect(() => parseModule('p.rego', 'package t\nf(x)')).toThrow(/function must have value/);
  });

  it('makes not f(x.missing) undefined, as OPA evaluates the argument first', async () => {
    const r = await evalRego(
      `package t
f(a, b) if a == b
p if { x := {"a": 1}; not f(1, x.missing) }
q if { x := {"a": 1}; not f(2, x.a) }
r if { not f(1, input.missing) }
s if { x := {}; not x.missing == false }`,
      ['t/p', 't/q', 't/r', 't/s'],
      { input: {} },
    );
    expect(r).toEqual({ 't/p': undefined, 't/q': true, 't/r': undefined, 't/s': true });
  });

  it('reads data.templates[name].deny from inside data.templates without recursion', async () => {
    const r = await evalRego(
      [
        'package templates.a\ndeny if input.x == 1',
        'package templates.b\ndeny if input.x == 2',
        'package templates\ndenied contains name if data.templates[name].deny',
      ],
      ['templates/denied'],
      { input: { x: 2 } },
    );
    expect(r['templates/denied']).toEqual(['b']);
  });

  it('iterates inside a with value', async () => {
    const r = await evalRego(
      'package t\nf := input.x\np contains v if { v := f with input.x as [1, 2][_] }',
      ['t/p'],
    );
    expect(r['t/p']).toEqual([1, 2]);
  });

  it('keeps non-string object keys through the object builtins', async () => {
    const r = await evalRego(
      `package t
a := object.get({0: "a"}, 0, "x")
b := object.keys({0: "a", "k": 1, [1]: 2})
c := object.remove({0: "a", "k": 1}, [0])
d := object.get({"a": {1: "x"}}, ["a", 1], "no")
e := object.get({"0": "s"}, 0, "none")
f := json.marshal({0: "a"})`,
      ['t/a', 't/b', 't/c', 't/d', 't/e', 't/f'],
    );
    expect(r).toEqual({
      't/a': 'a',
      't/b': [0, 'k', [1]],
      't/c': { k: 1 },
      't/d': 'x',
      't/e': 'none',
      't/f': '{"0":"a"}',
    });
  });

  it('ships no future.keywords.not, as OPA does not', () => {
    expect(() => parseModule('p.rego', 'package t\nimport future.keywords.not')).toThrow(
      /must be one of \[contains every if in\]/,
    );
  });
});

describe('policy tests', () => {
  const modules = (src: string, version?: 'v0') => [parseModule('t_test.rego', src, version)];

  it('runs same-name test rules separately, reported test_x#01', async () => {
    const out = await runTestModules(
      modules('package t\ntest_x { true }\ntest_x { false }\ntest_y { true }', 'v0'),
      {},
    );
    expect(out.map((o) => [o.name, o.ok])).toEqual([
      ['data.t.test_x', true],
      ['data.t.test_x#01', false],
      ['data.t.test_y', true],
    ]);
  });

  it('fails only the tests that call a builtin with no implementation', async () => {
    const out = await runTestModules(
      modules(`package t
fetch := http.send({"method": "GET", "url": "http://127.0.0.1:1/"})
test_fetch if fetch.status_code == 200
test_plain if 1 + 1 == 2`),
      {},
    );
    expect(out.map((o) => [o.name, o.ok])).toEqual([
      ['data.t.test_fetch', false],
      ['data.t.test_plain', true],
    ]);
    expect(out[0].error).toMatch(/http\.send/);
  });
});

describe('builtins with no implementation', () => {
  const src = `package t
fetched := http.send({"method": "GET", "url": "http://127.0.0.1:1/"})
allow if input.ok`;

  it('refuse only a policy whose entrypoint reaches them', async () => {
    expect(await evalRego(src, ['t/allow'], { input: { ok: true } })).toEqual({ 't/allow': true });
    await expect(evalRego(src, ['t/fetched'])).rejects.toThrow(/http\.send/);
  });
});
