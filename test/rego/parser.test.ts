import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Body, Expr, Module, Rule, Term } from '../../src/rego/ast.ts';
import { RegoError } from '../../src/rego/errors.ts';
import { parseModule } from '../../src/rego/parser.ts';

// A compact rendering of the AST, so that tests read like Rego: operators appear under their
// internal names (`plus(1, 2)`), wildcards as `$_N`, bodies as `{ a; b }`.
function term(t: Term): string {
  switch (t.type) {
    case 'null':
      return 'null';
    case 'boolean':
      return String(t.value);
    case 'number':
      return `#${t.raw}`;
    case 'string':
      return JSON.stringify(t.value);
    case 'var':
      return t.name;
    case 'ref':
      return `${term(t.head)}${t.path.map((p) => `[${term(p)}]`).join('')}`;
    case 'array':
      return `[${t.items.map(term).join(', ')}]`;
    case 'set':
      return t.items.length ? `{${t.items.map(term).join(', ')}}` : 'set()';
    case 'object':
      return `{${t.entries.map(([k, v]) => `${term(k)}: ${term(v)}`).join(', ')}}`;
    case 'arraycomp':
      return `[${term(t.term)} | ${body(t.body)}]`;
    case 'setcomp':
      return `{${term(t.term)} | ${body(t.body)}}`;
    case 'objectcomp':
      return `{${term(t.key)}: ${term(t.value)} | ${body(t.body)}}`;
    case 'call':
      return `${t.fn.join('.')}(${t.args.map(term).join(', ')})`;
    case 'template':
      return `$(${t.parts.map((p, i) => (typeof p === 'string' ? JSON.stringify(p) : term(p) + withs(t.partWith?.[i] ?? []))).join(' ')})`;
  }
}
const withs = (ws: Expr['with']): string =>
  ws.map((w) => ` with ${term(w.target)} as ${term(w.value)}`).join('');
function expr(e: Expr): string {
  const k = e.kind;
  const s =
    k === 'term'
      ? term(e.term)
      : k === 'unify'
        ? `${term(e.left)} = ${term(e.right)}`
        : k === 'assign'
          ? `${term(e.left)} := ${term(e.right)}`
          : k === 'some'
            ? `some ${e.vars.map(term).join(', ')}`
            : k === 'somein'
              ? `some ${e.key ? term(e.key) + ', ' : ''}${term(e.value)} in ${term(e.collection)}`
              : `every ${e.key ? term(e.key) + ', ' : ''}${term(e.value)} in ${term(e.domain)} { ${body(e.body)} }`;
  return (e.negated ? 'not ' : '') + s + withs(e.with);
}
const body = (b: Body): string => b.map(expr).join('; ');
function rule(r: Rule): string {
  let s = `${r.default ? 'default ' : ''}${r.kind} ${r.ref.map(term).join('.')}`;
  if (r.args) s += `(${r.args.map(term).join(', ')})`;
  if (r.key) s += ` contains ${term(r.key)}`;
  if (r.value) s += ` ${r.assign ? ':=' : '='} ${term(r.value)}`;
  if (r.body.length) s += ` { ${body(r.body)} }`;
  for (const e of r.else ?? []) {
    s += ` else${e.value ? ' = ' + term(e.value) : ''}${e.body.length ? ` { ${body(e.body)} }` : ''}`;
  }
  return s;
}

const mod = (src: string): Module => parseModule('t.rego', `package t\n${src}`);
const rules = (src: string): string[] => mod(src).rules.map(rule);
const one = (src: string): string => {
  const rs = rules(src);
  expect(rs).toHaveLength(1);
  return rs[0];
};
/** The body of `p if { <src> }`. */
const lits = (src: string): string[] => {
  // A first literal `true` keeps `p if { a | b }` from reading as a set comprehension, which
  // is what OPA makes of a body that is one `|` expression.
  const r = mod(`p if {\n true\n${src}\n}`).rules[0];
  return r.body.slice(1).map(expr);
};
const lit = (src: string): string => {
  const l = lits(src);
  expect(l).toHaveLength(1);
  return l[0];
};
const val = (src: string): string => term(mod(`p := ${src}`).rules[0].value!);

/** The RegoError a source fails with, as "line:col: message" (line 1 is `package t`). */
function err(src: string): string {
  try {
    mod(src);
  } catch (e) {
    expect(e).toBeInstanceOf(RegoError);
    const r = e as RegoError;
    expect(r.code).toBe('REGO_PARSE_ERROR');
    expect(r.where).toBe(`t.rego:${r.loc.line}:${r.loc.col}`);
    return `${r.loc.line}:${r.loc.col}: ${r.message}`;
  }
  throw new Error(`parsed: ${src}`);
}

describe('module', () => {
  it('reads the package path, keywords and bracketed strings included', () => {
    const m = parseModule('a.rego', 'package a.b.in["c d"]\n');
    expect(m.package).toEqual(['a', 'b', 'in', 'c d']);
    expect(m.packageLoc).toEqual({ file: 'a.rego', line: 1, col: 1 });
    expect(m.file).toBe('a.rego');
    expect(m.rules).toEqual([]);
  });

  it('reads every form of import', () => {
    const m = mod(
      [
        'import rego.v1',
        'import future.keywords',
        'import future.keywords.in',
        'import data.a.b as c',
        'import data.x["y"]',
        'import input.x',
        'import input',
        'import data.foo.in as f',
      ].join('\n'),
    );
    expect(m.imports.map((i) => [i.path.join('/'), i.alias ?? null])).toEqual([
      ['rego/v1', null],
      ['future/keywords', null],
      ['future/keywords/in', null],
      ['data/a/b', 'c'],
      ['data/x/y', null],
      ['input/x', null],
      ['input', null],
      ['data/foo/in', 'f'],
    ]);
    expect(m.imports[3].loc).toEqual({ file: 't.rego', line: 5, col: 1 });
  });

  it('rejects imports OPA rejects', () => {
    expect(err('import foo.bar')).toMatch(/2:8: unexpected import path, must begin with one of/);
    expect(err('import rego.v2')).toBe('2:8: invalid import `rego.v2`, must be `rego.v1`');
    expect(err('import future.keywords.x')).toMatch(/unexpected keyword, must be one of/);
    expect(err('import future.keywords as k')).toMatch(/`future` imports cannot be aliased/);
    expect(err('import future.x')).toMatch(/must be `future.keywords`/);
    expect(err('import data.foo.if')).toMatch(/must not end with a keyword, got: if/);
    expect(err('import data.x as if')).toMatch(/expected an alias name after 'as'/);
    expect(err('import data.x[1]')).toMatch(/expected a string in import path/);
  });

  it('requires exactly one package declaration, first', () => {
    expect(() => parseModule('e.rego', '')).toThrow(/empty module/);
    expect(() => parseModule('e.rego', '# only a comment\n')).toThrow(/empty module/);
    expect(() => parseModule('e.rego', 'p := 1')).toThrow(/expected a package declaration/);
    expect(err('package u')).toMatch(/a module has exactly one/);
  });
});

describe('rules', () => {
  it('complete rules: value, body, both, single-literal body', () => {
    expect(one('p := 1')).toBe('complete p := #1');
    expect(one('p = 1')).toBe('complete p = #1');
    expect(one('p if { x }')).toBe('complete p { x }');
    expect(one('p := x if { x := 1 }')).toBe('complete p := x { x := #1 }');
    expect(one('p if input.x == 1')).toBe('complete p { equal(input["x"], #1) }');
    expect(one('p := 2 if not q')).toBe('complete p := #2 { not q }');
    expect(rules('p if true\nq if false')).toEqual(['complete p { true }', 'complete q { false }']);
    const r = mod('p := 1').rules[0];
    expect(r).toMatchObject({ default: false, kind: 'complete', assign: true, body: [] });
    expect(r.value).toEqual({ type: 'number', raw: '1', loc: { file: 't.rego', line: 2, col: 6 } });
    expect(mod('p if true').rules[0].value).toBeUndefined();
  });

  it('ref heads', () => {
    expect(one('a.b.c := 1')).toBe('complete a."b"."c" := #1');
    expect(one('p[k] := v if { some k, v in input }')).toBe(
      'complete p.k := v { some k, v in input }',
    );
    expect(one('a.b[c].d := 1 if c := "x"')).toBe('complete a."b".c."d" := #1 { c := "x" }');
    expect(one('p["a"] := 1')).toBe('complete p."a" := #1');
    expect(one('p[x] = 1 if x := 2')).toBe('complete p.x = #1 { x := #2 }');
  });

  it('`p[x] if` is one entry of an object, with the value true (absent)', () => {
    const r = mod('p[x] if { x := "a" }').rules[0];
    expect(r.kind).toBe('complete');
    expect(r.ref.map(term)).toEqual(['p', 'x']);
    expect(r.value).toBeUndefined();
    expect(r.key).toBeUndefined();
  });

  it('multi-value rules', () => {
    expect(one('p contains x if { some x in input }')).toBe(
      'multi p contains x { some x in input }',
    );
    expect(one('a.b contains "x"')).toBe('multi a."b" contains "x"');
    expect(one('p contains x if x := 1')).toBe('multi p contains x { x := #1 }');
    expect(one('p contains {"a": x} if x := 1')).toBe('multi p contains {"a": x} { x := #1 }');
  });

  it('functions, several definitions', () => {
    expect(
      rules('f(x) := y if { y := x }\nf(x) = 1 if x == 0\ng(x) if x\nh(1, [a, _]) := a'),
    ).toEqual([
      'function f(x) := y { y := x }',
      'function f(x) = #1 { equal(x, #0) }',
      'function g(x) { x }',
      'function h(#1, [a, $_0]) := a',
    ]);
    expect(one('lib.f(x) := 1')).toBe('function lib."f"(x) := #1');
  });

  it('default rules', () => {
    expect(one('default allow := false')).toBe('default complete allow := false');
    expect(one('default p = {"a": [1, {2}], "b": [x | x := 1]}')).toMatch(/^default complete p = /);
    expect(one('default f(_, x) := 1')).toBe('default function f($_0, x) := #1');
    expect(one('default a.b := 1')).toBe('default complete a."b" := #1');
    expect(err('default p')).toBe('2:1: illegal default rule (must have a value)');
    expect(err('default p := x')).toBe('2:1: illegal default rule (value cannot contain var)');
    expect(err('default p := input.x')).toMatch(/value cannot contain ref/);
    expect(err('default p := count([])')).toMatch(/value cannot contain call/);
    expect(err('default f(1) := 1')).toMatch(/arguments cannot contain number/);
    expect(err('default f(x, x) := 1')).toMatch(/arguments cannot be repeated x/);
    expect(err('default p := 1 if { true }')).toMatch(/default rules cannot have a body/);
  });

  it('else chains, with and without values and bodies', () => {
    expect(one('p := 1 if { a } else := 2 if { b } else = 3')).toBe(
      'complete p := #1 { a } else = #2 { b } else = #3',
    );
    expect(one('p := 1 if a else := 2 if b')).toBe('complete p := #1 { a } else = #2 { b }');
    expect(one('p if { a } else { b }')).toBe('complete p { a } else { b }');
    expect(one('p := 1 if { a } else = 2 { b }')).toBe('complete p := #1 { a } else = #2 { b }');
    expect(one('f(x) := 1 if { x } else := 2')).toBe('function f(x) := #1 { x } else = #2');
    const e = mod('p if { a } else if { b }').rules[0].else!;
    expect(e).toHaveLength(1);
    expect(e[0].value).toBeUndefined();
    expect(e[0].loc).toEqual({ file: 't.rego', line: 2, col: 12 });
    expect(err('p contains x if { x := 1 } else := 2')).toMatch(
      /cannot be used on multi-value rules/,
    );
    expect(err('p[x] := 1 if { x := 1 } else := 2')).toMatch(/rules with variables in head/);
    expect(err('p := 1 if { a } else')).toMatch(/expected else value term or rule body/);
  });

  it('chained bodies make one rule each, wildcard arguments renamed', () => {
    expect(rules('f(_) := 1 if { a } { b }')).toEqual([
      'function f($_0) := #1 { a }',
      'function f($_1) := #1 { b }',
    ]);
    expect(err('p if { a } else { b } { c }')).toMatch(/expected else keyword/);
  });

  it('keywords head refs when a dot or bracket follows directly', () => {
    expect(
      rules(
        'not.foo := 1\nelse.foo contains "a"\nin.foo contains "b" if { false }\ndefault.x := 1',
      ),
    ).toEqual([
      'complete not."foo" := #1',
      'multi else."foo" contains "a"',
      'multi in."foo" contains "b" { false }',
      'complete default."x" := #1',
    ]);
    expect(lits('null.foo == 1\nfoo.not == 2')).toEqual([
      'equal(null["foo"], #1)',
      'equal(foo["not"], #2)',
    ]);
  });

  it('rejects Rego v0 syntax, naming the v1 form', () => {
    expect(err('p {\n true\n}')).toBe(
      '2:1: `if` keyword is required before rule body (Rego v1: write `p if { … }`)',
    );
    expect(err('p[x] {\n x := 1\n}')).toMatch(
      /`if` keyword is required before rule body and `contains` keyword is required for partial set rules \(Rego v1: write `p contains x if \{ … \}`\)/,
    );
    expect(err('f(x) = 1 {\n x\n}')).toMatch(/`if` keyword is required before function body/);
    expect(err('p contains x { x := 1 }')).toMatch(/`if` keyword is required before rule body/);
    expect(err('p[x]')).toMatch(/`contains` keyword is required for partial set rules/);
    expect(err('p')).toMatch(/rule must have value assignment and\/or body declaration/);
    expect(err('f(x)')).toMatch(/function must have value assignment and\/or body declaration/);
    expect(err('f(x) contains 1')).toMatch(
      /contains keyword can only be used with multi-value rule/,
    );
  });
});

describe('bodies and expressions', () => {
  it('separates literals by newlines or semicolons', () => {
    expect(lits('a; b\nc\n\n  d')).toEqual(['a', 'b', 'c', 'd']);
    expect(err('p if { a; b c }')).toBe("2:13: unexpected 'c', expected newline, ';' or '}'");
    expect(err('p := [x | ]')).toMatch(/found empty body/);
    // As in OPA, `{}` after `if` is an empty object: a literal that always holds.
    expect(one('p if {}')).toBe('complete p { {} }');
    expect(one('p if { x | y }')).toBe('complete p { {x | y} }');
  });

  it('some, every, not, with', () => {
    expect(lits('some x\nsome x, y\nsome v in xs\nsome k, v in xs\nsome [a, b] in xs')).toEqual([
      'some x',
      'some x, y',
      'some v in xs',
      'some k, v in xs',
      'some [a, b] in xs',
    ]);
    expect(lit('every v in xs { v > 1 }')).toBe('every v in xs { gt(v, #1) }');
    expect(lit('every k, v in input.m { k == v; v }')).toBe(
      'every k, v in input["m"] { equal(k, v); v }',
    );
    expect(lit('not input.admin')).toBe('not input["admin"]');
    expect(lit('not f(x) with input as {} with data.a.b as 1\n  with count as g')).toBe(
      'not f(x) with input as {} with data["a"]["b"] as #1 with count as g',
    );
    expect(lit('some x in xs with input as 1')).toBe('some x in xs with input as #1');
    expect(lit('x := 1 with input.y as 2')).toBe('x := #1 with input["y"] as #2');
    const e = mod('p if {\n  not x with input as 1\n  y\n}').rules[0].body[0];
    expect(e).toMatchObject({ kind: 'term', negated: true, loc: { line: 3, col: 3 } });
    expect(e.with[0]).toMatchObject({
      target: { type: 'var', name: 'input' },
      loc: { line: 3, col: 9 },
    });
  });

  it('rejects misused some, every, not and with', () => {
    expect(err('p if { not some x in xs }')).toMatch(/illegal negation of 'some'/);
    expect(err('p if { not every x in xs { x } }')).toMatch(/illegal negation of 'every'/);
    expect(err('p if { every x in xs }')).toMatch(/expected '\{' \(every needs a body\)/);
    expect(err('p if { every x { x } }')).toMatch(/expected `x in xs/);
    expect(err('p if { every [x] in xs { x } }')).toMatch(/value of every to be a variable/);
    expect(err('p if { some f(x) }')).toMatch(/expected `x in xs`, `k, v in xs` or variable names/);
    expect(err('p if { some 1 }')).toMatch(/expected a variable name after some/);
    expect(err('p if { some x in [1, }')).toMatch(/unexpected '}', expected expression/);
    expect(err('p if { x with 1 as 2 }')).toMatch(/after 'with', expected a target/);
    expect(err('p if { x with input 2 }')).toMatch(/expected 'as'/);
  });

  it('assignment and unification join two terms', () => {
    expect(lit('x := 1')).toBe('x := #1');
    expect(lit('[a, b] = [1, 2]')).toBe('[a, b] = [#1, #2]');
    expect(lit('x := y in ys')).toBe('x := internal.member_2(y, ys)');
    const e = mod('p if { x := 1 }').rules[0].body[0];
    expect(e).toMatchObject({
      kind: 'assign',
      left: { type: 'var', name: 'x' },
      negated: false,
      with: [],
    });
  });

  it('operator precedence follows OPA: in < comparison < | < & < + - < * / %', () => {
    expect(lit('a | b & c == d + e * f')).toBe('equal(or(a, and(b, c)), plus(d, mul(e, f)))');
    expect(lit('a * b + c / d - e % f')).toBe('minus(plus(mul(a, b), div(c, d)), rem(e, f))');
    expect(lit('a - b - c')).toBe('minus(minus(a, b), c)');
    expect(lit('a < b == c')).toBe('equal(lt(a, b), c)');
    expect(lits('a != b; a <= b; a > b; a >= b')).toEqual([
      'neq(a, b)',
      'lte(a, b)',
      'gt(a, b)',
      'gte(a, b)',
    ]);
    expect(lit('(a + b) * c')).toBe('mul(plus(a, b), c)');
    expect(lit('x + 1 in xs')).toBe('internal.member_2(plus(x, #1), xs)');
    expect(lit('x in xs == true')).toBe('internal.member_2(x, equal(xs, true))');
    expect(lit('k, v in xs')).toBe('internal.member_3(k, v, xs)');
    expect(lit('x in xs in ys')).toBe('internal.member_2(internal.member_2(x, xs), ys)');
    expect(lit('a +\n  b')).toBe('plus(a, b)');
  });

  it('unary minus: a negative literal, or minus(0, x)', () => {
    expect(val('-1')).toBe('#-1');
    expect(val('- 2.5e3')).toBe('#-2.5e3');
    expect(val('-x')).toBe('minus(#0, x)');
    expect(val('-(1 + 2)')).toBe('minus(#0, plus(#1, #2))');
    expect(val('1 - -1')).toBe('minus(#1, #-1)');
    expect(val('1-1')).toBe('minus(#1, #1)');
    expect(val('[1, -1]')).toBe('[#1, #-1]');
    expect(val('.5')).toBe('#0.5');
    expect(val('-.5')).toBe('#-0.5');
  });

  it('refs with dots and brackets on any term, calls with dotted names', () => {
    expect(val('data.x[y].z')).toBe('data["x"][y]["z"]');
    expect(val('input["a b"]')).toBe('input["a b"]');
    expect(val('f(x).y')).toBe('f(x)["y"]');
    expect(val('[1, 2][0]')).toBe('[#1, #2][#0]');
    expect(val('{"a": 1}.a')).toBe('{"a": #1}["a"]');
    expect(val('[x | x := 1][0]')).toBe('[x | x := #1][#0]');
    expect(val('(a.b).c')).toBe('a["b"]["c"]');
    expect(val('object.get(input, "a", 1)')).toBe('object.get(input, "a", #1)');
    expect(val('data.lib.f(x)')).toBe('data.lib.f(x)');
    expect(val('lib.f(x, [1,],)')).toBe('lib.f(x, [#1])');
    expect(val('f()')).toBe('f()');
    // `contains` is a keyword in rule heads only: elsewhere it names the builtin.
    expect(one('p if contains(input.x, "a")')).toBe('complete p { contains(input["x"], "a") }');
    expect(val('a.b(x).c[0]')).toBe('a.b(x)["c"][#0]');
    const r = mod('p := input.x').rules[0].value!;
    expect(r).toMatchObject({
      type: 'ref',
      head: { type: 'var', name: 'input' },
      path: [{ type: 'string', value: 'x', loc: { line: 2, col: 12 } }],
      loc: { line: 2, col: 6 },
    });
    expect(mod('p := input').rules[0].value).toMatchObject({ type: 'var', name: 'input' });
  });

  it('refs and calls need their suffix written directly after the term', () => {
    expect(err('p := f (x)')).toMatch(/2:8: unexpected '\('/);
    expect(err('p := x. y')).toMatch(/after '\.', expected a name/);
    expect(err('p := "a"[0]')).toMatch(/illegal ref: a string cannot be indexed/);
    expect(err('p := x[0](1)')).toMatch(/only functions can be called/);
    expect(lits('x\n[1][0]')).toEqual(['x', '[#1][#0]']);
  });

  it('literals', () => {
    expect(val('null')).toBe('null');
    expect(val('[true, false]')).toBe('[true, false]');
    expect(val('[0, 12, 1.5, 1e3, 2E-2, 123456789012345678901234567890]')).toBe(
      '[#0, #12, #1.5, #1e3, #2E-2, #123456789012345678901234567890]',
    );
    expect(val('"a\\"\\u00e9\\n\\uD83D\\uDE00"')).toBe(JSON.stringify('a"é\n😀'));
    expect(val('`raw\\n "x"\nline`')).toBe(JSON.stringify('raw\\n "x"\nline'));
    expect(err('p := 01')).toBe('2:6: invalid number 01: leading zeros are not allowed');
    expect(err('p := -007')).toMatch(/leading zeros/);
    expect(err('p := 1e99999')).toMatch(/number too big/);
    expect(err('p := "a\\q"')).toBe('2:8: invalid escape \\q');
    expect(err('p := "abc\n"')).toBe('2:6: unterminated string');
  });

  it('collections: empty set and object, sets, objects, trailing commas', () => {
    expect(val('set()')).toBe('set()');
    expect(mod('p := set()').rules[0].value).toMatchObject({ type: 'set', items: [] });
    expect(val('{}')).toBe('{}');
    expect(mod('p := {}').rules[0].value).toMatchObject({ type: 'object', entries: [] });
    expect(val('{1, 2,}')).toBe('{#1, #2}');
    expect(val('{"a": 1, "b": [2, 3],}')).toBe('{"a": #1, "b": [#2, #3]}');
    expect(val('{a + 1: b}')).toBe('{plus(a, #1): b}');
    expect(val('{x}')).toBe('{x}');
    expect(val('[]')).toBe('[]');
    expect(err('p := [1, 2')).toMatch(/unexpected end of file, expected ',' or '\]'/);
    expect(err('p := {"a" 1}')).toMatch(/expected ',' or '\}'/);
  });

  it("comprehensions, and OPA's fallback to `|` as or before a comma", () => {
    expect(val('[x | some x in xs]')).toBe('[x | some x in xs]');
    expect(val('{x | x := 1; x > 0}')).toBe('{x | x := #1; gt(x, #0)}');
    expect(val('{k: v | some k, v in o}')).toBe('{k: v | some k, v in o}');
    expect(val('{a + 1: b | b := 2}')).toBe('{plus(a, #1): b | b := #2}');
    expect(val('[a | b, c]')).toBe('[or(a, b), c]');
    expect(val('{a | b, c}')).toBe('{or(a, b), c}');
    expect(val('{"a": x | y, "b": 1}')).toBe('{"a": or(x, y), "b": #1}');
    expect(val('[x |\n  x := 1\n  x > 0\n]')).toBe('[x | x := #1; gt(x, #0)]');
  });

  it('wildcards get unique names', () => {
    expect(lits('x := input[_][_]\n_ = 1')).toEqual(['x := input[$_0][$_1]', '$_2 = #1']);
    expect(rules('f(_) := 1\ng(_, _) := 2')).toEqual([
      'function f($_0) := #1',
      'function g($_1, $_2) := #2',
    ]);
  });

  it('template strings, with escaped braces and `with` inside', () => {
    expect(val('$"hello {input.name}!"')).toBe('$("hello " input["name"] "!")');
    expect(val('$"\\{x} {1 + a} \\t"')).toBe('$("{x} " plus(#1, a) " \\t")');
    expect(val('$""')).toBe('$()');
    expect(val('$"{$"{a}"} b"')).toBe('$($(a) " b")');
    expect(val('$"{[x | some x in a]} {{"a": 1}}"')).toBe('$([x | some x in a] " " {"a": #1})');
    expect(val('$`a\n{b}\\{c}`')).toBe('$("a\\n" b "{c}")');
    expect(val('$"{a with input as {"a": 42}}"')).toBe('$(a with input as {"a": #42})');
    const t = mod('p := $"x{a with input as 1}"').rules[0].value!;
    expect(t).toMatchObject({ type: 'template', parts: ['x', { type: 'var', name: 'a' }] });
    expect(t.type === 'template' && Object.keys(t.partWith ?? {})).toEqual(['1']);
    expect(err('p := $"{not a}"')).toMatch(
      /unexpected negation \('not'\) in template-string expression/,
    );
    expect(err('p := $"{a := 1}"')).toMatch(/unexpected assignment/);
    expect(err('p := $"{a = 1}"')).toMatch(/unexpected unification/);
    expect(err('p := $"{some x in y}"')).toMatch(/unexpected 'some'/);
    expect(err('p := $"{a b}"')).toMatch(/expected '\}' to end template-string expression/);
    expect(err('p := $"abc')).toBe('2:6: unterminated template string');
  });

  it('keeps locations: rule, expression, call and operator terms', () => {
    const r = mod('\nallow if {\n  count(x) > 1\n}').rules[0];
    expect(r.loc).toEqual({ file: 't.rego', line: 3, col: 1 });
    const e = r.body[0];
    expect(e.loc).toEqual({ file: 't.rego', line: 4, col: 3 });
    expect(e.kind === 'term' && e.term).toMatchObject({
      type: 'call',
      fn: ['gt'],
      loc: { line: 4, col: 3 },
      args: [
        { type: 'call', fn: ['count'], loc: { line: 4, col: 3 } },
        { type: 'number', loc: { line: 4, col: 14 } },
      ],
    });
  });
});

describe('errors', () => {
  it('name file:line:col and what is wrong', () => {
    expect(err('p if { x := }')).toBe("2:13: unexpected '}', expected expression");
    expect(err('p := 1 +')).toBe('2:9: unexpected end of file, expected expression');
    expect(err('p if { x := 1 }}')).toBe(
      "2:16: unexpected '}', expected a rule, import or end of file",
    );
    expect(err('p := 1 @')).toBe("2:8: illegal character '@'");
    expect(err('p := [1; 2]')).toMatch(/expected ',' or '\]'/);
    const e = (() => {
      try {
        parseModule('policies/authz.rego', 'package a\np := ]');
      } catch (x) {
        return x as RegoError;
      }
    })()!;
    expect(e.toLine()).toBe("policies/authz.rego:2:6: unexpected ']', expected expression");
    expect(e.status).toBe(400);
  });

  it('rejects nesting deeper than the guard as a RegoError, not a stack overflow', () => {
    for (const open of ['[', '(', '{', '-', '[x | ', '$"{', 'f(', '{"a": ']) {
      expect(() => mod(`p := ${open.repeat(20000)}`)).toThrow(/nesting too deep/);
    }
    expect(() => mod(`p := ${Array(5000).fill('1').join(' + ')}`)).toThrow(/nesting too deep/);
    // Ordinary depths are fine.
    expect(val('['.repeat(50) + ']'.repeat(50))).toMatch(/^\[\[/);
  });
});

describe('fuzzing: any input gives a Module or a RegoError', () => {
  const check = (src: string): void => {
    try {
      parseModule('f.rego', src);
    } catch (e) {
      if (!(e instanceof RegoError)) throw e;
      expect(e.code).toBe('REGO_PARSE_ERROR');
      expect(e.where).toMatch(/^f\.rego:\d+:\d+$/);
    }
  };

  it('random strings', () => {
    const chars = fc.constantFrom(...'pa_x1 0.e-+*/%&|=:!<>,;()[]{}"`\\$#\n\tuéq😀'.split(''));
    fc.assert(
      fc.property(
        fc.array(chars, { maxLength: 80 }).map((cs) => cs.join('')),
        (s) => {
          check(s);
          check(`package p\n${s}`);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('token soups', () => {
    const toks = [
      'package',
      'import',
      'as',
      'default',
      'else',
      'not',
      'some',
      'with',
      'null',
      'true',
      'false',
      'if',
      'contains',
      'in',
      'every',
      'p',
      'x',
      '_',
      'input',
      'data',
      'set',
      'f',
      '1',
      '-1',
      '0.5',
      '"s"',
      '`r`',
      '$"a{',
      '}"',
      '$`b{',
      '}`',
      ':=',
      '=',
      '==',
      '!=',
      '<',
      '<=',
      '>',
      '>=',
      '+',
      '-',
      '*',
      '/',
      '%',
      '&',
      '|',
      ',',
      ';',
      ':',
      '.',
      '(',
      ')',
      '[',
      ']',
      '{',
      '}',
      '\n',
      '#c\n',
      'set()',
      'count(',
      'x.y',
      'x[',
      'p[x]',
      'f(x)',
    ];
    const sep = fc.constantFrom('', ' ', '\n');
    const soup = fc
      .array(fc.tuple(fc.constantFrom(...toks), sep), { maxLength: 60 })
      .map((ts) => ts.map(([t, s]) => t + s).join(''));
    fc.assert(
      fc.property(soup, (s) => {
        check(s);
        check(`package p\n${s}`);
        check(`package p\np if {\n${s}\n}`);
      }),
      { numRuns: 3000 },
    );
  });

  it('mutations of a valid policy', () => {
    const base =
      'package a\nimport rego.v1\ndefault allow := false\nallow if {\n  some t in input.tools\n  t.name == "x"\n  count([y | some y in t.args; y > 1]) >= 1\n  not deny[t.name]\n}\ndeny contains m if { m := $"bad {input.x}" }\nf(x) := y if { y := x * 2 } else := 0\n';
    fc.assert(
      fc.property(
        fc.nat(base.length),
        fc.nat(base.length),
        fc.string({ maxLength: 4 }),
        (i, j, ins) => {
          const [a, b] = i < j ? [i, j] : [j, i];
          check(base.slice(0, a) + ins + base.slice(b));
          check(base.slice(0, a) + ins + base.slice(a));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
