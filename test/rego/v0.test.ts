// Rego v0 as OPA 1.x's --v0-compatible reads it: keyword rules without `if`, `p[x] { … }`
// partial sets, `p[k] = v { … }` partial objects, future keywords only when imported,
// `import rego.v1` switching a file to v1, and the v0-only builtins.
import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseModule } from '../../src/rego/parser.ts';
import { compileModules } from '../../src/rego/compile.ts';
import { compileDir } from '../../src/policy/bundle.ts';
import { instantiateEngine } from '../../src/policy/engine.ts';
import { evalRego } from './helpers-eval.ts';

const V0 = `package t
default allow = false
allow { input.user == "admin" }
deny[msg] { msg := sprintf("no %v", [input.user]); input.user != "admin" }
labels[k] = v { v := input.labels[k] }
grade = "a" { input.score > 90 } else = "b" { input.score > 50 } else = "c"
f(x) = y { y := x * 2 }
contains = 1
if = 2
`;

describe('Rego v0 rules', () => {
  it('evaluates keyword rules, partial sets and objects, else chains and functions', async () => {
    const r = await evalRego(V0, ['t/allow', 't/deny', 't/labels', 't/grade', 't/contains'], {
      version: 'v0',
      input: { user: 'bob', labels: { a: '1' }, score: 60 },
    });
    expect(r).toEqual({
      't/allow': false,
      't/deny': ['no bob'],
      't/labels': { a: '1' },
      't/grade': 'b',
      't/contains': 1,
    });
  });

  it('refuses v0 rules in a v1 file', () => {
    expect(() => parseModule('p.rego', V0)).toThrow(/`if` keyword is required/);
  });

  it('treats p.q { … } as the set p holding "q", as OPA v0 does', async () => {
    const r = await evalRego('package t\np.q { true }', ['t/p'], { version: 'v0' });
    expect(r['t/p']).toEqual(['q']);
  });

  it('makes in/contains/every/if keywords only once imported', async () => {
    const src = `package t
import future.keywords.in
import future.keywords.if
p if { 2 in [1, 2] }
s[x] if { some x in [1, 2] }`;
    const r = await evalRego(src, ['t/p', 't/s'], { version: 'v0' });
    expect(r).toEqual({ 't/p': true, 't/s': [1, 2] });
    expect(() => parseModule('p.rego', 'package t\np { 2 in [1] }', 'v0')).toThrow();
  });

  it('switches a file to v1 with import rego.v1', async () => {
    const src = 'package t\nimport rego.v1\ns contains x if some x in [3]';
    const r = await evalRego(src, ['t/s'], { version: 'v0' });
    expect(r['t/s']).toEqual([3]);
    expect(() => parseModule('p.rego', 'package t\nimport rego.v1\np { true }', 'v0')).toThrow(
      /`if` keyword is required/,
    );
  });

  it('mixes v0 and v1 files in one directory as its .manifest says', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'v0-'));
    await mkdir(path.join(dir, 'old'));
    await writeFile(path.join(dir, 'old/a.rego'), 'package a\nq[x] { x := 1 }');
    await writeFile(path.join(dir, 'b.rego'), 'package b\np if data.a.q[1]');
    await writeFile(
      path.join(dir, '.manifest'),
      JSON.stringify({ file_rego_versions: { '/old/*.rego': 0 } }),
    );
    const artifact = await compileDir(dir, { entrypoints: ['b/p'] });
    const engine = await instantiateEngine(artifact);
    expect(engine.evaluate(undefined, 'b/p').result).toBe(true);
    await writeFile(path.join(dir, '.manifest'), JSON.stringify({ rego_version: 1 }));
    await expect(compileDir(dir, { entrypoints: ['b/p'] })).rejects.toThrow(
      /`if` keyword is required/,
    );
    await writeFile(path.join(dir, '.manifest'), JSON.stringify({ rego_version: 'zero' }));
    await expect(compileDir(dir, { entrypoints: ['b/p'] })).rejects.toThrow(/rego_version/);
  });

  it('keeps the deprecated builtins out of v1 modules', () => {
    expect(() =>
      compileModules([{ path: 'p.rego', text: 'package t\np if re_match("a", "a")' }], {
        entrypoints: ['t/p'],
      }),
    ).toThrow(/undefined function re_match/);
  });

  it('runs the v0-only builtins', async () => {
    const src = `package t
rm { re_match("^a+$", "aaa") }
al = all([true, true])
an = any([false, true])
cs = cast_set([1, 1, 2])
ca = cast_array({1})
sd = set_diff({1, 2, 3}, {2})
co { net.cidr_overlap("10.0.0.0/8", "10.1.2.3") }
cstr = cast_string("s")`;
    const r = await evalRego(
      src,
      ['t/rm', 't/al', 't/an', 't/cs', 't/ca', 't/sd', 't/co', 't/cstr'],
      {
        version: 'v0',
      },
    );
    expect(r).toEqual({
      't/rm': true,
      't/al': true,
      't/an': true,
      't/cs': [1, 2],
      't/ca': [1],
      't/sd': [1, 3],
      't/co': true,
      't/cstr': 's',
    });
  });
});
