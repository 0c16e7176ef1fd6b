// The IR interpreter: every statement of src/rego/ir.ts, run through the unmodified JS SDK.
import { describe, expect, test } from 'vitest';
import { Op, type Stmt } from '../../src/rego/ir.ts';
import { IRBuilder, resultOf } from '../../src/rego/runtime/testkit.ts';

/** Builds a one-entrypoint policy whose result is local 2 and evaluates it once. */
async function run(
  build: (b: IRBuilder) => Stmt[],
  input?: unknown,
  data?: unknown,
): Promise<unknown> {
  const b = new IRBuilder();
  b.entry('t', build(b));
  const p = await b.load();
  if (data !== undefined) p.setData(data as object);
  return resultOf(p.evaluate(input as object));
}

const T = (b: IRBuilder): Stmt => ({ op: Op.Assign, source: b.k(true), target: 2 });

describe('control flow', () => {
  test('a block ends at an undefined statement', async () => {
    expect(await run((b) => [{ op: Op.Equal, a: b.k(1), b: b.k(2) }, T(b)])).toBeUndefined();
    expect(await run((b) => [{ op: Op.Equal, a: b.k(1), b: b.k(1.0) }, T(b)])).toBe(true);
  });

  test('block runs each block independently; break n ends n+1 blocks', async () => {
    const out = await run((b) => [
      { op: Op.MakeArray, capacity: 0, target: 2 },
      {
        op: Op.Block,
        blocks: [
          {
            stmts: [
              { op: Op.ArrayAppend, array: 2, value: b.k('a') },
              { op: Op.Break, index: 0 },
              { op: Op.ArrayAppend, array: 2, value: b.k('x') },
            ],
          },
          { stmts: [{ op: Op.ArrayAppend, array: 2, value: b.k('b') }] },
          {
            stmts: [
              { op: Op.Block, blocks: [{ stmts: [{ op: Op.Break, index: 1 }] }] },
              { op: Op.ArrayAppend, array: 2, value: b.k('y') },
            ],
          },
          { stmts: [{ op: Op.ArrayAppend, array: 2, value: b.k('c') }] },
        ],
      },
      { op: Op.ArrayAppend, array: 2, value: b.k('d') },
    ]);
    expect(out).toEqual(['a', 'b', 'c', 'd']);
  });

  test('break 2 from inside a scan leaves the scan and the enclosing block', async () => {
    const out = await run((b) => [
      { op: Op.MakeArray, capacity: 0, target: 2 },
      { op: Op.Assign, source: b.k([1, 2, 3]), target: 3 },
      {
        op: Op.Block,
        blocks: [
          {
            stmts: [
              {
                op: Op.Scan,
                source: 3,
                key: 4,
                value: 5,
                block: {
                  stmts: [
                    { op: Op.ArrayAppend, array: 2, value: 5 },
                    { op: Op.Equal, a: 5, b: b.k(2) },
                    { op: Op.Break, index: 1 },
                  ],
                },
              },
              { op: Op.ArrayAppend, array: 2, value: b.k('not reached') },
            ],
          },
          { stmts: [{ op: Op.ArrayAppend, array: 2, value: b.k('next') }] },
        ],
      },
    ]);
    expect(out).toEqual([1, 2, 'next']);
  });

  test('scan: arrays by index, objects and sets in sort order, non-collections undefined', async () => {
    const scan = (b: IRBuilder): Stmt[] => [
      { op: Op.MakeArray, capacity: 0, target: 2 },
      { op: Op.Dot, source: 0, key: b.k('c'), target: 3 },
      {
        op: Op.Scan,
        source: 3,
        key: 4,
        value: 5,
        block: {
          stmts: [
            { op: Op.MakeArray, capacity: 2, target: 6 },
            { op: Op.ArrayAppend, array: 6, value: 4 },
            { op: Op.ArrayAppend, array: 6, value: 5 },
            { op: Op.ArrayAppend, array: 2, value: 6 },
          ],
        },
      },
      { op: Op.ArrayAppend, array: 2, value: b.k('after') },
    ];
    expect(await run(scan, { c: ['x', 'y'] })).toEqual([[0, 'x'], [1, 'y'], 'after']);
    expect(await run(scan, { c: { b: 1, a: 2, '': 3 } })).toEqual([
      ['', 3],
      ['a', 2],
      ['b', 1],
      'after',
    ]);
    expect(await run(scan, { c: [] })).toEqual(['after']);
    expect(await run(scan, { c: 'str' })).toEqual([]); // the scan is undefined: its block ends
    const setScan = await run((b) => [
      { op: Op.MakeSet, target: 3 },
      { op: Op.SetAdd, set: 3, value: b.k('b') },
      { op: Op.SetAdd, set: 3, value: b.k(1) },
      { op: Op.SetAdd, set: 3, value: b.k('b') },
      ...scan(b).filter((s) => s.op !== Op.Dot),
    ]);
    expect(setScan).toEqual([[1, 1], ['b', 'b'], 'after']);
  });

  test('not holds when its block ends early', async () => {
    const not =
      (v: unknown) =>
      (b: IRBuilder): Stmt[] => [
        { op: Op.Not, block: { stmts: [{ op: Op.Equal, a: b.k(v), b: b.k(1) }] } },
        T(b),
      ];
    expect(await run(not(2))).toBe(true);
    expect(await run(not(1))).toBeUndefined();
  });

  test('nop, reset, is_defined, is_undefined', async () => {
    expect(
      await run((b) => [
        { op: Op.Nop },
        { op: Op.Assign, source: b.k(1), target: 3 },
        { op: Op.IsDefined, source: 3 },
        { op: Op.Reset, target: 3 },
        { op: Op.IsUndefined, source: 3 },
        { op: Op.IsUndefined, source: 0 },
        T(b),
      ]),
    ).toBe(true);
    expect(await run((b) => [{ op: Op.IsDefined, source: 0 }, T(b)])).toBeUndefined();
    expect(await run((b) => [{ op: Op.IsDefined, source: 0 }, T(b)], 0)).toBeUndefined(); // SDK: falsy = no input
    expect(await run((b) => [{ op: Op.IsDefined, source: 0 }, T(b)], { a: 1 })).toBe(true);
  });
});

describe('values', () => {
  test('dot on objects, arrays (1 and 1.0), sets; missing keys undefined', async () => {
    const dot =
      (coll: unknown, key: unknown) =>
      (b: IRBuilder): Stmt[] => [
        {
          op: Op.Dot,
          source: b.k(coll),
          key: b.k(key, typeof key === 'string' && key.startsWith('#')),
          target: 2,
        },
      ];
    expect(await run(dot({ a: { b: 1 } }, 'a'))).toEqual({ b: 1 });
    expect(await run(dot(['x', 'y'], 1))).toBe('y');
    expect(
      await run((b) => [{ op: Op.Dot, source: b.k(['x', 'y']), key: b.k('1.0', true), target: 2 }]),
    ).toBe('y');
    expect(await run(dot(['x', 'y'], 2))).toBeUndefined();
    expect(await run(dot(['x', 'y'], -1))).toBeUndefined();
    expect(await run(dot(['x', 'y'], 0.5))).toBeUndefined();
    expect(await run(dot({ a: 1 }, 'b'))).toBeUndefined();
    expect(await run(dot('abc', 0))).toBeUndefined();
    expect(
      await run((b) => [
        { op: Op.MakeSet, target: 3 },
        { op: Op.SetAdd, set: 3, value: b.k('m') },
        { op: Op.Dot, source: 3, key: b.k('m'), target: 2 },
      ]),
    ).toBe('m');
    expect(
      await run((b) => [{ op: Op.Dot, source: 0, key: b.k('k'), target: 2 }], { k: [null] }),
    ).toEqual([null]);
  });

  test('len: collections and strings in code points', async () => {
    const len =
      (v: unknown) =>
      (b: IRBuilder): Stmt[] => [{ op: Op.Len, source: b.k(v), target: 2 }];
    expect(await run(len('é😀a'))).toBe(3);
    expect(await run(len([1, 2]))).toBe(2);
    expect(await run(len({ a: 1 }))).toBe(1);
    expect(await run(len(5))).toBeUndefined();
  });

  test('assign-once conflicts abort with "var assignment conflict"', async () => {
    const once =
      (x: unknown, y: unknown) =>
      (b: IRBuilder): Stmt[] => [
        { op: Op.AssignOnce, source: b.k(x), target: 2 },
        { op: Op.AssignOnce, source: b.k(y), target: 2 },
      ];
    expect(await run(once(1, 1))).toBe(1);
    await expect(run(once(1, 2))).rejects.toBe('var assignment conflict');
  });

  test('objects: insert overwrites, insert-once conflicts, merge is deep', async () => {
    expect(
      await run((b) => [
        { op: Op.MakeObject, target: 2 },
        { op: Op.ObjectInsert, object: 2, key: b.k('b'), value: b.k(1) },
        { op: Op.ObjectInsert, object: 2, key: b.k('a'), value: b.k(2) },
        { op: Op.ObjectInsert, object: 2, key: b.k('b'), value: b.k(3) },
        { op: Op.ObjectInsertOnce, object: 2, key: b.k('a'), value: b.k(2) },
        { op: Op.IsObject, source: 2 },
      ]),
    ).toEqual({ a: 2, b: 3 });
    await expect(
      run((b) => [
        { op: Op.MakeObject, target: 2 },
        { op: Op.ObjectInsertOnce, object: 2, key: b.k('a'), value: b.k(1) },
        { op: Op.ObjectInsertOnce, object: 2, key: b.k('a'), value: b.k(2) },
      ]),
    ).rejects.toBe('object insert conflict');
    expect(
      await run((b) => [
        {
          op: Op.ObjectMerge,
          a: b.k({ a: { x: 1, y: 1 }, c: 1, d: { z: 1 } }),
          b: b.k({ a: { y: 2, w: 2 }, b: 2, c: { q: 1 }, d: 5 }),
          target: 2,
        },
      ]),
    ).toEqual({ a: { x: 1, y: 1, w: 2 }, b: 2, c: 1, d: { z: 1 } });
    expect(
      await run((b) => [{ op: Op.ObjectMerge, a: b.k({}), b: b.k([]), target: 2 }]),
    ).toBeUndefined();
  });

  test('object insert path creates nested objects; once conflicts abort', async () => {
    expect(
      await run((b) => [
        { op: Op.MakeObject, target: 2 },
        {
          op: Op.ObjectInsertPath,
          object: 2,
          path: [b.k('a'), b.k('b')],
          value: b.k(1),
          once: true,
        },
        {
          op: Op.ObjectInsertPath,
          object: 2,
          path: [b.k('a'), b.k('c')],
          value: b.k(2),
          once: true,
        },
        {
          op: Op.ObjectInsertPath,
          object: 2,
          path: [b.k('a'), b.k('c')],
          value: b.k(2),
          once: true,
        },
        { op: Op.ObjectInsertPath, object: 2, path: [b.k('d')], value: b.k(3), once: false },
        { op: Op.ObjectInsertPath, object: 2, path: [b.k('d')], value: b.k(4), once: false },
      ]),
    ).toEqual({ a: { b: 1, c: 2 }, d: 4 });
    await expect(
      run((b) => [
        { op: Op.MakeObject, target: 2 },
        {
          op: Op.ObjectInsertPath,
          object: 2,
          path: [b.k('a'), b.k('b')],
          value: b.k(1),
          once: true,
        },
        {
          op: Op.ObjectInsertPath,
          object: 2,
          path: [b.k('a'), b.k('b')],
          value: b.k(2),
          once: true,
        },
      ]),
    ).rejects.toBe('object insert conflict');
  });

  test('arrays, sets and the is_* checks', async () => {
    expect(
      await run((b) => [
        { op: Op.MakeArray, capacity: 1, target: 2 },
        { op: Op.ArrayAppend, array: 2, value: b.k(3) },
        { op: Op.ArrayAppend, array: 2, value: b.k(1) },
        { op: Op.ArrayAppend, array: 2, value: b.k(3) },
        { op: Op.ArrayAppend, array: 2, value: b.k(2) },
        { op: Op.ArrayAppend, array: 2, value: b.k(4) },
        { op: Op.ArrayAppend, array: 2, value: b.k(5) },
        { op: Op.IsArray, source: 2 },
      ]),
    ).toEqual([3, 1, 3, 2, 4, 5]);
    expect(
      await run((b) => [
        { op: Op.MakeSet, target: 2 },
        ...[5, 'a', 1, 5, 1.0, null, [1]].map((v): Stmt => ({
          op: Op.SetAdd,
          set: 2,
          value: b.k(v),
        })),
        { op: Op.IsSet, source: 2 },
      ]),
    ).toEqual([null, 1, 5, 'a', [1]]);
    expect(await run((b) => [{ op: Op.IsArray, source: b.k({}) }, T(b)])).toBeUndefined();
    expect(await run((b) => [{ op: Op.IsObject, source: b.k([]) }, T(b)])).toBeUndefined();
    expect(await run((b) => [{ op: Op.IsSet, source: b.k([]) }, T(b)])).toBeUndefined();
  });

  test('equal / not equal / is truthy', async () => {
    const stmt =
      (s: (b: IRBuilder) => Stmt) =>
      (b: IRBuilder): Stmt[] => [s(b), T(b)];
    expect(
      await run(stmt((b) => ({ op: Op.NotEqual, a: b.k([1]), b: b.k([1.0]) }))),
    ).toBeUndefined();
    expect(await run(stmt((b) => ({ op: Op.NotEqual, a: b.k('a'), b: b.k('b') })))).toBe(true);
    expect(await run(stmt((b) => ({ op: Op.IsTruthy, source: b.k(false) })))).toBeUndefined();
    expect(await run(stmt((b) => ({ op: Op.IsTruthy, source: b.k(0) })))).toBe(true);
    expect(await run(stmt((b) => ({ op: Op.IsTruthy, source: b.k(null) })))).toBe(true);
    expect(await run(stmt(() => ({ op: Op.IsTruthy, source: 5 })))).toBeUndefined();
  });
});

describe('functions, memo and with', () => {
  test('call passes arguments, locals start undefined, undefined result fails the call', async () => {
    const b = new IRBuilder();
    // f(x, y) = x + y unless x == 0; local 3 must be undefined on every call
    const plus = b.builtin('plus', 2);
    const f = b.func({
      params: 2,
      locals: 5,
      result: 2,
      memoize: false,
      body: {
        stmts: [
          { op: Op.IsUndefined, source: 3 },
          { op: Op.Assign, source: b.k(9), target: 3 },
          { op: Op.NotEqual, a: 0, b: b.k(0) },
          { op: Op.CallBuiltin, builtin: plus, args: [0, 1], target: 2 },
        ],
      },
    });
    b.entry('t', [
      { op: Op.MakeArray, capacity: 0, target: 2 },
      { op: Op.Call, func: f, args: [b.k(1), b.k(2)], target: 3 },
      { op: Op.ArrayAppend, array: 2, value: 3 },
      { op: Op.Call, func: f, args: [b.k(10), b.k(20)], target: 3 },
      { op: Op.ArrayAppend, array: 2, value: 3 },
      {
        op: Op.Block,
        blocks: [
          {
            stmts: [
              { op: Op.Call, func: f, args: [b.k(0), b.k(20)], target: 3 },
              { op: Op.ArrayAppend, array: 2, value: b.k('unreachable') },
            ],
          },
        ],
      },
    ]);
    const p = await b.load();
    expect(resultOf(p.evaluate({}))).toEqual([3, 30]);
  });

  test('with upserts input/data at a path for its block only; memo is hidden and restored', async () => {
    const b = new IRBuilder();
    const count = b.builtin('my.count', 0);
    // g(input, data) = [input.x, data.d, my.count()], memoized: my.count reveals recomputation
    const g = b.func({
      params: 2,
      locals: 6,
      result: 2,
      memoize: true,
      body: {
        stmts: [
          { op: Op.Dot, source: 0, key: b.k('x'), target: 3 },
          { op: Op.Dot, source: 1, key: b.k('d'), target: 4 },
          { op: Op.CallBuiltin, builtin: count, args: [], target: 5 },
          { op: Op.MakeArray, capacity: 3, target: 2 },
          { op: Op.ArrayAppend, array: 2, value: 3 },
          { op: Op.ArrayAppend, array: 2, value: 4 },
          { op: Op.ArrayAppend, array: 2, value: 5 },
        ],
      },
    });
    const call = (): Stmt[] => [
      { op: Op.Call, func: g, args: [0, 1], target: 3 },
      { op: Op.ArrayAppend, array: 2, value: 3 },
    ];
    b.entry('t', [
      { op: Op.MakeArray, capacity: 0, target: 2 },
      ...call(),
      ...call(),
      {
        op: Op.With,
        local: 0,
        path: [b.ki('x')],
        value: b.k(5),
        block: { stmts: [...call(), ...call()] },
      },
      { op: Op.With, local: 1, path: [b.ki('d')], value: b.k('D'), block: { stmts: call() } },
      { op: Op.With, local: 0, path: [], value: b.k({ x: 'whole' }), block: { stmts: call() } },
      ...call(),
      { op: Op.Dot, source: 0, key: b.k('y'), target: 4 },
      { op: Op.ArrayAppend, array: 2, value: 4 },
    ]);
    let n = 0;
    const p = await b.load({ 'my.count': () => ++n });
    p.setData({ d: 'd' });
    expect(resultOf(p.evaluate({ x: 1, y: { z: 1 } }))).toEqual([
      [1, 'd', 1],
      [1, 'd', 1],
      [5, 'd', 2],
      [5, 'd', 2],
      [1, 'D', 3],
      ['whole', 'd', 4],
      [1, 'd', 1],
      { z: 1 },
    ]);
    // the memo is per evaluation
    expect(resultOf(p.evaluate({ x: 2, y: 0 }))).toEqual([
      [2, 'd', 5],
      [2, 'd', 5],
      [5, 'd', 6],
      [5, 'd', 6],
      [2, 'D', 7],
      ['whole', 'd', 8],
      [2, 'd', 5],
      0,
    ]);
  });

  test('with on a deep path creates objects and copies on write', async () => {
    const b = new IRBuilder();
    b.entry('t', [
      { op: Op.MakeArray, capacity: 0, target: 2 },
      {
        op: Op.With,
        local: 0,
        path: [b.ki('a'), b.ki('b'), b.ki('c')],
        value: b.k(1),
        block: {
          stmts: [
            { op: Op.ArrayAppend, array: 2, value: 0 },
            { op: Op.Break, index: 0 },
          ],
        },
      },
      { op: Op.ArrayAppend, array: 2, value: 0 },
    ]);
    const p = await b.load();
    expect(resultOf(p.evaluate({ a: { keep: true, b: 7 }, z: 0 }))).toEqual([
      { a: { keep: true, b: { c: 1 } }, z: 0 },
      { a: { keep: true, b: 7 }, z: 0 },
    ]);
    // without input: defined inside the with block only; appending it afterwards is undefined
    expect(resultOf(p.evaluate(undefined))).toEqual([{ a: { b: { c: 1 } } }]);
  });

  test('several entrypoints by name and id', async () => {
    const b = new IRBuilder();
    b.entry('a/one', [{ op: Op.Assign, source: b.k(1), target: 2 }]);
    b.entry('a/two', [{ op: Op.Assign, source: b.k(2), target: 2 }]);
    const p = await b.load();
    expect(p.entrypoints).toEqual({ 'a/one': 0, 'a/two': 1 });
    expect(resultOf(p.evaluate({}, 'a/two'))).toBe(2);
    expect(resultOf(p.evaluate({}, 0))).toBe(1);
    expect(() => p.evaluate({}, 7)).toThrow('invalid entrypoint id');
  });
});

describe('shared values are never written', () => {
  test('appending to / inserting into constants, data and input copies them first', async () => {
    const b = new IRBuilder();
    b.entry('t', [
      { op: Op.Assign, source: b.k([1]), target: 3 },
      { op: Op.ArrayAppend, array: 3, value: b.k(2) },
      { op: Op.Dot, source: 1, key: b.k('o'), target: 4 },
      { op: Op.ObjectInsert, object: 4, key: b.k('added'), value: b.k(true) },
      { op: Op.Dot, source: 0, key: b.k('s'), target: 5 },
      { op: Op.ArrayAppend, array: 5, value: b.k('x') },
      { op: Op.MakeArray, capacity: 3, target: 2 },
      { op: Op.ArrayAppend, array: 2, value: 3 },
      { op: Op.ArrayAppend, array: 2, value: 4 },
      { op: Op.ArrayAppend, array: 2, value: 5 },
      { op: Op.ArrayAppend, array: 2, value: b.k([1]) },
      { op: Op.ArrayAppend, array: 2, value: 1 },
      { op: Op.ArrayAppend, array: 2, value: 0 },
    ]);
    const p = await b.load();
    p.setData({ o: { a: 1 } });
    for (let i = 0; i < 3; i++) {
      expect(resultOf(p.evaluate({ s: [] }))).toEqual([
        [1, 2],
        { a: 1, added: true },
        ['x'],
        [1],
        { o: { a: 1 } },
        { s: [] },
      ]);
    }
  });
});
