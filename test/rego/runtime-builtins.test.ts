// Builtins: the ones evaluated inside the module, and host calls through opa_builtinN.
import { describe, expect, test } from 'vitest';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { Op, type Operand, type Stmt } from '../../src/rego/ir.ts';
import { IRBuilder, RawModule, resultOf } from '../../src/rego/runtime/testkit.ts';

/** A JSON text argument (raw) so numbers like 1.0 and big integers stay as written. */
const raw = (text: string) => ({ raw: text });
type Arg = unknown | { raw: string };

function argOperand(b: IRBuilder, a: Arg): Operand {
  if (a && typeof a === 'object' && 'raw' in a) return b.k((a as { raw: string }).raw, true);
  return b.k(a);
}

/** Evaluates name(args…) inside the module; the result in Rego value syntax, or undefined. */
async function call(name: string, ...args: Arg[]): Promise<string | undefined> {
  const b = new IRBuilder();
  const id = b.builtin(name, args.length);
  const ops = args.map((a) => argOperand(b, a));
  b.entry('t', [
    { op: Op.CallBuiltin, builtin: id, args: ops, target: 3 },
    { op: Op.MakeArray, capacity: 1, target: 2 },
    { op: Op.ArrayAppend, array: 2, value: 3 },
  ]);
  const { wasm, minPages } = b.link();
  const m = new RawModule(wasm, minPages);
  const data = m.parse('{}');
  const heap = m.x.opa_heap_ptr_get();
  const out = JSON.parse(m.cstr(m.x.opa_eval(0, 0, data, 0, 0, heap, 1)));
  if (out.length === 0) return undefined;
  const text = m.cstr(m.x.opa_eval(0, 0, data, 0, 0, heap, 1));
  // format 1 gives Rego syntax: [{"result": [v]}] — strip the wrapper
  const inner = text.slice('[{"result":'.length, -2);
  return inner.slice(1, -1);
}

describe('native builtins', () => {
  test('comparisons on any types', async () => {
    expect(await call('equal', 1, raw('1.0'))).toBe('true');
    expect(await call('equal', [1], ['1'])).toBe('false');
    expect(await call('neq', 'a', 'b')).toBe('true');
    expect(await call('lt', 1, 'a')).toBe('true');
    expect(await call('lt', 'b', 'a')).toBe('false');
    expect(await call('lte', 2, 2)).toBe('true');
    expect(await call('gt', [1, 2], [1])).toBe('true');
    expect(await call('gte', null, false)).toBe('false');
    expect(
      await call(
        'lt',
        raw('123456789012345678901234567890'),
        raw('123456789012345678901234567891'),
      ),
    ).toBe('true');
    expect(await call('gt', raw('123456789012345678901234567890'), 9007199254740993)).toBe('true');
  });

  test('integer arithmetic is exact; overflow falls back to floats', async () => {
    expect(await call('plus', 2, 3)).toBe('5');
    expect(await call('plus', raw('9007199254740993'), 2)).toBe('9007199254740995');
    expect(await call('minus', 2, 5)).toBe('-3');
    expect(await call('mul', 6, 7)).toBe('42');
    expect(await call('mul', raw('4611686018427387904'), 3)).toBe('13835058055282163712');
    expect(await call('mul', raw('9223372036854775807'), 4)).toBe('36893488147419103000');
    expect(await call('mul', raw('1e200'), raw('1e200'))).toBeUndefined();
    expect(await call('mul', raw('1.5e200'), 2)).toBe('3e+200');
    expect(await call('div', 1, 3)).toBe('0.3333333333333333');
    expect(await call('plus', raw('9223372036854775807'), 1)).toBe('9223372036854775808');
    expect(await call('div', 7, 2)).toBe('3.5');
    expect(await call('div', 8, 2)).toBe('4');
    expect(await call('div', 1, 0)).toBeUndefined();
    expect(await call('div', 1.5, 0)).toBeUndefined();
    expect(await call('rem', 7, 3)).toBe('1');
    expect(await call('rem', -7, 3)).toBe('-1');
    expect(await call('rem', 7, 0)).toBeUndefined();
    expect(await call('rem', 7.5, 2)).toBeUndefined();
    expect(await call('plus', 1.5, 1.5)).toBe('3');
    expect(await call('plus', 0.1, 0.2)).toBe('0.30000000000000004');
    expect(await call('div', 1, 3e7)).toBe('3.3333333333333334e-8');
    expect(await call('mul', 2.5, 2)).toBe('5');
    expect(await call('minus', 1, 'a')).toBeUndefined();
    expect(await call('plus', '1', 1)).toBeUndefined();
  });

  test('set operations', async () => {
    const b = new IRBuilder();
    const s = (local: number, vals: unknown[]): Stmt[] => [
      { op: Op.MakeSet, target: local },
      ...vals.map((v): Stmt => ({ op: Op.SetAdd, set: local, value: b.k(v) })),
    ];
    const minus = b.builtin('minus', 2);
    const and = b.builtin('and', 2);
    const or = b.builtin('or', 2);
    b.entry('t', [
      ...s(3, [1, 2, 3, 'x']),
      ...s(4, [2, 'x', 9]),
      { op: Op.MakeArray, capacity: 3, target: 2 },
      { op: Op.CallBuiltin, builtin: minus, args: [3, 4], target: 5 },
      { op: Op.CallBuiltin, builtin: and, args: [3, 4], target: 6 },
      { op: Op.CallBuiltin, builtin: or, args: [3, 4], target: 7 },
      { op: Op.ArrayAppend, array: 2, value: 5 },
      { op: Op.ArrayAppend, array: 2, value: 6 },
      { op: Op.ArrayAppend, array: 2, value: 7 },
    ]);
    const p = await b.load();
    expect(resultOf(p.evaluate({}))).toEqual([
      [1, 3],
      [2, 'x'],
      [1, 2, 3, 9, 'x'],
    ]);
    expect(await call('and', [1], [1])).toBeUndefined();
  });

  test('count, abs, type checks, type_name', async () => {
    expect(await call('count', 'é😀a')).toBe('3');
    expect(await call('count', { a: 1, b: 2 })).toBe('2');
    expect(await call('count', [])).toBe('0');
    expect(await call('count', 1)).toBeUndefined();
    expect(await call('abs', -5)).toBe('5');
    expect(await call('abs', raw('-2.5'))).toBe('2.5');
    expect(await call('abs', raw('-123456789012345678901234567890'))).toBe(
      '123456789012345678901234567890',
    );
    expect(await call('abs', 'x')).toBeUndefined();
    const vals: Arg[] = [null, true, 1, 's', [], {}];
    const names = ['null', 'boolean', 'number', 'string', 'array', 'object'];
    for (let i = 0; i < vals.length; i++)
      expect(await call('type_name', vals[i])).toBe(`"${names[i]}"`);
    expect(await call('is_number', 1)).toBe('true');
    expect(await call('is_number', '1')).toBe('false');
    expect(await call('is_string', 'a')).toBe('true');
    expect(await call('is_boolean', false)).toBe('true');
    expect(await call('is_array', [])).toBe('true');
    expect(await call('is_object', {})).toBe('true');
    expect(await call('is_set', [])).toBe('false');
    expect(await call('is_null', null)).toBe('true');
  });

  test('membership: internal.member_2 and internal.member_3', async () => {
    expect(await call('internal.member_2', 2, [1, 2])).toBe('true');
    expect(await call('internal.member_2', raw('2.0'), [1, 2])).toBe('true');
    expect(await call('internal.member_2', 'a', { a: 1 })).toBe('false');
    expect(await call('internal.member_2', 1, { a: 1 })).toBe('true');
    expect(await call('internal.member_2', 1, 'abc')).toBe('false');
    expect(await call('internal.member_3', 1, 'b', ['a', 'b'])).toBe('true');
    expect(await call('internal.member_3', 0, 'b', ['a', 'b'])).toBe('false');
    expect(await call('internal.member_3', 'k', 'v', { k: 'v' })).toBe('true');
    expect(await call('internal.member_3', 'k', 'w', { k: 'v' })).toBe('false');
  });

  test('internal.template_string: strings raw, other values in Rego syntax', async () => {
    const b = new IRBuilder();
    const tpl = b.builtin('internal.template_string', 1);
    b.entry('t', [
      { op: Op.MakeSet, target: 3 },
      { op: Op.MakeSet, target: 4 },
      { op: Op.SetAdd, set: 4, value: b.k(42) },
      { op: Op.MakeArray, capacity: 8, target: 5 },
      ...[
        b.k('n='),
        b.k(42),
        b.k(', '),
        b.k('13.37', true),
        b.k(' '),
        b.k([1, 'a']),
        b.k(' '),
        3,
        b.k(' '),
        4,
        b.k(' '),
        b.k({ a: 'b' }),
        b.k(' '),
        b.k(null),
        b.k(' é "q"'),
      ].map((v): Stmt => ({ op: Op.ArrayAppend, array: 5, value: v })),
      { op: Op.CallBuiltin, builtin: tpl, args: [5], target: 2 },
    ]);
    const p = await b.load();
    expect(resultOf(p.evaluate({}))).toBe('n=42, 13.37 [1, "a"] set() {42} {"a": "b"} null é "q"');
  });
});

describe('host builtins', () => {
  function policy(): IRBuilder {
    const b = new IRBuilder();
    const cat = b.builtin('my.cat', 2);
    const mkset = b.builtin('my.set', 0);
    const none = b.builtin('my.none', 1);
    const count = b.builtin('count', 1);
    b.entry('t', [
      { op: Op.MakeArray, capacity: 3, target: 2 },
      { op: Op.CallBuiltin, builtin: cat, args: [b.k('a'), 0], target: 3 },
      { op: Op.ArrayAppend, array: 2, value: 3 },
      { op: Op.CallBuiltin, builtin: mkset, args: [], target: 4 },
      { op: Op.IsSet, source: 4 },
      { op: Op.CallBuiltin, builtin: count, args: [4], target: 5 },
      { op: Op.ArrayAppend, array: 2, value: 4 },
      { op: Op.ArrayAppend, array: 2, value: 5 },
      { op: Op.CallBuiltin, builtin: none, args: [b.k(1)], target: 6 },
      { op: Op.ArrayAppend, array: 2, value: b.k('unreachable') },
    ]);
    return b;
  }

  test('called with JSON arguments; {"__rego_set__": [...]} results are sets; undefined results', async () => {
    const seen: unknown[] = [];
    const p = await policy().load({
      'my.cat': (a: string, b: unknown) => (seen.push([a, b]), a + JSON.stringify(b)),
      'my.set': () => ({ __rego_set__: [3, 1, 2, 1] }),
      'my.none': () => undefined,
    });
    expect(resultOf(p.evaluate({ x: ['é'] }))).toEqual(['a{"x":["é"]}', [1, 2, 3], 3]);
    expect(seen).toEqual([['a', { x: ['é'] }]]);
  });

  test('builtins() lists only host builtins; a core-only policy needs no custom builtins', async () => {
    const { wasm, minPages } = policy().link();
    const m = new RawModule(wasm, minPages);
    expect(JSON.parse(m.json(m.x.builtins()))).toEqual({ 'my.cat': 0, 'my.set': 1, 'my.none': 2 });
    const core = new IRBuilder();
    const c = core.builtin('count', 1);
    core.entry('t', [{ op: Op.CallBuiltin, builtin: c, args: [core.k([1, 2])], target: 2 }]);
    const linked = core.link();
    const p = await loadPolicy(linked.wasm, { initial: linked.minPages });
    expect(p.evaluate({})).toEqual([{ result: 2 }]);
  });

  test('outside a builtin call, {"__rego_set__": …} is an ordinary object', async () => {
    const b = new IRBuilder();
    b.entry('t', [{ op: Op.Assign, source: 0, target: 2 }]);
    const p = await b.load();
    expect(p.evaluate({ __rego_set__: [1] })).toEqual([{ result: { __rego_set__: [1] } }]);
  });

  test('a host builtin with more than 4 arguments fails at load', async () => {
    const b = new IRBuilder();
    b.builtin('my.five', 5);
    b.entry('t', []);
    await expect(b.load()).rejects.toMatch('more than 4 arguments');
  });
});

describe('float formatting', () => {
  test('computed floats print like JavaScript: shortest digits, closest to the value', async () => {
    const b = new IRBuilder();
    const div = b.builtin('div', 2);
    const mul = b.builtin('mul', 2);
    b.entry('t', [
      { op: Op.MakeArray, capacity: 0, target: 2 },
      {
        op: Op.Scan,
        source: 0,
        key: 3,
        value: 4,
        block: {
          stmts: [
            { op: Op.Dot, source: 4, key: b.k(0), target: 5 },
            { op: Op.Dot, source: 4, key: b.k(1), target: 6 },
            { op: Op.Dot, source: 4, key: b.k(2), target: 8 },
            {
              op: Op.Block,
              blocks: [
                {
                  stmts: [
                    { op: Op.Equal, a: 8, b: b.k('div') },
                    { op: Op.CallBuiltin, builtin: div, args: [5, 6], target: 7 },
                  ],
                },
                {
                  stmts: [
                    { op: Op.Equal, a: 8, b: b.k('mul') },
                    { op: Op.CallBuiltin, builtin: mul, args: [5, 6], target: 7 },
                  ],
                },
              ],
            },
            { op: Op.ArrayAppend, array: 2, value: 7 },
          ],
        },
      },
    ]);
    const { wasm, minPages } = b.link();
    const m = new RawModule(wasm, minPages);
    // a deterministic generator: integers below 2^53 parse exactly, the quotients do not
    let seed = 12345;
    const rnd = (max: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor((seed / 2147483648) * max);
    };
    const pairs: [number, number, string][] = [
      [1, 10, 'div'],
      [2, 3, 'div'],
      [1, 3e15, 'div'],
      [-7, 1e7, 'div'],
      [1, 1e6, 'div'],
      [4503599627370497, 1e9, 'mul'],
    ];
    for (let i = 0; i < 3000; i++) {
      const p = (rnd(2 ** 26) * 2 ** 26 + rnd(2 ** 26)) * (rnd(2) ? 1 : -1) || 1;
      const q = rnd(2 ** 26) * 2 ** rnd(27) + 1;
      pairs.push(i % 5 === 0 ? [p, q * 1e6 + 1, 'mul'] : [p, q, 'div']);
    }
    const expected = pairs.map(([p, q, op]) => String(op === 'div' ? p / q : p * q));
    const data = m.parse('{}');
    const [at, len] = m.write(JSON.stringify(pairs));
    const out = m.cstr(m.x.opa_eval(0, 0, data, at, len, at + len, 0));
    const got = out.slice('[{"result":['.length, -3).split(',');
    expect(got.length).toBe(pairs.length);
    const mismatches = got
      .map((g, i) => [g, expected[i]])
      .filter(([g, e], i) => {
        const [p, q, op] = pairs[i];
        const exact = op === 'mul' ? p * q : p / q;
        // integral values up to 2^64 print as the exact integer they hold (see dump.ts)
        if (Number.isInteger(exact) && Math.abs(exact) < 2 ** 64)
          return BigInt(g) !== BigInt(exact);
        return g !== e;
      });
    expect(mismatches).toEqual([]);
  });
});
