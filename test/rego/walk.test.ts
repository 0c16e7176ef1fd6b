// walk(x, [path, value]) through the whole pipeline (Rego → WASM → the unmodified opa-wasm SDK
// with the project's host builtins): the relation's solutions, their order, sets as keys, a
// partly ground path, and a deep document.
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { compileModules } from '../../src/rego/compile.ts';
import { hostBuiltins } from '../../src/rego/builtins/index.ts';
import { walkPairs } from '../../src/rego/builtins/walk.ts';

async function run(text: string, entry: string, input?: unknown): Promise<unknown> {
  const c = compileModules([{ path: 'walk.rego', text }], { entrypoints: [entry] });
  const policy = await loadPolicy(c.wasm, { initial: c.minPages }, hostBuiltins);
  const rs = policy.evaluate(input, entry);
  return rs.length === 0 ? undefined : rs[0].result;
}

describe('walk', () => {
  it('yields every node with its path, root first, keys in Rego order', async () => {
    const src = 'package t\np := [x | walk(input, x)]';
    expect(await run(src, 't/p', { b: [true], '10': 1, '2': null })).toEqual([
      [[], { b: [true], '10': 1, '2': null }],
      [['10'], 1], // string order: "10" < "2" < "b", not JS's integer-like keys first
      [['2'], null],
      [['b'], [true]],
      [['b', 0], true],
    ]);
    expect(await run(src, 't/p', 'scalar')).toEqual([[[], 'scalar']]);
  });

  it('finds secrets anywhere in tool arguments, as a gateway policy would', async () => {
    const src = `package t
paths contains p if {
  walk(input.params.arguments, [p, v])
  is_string(v)
  regex.match(\`(?i)^(sk|ghp)_[a-z0-9]{8,}\`, v)
}`;
    const input = {
      params: {
        arguments: {
          q: 'select 1',
          opts: { headers: [{ auth: 'ghp_abcdef123456' }] },
          k: 'sk_0123456789',
        },
      },
    };
    expect(await run(src, 't/paths', input)).toEqual([['k'], ['opts', 'headers', 0, 'auth']]);
  });

  it('uses set members as their own keys and binds a partly ground path', async () => {
    expect(await run('package t\np := [k | walk({{1, 2}}, [k, _])]', 't/p')).toEqual([
      [],
      [{ __rego_set__: [1, 2] }].map(() => [1, 2]), // the SDK hands sets back as arrays
      [[1, 2], 1],
      [[1, 2], 2],
    ]);
    const src = `package t
q := {"a": [{"b": {"x": 1}}, {"b": {"y": 2}}]}
p contains [i, k, v] if walk(q, [["a", i, "b", k], v])`;
    expect(await run(src, 't/p')).toEqual([
      [0, 'x', 1],
      [1, 'y', 2],
    ]);
  });

  it('works as a value: [path, value] := walk(x)', async () => {
    const src = 'package t\np := {concat("/", p): v | [p, v] := walk(input); is_string(v)}';
    expect(await run(src, 't/p', { a: { b: 'x' }, c: 'y' })).toEqual({ 'a/b': 'x', c: 'y' });
  });

  it('walks a deep document (paths grow with depth: the output is quadratic, as in OPA)', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 3_000; i++) deep = [deep];
    const pairs = walkPairs(deep);
    expect(pairs).toHaveLength(3_001);
    const [path, value] = pairs.at(-1) as [unknown[], unknown];
    expect(path).toHaveLength(3_000);
    expect(value).toBe('leaf');
  });
});
