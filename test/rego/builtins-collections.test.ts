// Aggregates, arrays, sets, objects and numbers. Sets reach the host either as plain sorted
// arrays (OPA's own runtime) or tagged {"__rego_set__": [...]} (ours); both are exercised.
import { describe, expect, it } from 'vitest';
import { regoSet } from '../../src/rego/builtins/index.ts';
import { call, set, table } from './builtins-table.ts';

describe('aggregates', () => {
  table([
    ['count', [[1, 2, 3, 4]], 4],
    ['count', [{ v1: 'hello', v2: 'goodbye' }], 2],
    ['count', ['abcde'], 5],
    ['count', [set(1, 2)], 2],
    ['count', [7], undefined],
    ['sum', [[1, 2, 3, 4]], 10],
    ['sum', [set(1, 2, 3, 4)], 10],
    ['sum', [[49649733057, 1]], 49649733058],
    ['sum', [[]], 0],
    ['sum', [[1, 'a']], undefined],
    ['product', [[1, 2, 3, 4]], 24],
    ['product', [[]], 1],
    ['max', [[1, 2, 3, 4]], 4],
    ['max', [[]], undefined],
    ['max', [['a', 1, null, [0]]], [0]],
    ['min', [[3, 2, 1, 4, 6, -7, 10]], -7],
    ['min', [set(1, 2, 3)], 1],
    ['sort', [[4, 3, 2, 1]], [1, 2, 3, 4]],
    ['sort', [set(1, 2)], [1, 2]],
    ['sort', [[{ b: 1 }, 'x', [1], true, null, 2]], [null, true, 2, 'x', [1], { b: 1 }]],
    ['sort', [['b', '😀', '\uffff', 'a']], ['a', 'b', '\uffff', '😀']],
  ]);
});

describe('sets', () => {
  table([
    [
      'union',
      [
        [
          [1, 2],
          [2, 3],
        ],
      ],
      set(1, 2, 3),
    ],
    ['union', [set(set('a'), set('b', 'c'))], set('a', 'b', 'c')],
    ['union', [[]], set()],
    [
      'intersection',
      [
        [
          [1, 2, 3],
          [2, 3, 4],
          [3, 2],
        ],
      ],
      set(2, 3),
    ],
    ['intersection', [[[1], [2]]], set()],
    ['intersection', [[]], set()],
    ['intersection', [[1]], undefined],
  ]);
  it('regoSet de-duplicates and orders members', () => {
    expect(regoSet([3, 1, 3, 'a'])).toEqual(set(1, 3, 'a'));
  });
});

describe('arrays', () => {
  table([
    ['array.concat', [[1, 2], [3]], [1, 2, 3]],
    ['array.concat', [[], []], []],
    ['array.concat', [[1], 'x'], undefined],
    ['array.slice', [[1, 2, 3, 4, 5], 1, 3], [2, 3]],
    ['array.slice', [[1, 2, 3, 4, 5], -1, 10], [1, 2, 3, 4, 5]],
    ['array.slice', [[1, 2, 3], 2, 1], []],
    ['array.slice', [[1, 2, 3], 3, 3], []],
    ['array.slice', [[1, 2, 3], 0.5, 2], undefined],
    ['array.reverse', [[1, 2, 3]], [3, 2, 1]],
    ['array.reverse', [[]], []],
  ]);
});

describe('objects', () => {
  table([
    ['object.get', [{ a: 'b' }, 'a', 'c'], 'b'],
    ['object.get', [{ a: 'b' }, 'x', 'c'], 'c'],
    ['object.get', [{ a: { b: [1, 2] } }, ['a', 'b', 1], 'd'], 2],
    ['object.get', [{ a: { b: [1, 2] } }, ['a', 'b', 5], 'd'], 'd'],
    ['object.get', [{ a: { b: 1 } }, [], 'd'], { a: { b: 1 } }],
    ['object.get', [{ a: null }, 'a', 'd'], null],
    ['object.get', ['x', 'a', 'd'], undefined],
    ['object.keys', [{ a: 1, b: 2 }], set('a', 'b')],
    ['object.keys', [{}], set()],
    ['object.remove', [{ a: 1, b: 2, c: 3 }, ['a', 'c']], { b: 2 }],
    ['object.remove', [{ a: 1, b: 2 }, set('b')], { a: 1 }],
    ['object.remove', [{ a: 1, b: 2 }, { a: 'whatever' }], { b: 2 }],
    ['object.remove', [{ a: 1 }, 'a'], undefined],
    ['object.filter', [{ a: 1, b: 2, c: 3 }, ['a', 'c', 'z']], { a: 1, c: 3 }],
    ['object.filter', [{ a: 1 }, {}], {}],
    [
      'object.union',
      [
        { a: 1, b: { c: 1 } },
        { b: { d: 2 }, e: 3 },
      ],
      { a: 1, b: { c: 1, d: 2 }, e: 3 },
    ],
    ['object.union', [{ a: { b: 1 } }, { a: 2 }], { a: 2 }],
    ['object.union', [{ a: 1 }, []], undefined],
    ['object.union_n', [[{ a: { b: 2 } }, { a: 4 }, { a: { c: 3 } }]], { a: { c: 3 } }],
    ['object.union_n', [[{ a: 1 }, { b: 2 }, { a: 3 }]], { a: 3, b: 2 }],
    ['object.union_n', [[]], {}],
    ['object.union_n', [[{ a: 1 }, 2]], undefined],
    [
      'object.subset',
      [
        { a: 5, b: 7, n: { x: 1, y: 2 } },
        { a: 5, n: { y: 2 } },
      ],
      true,
    ],
    ['object.subset', [{ a: 5 }, { a: 6 }], false],
    [
      'object.subset',
      [
        [1, 2, 3, 4, 5, 6],
        [3, 4, 5],
      ],
      true,
    ],
    [
      'object.subset',
      [
        [1, 2, 3, 4, 5, 6],
        [4, 5, 6, 8],
      ],
      false,
    ],
    ['object.subset', [[1, 2, 3, 4, 5, 6], set(2, 3, 4)], true],
    ['object.subset', [[1, 2, 3, 4, 5, 6], set(9, 8, 7)], false],
    ['object.subset', [set(1, 2, 3), set(2, 3)], true],
    ['object.subset', [set(1, 2, 3, set('a', 'b', 'c')), set(2, 3, set('a', 'b', 'c'))], true],
    ['object.subset', [set(1, 2, 3, set('a', 'b', 'c')), set(2, 3, set('a', 'b'))], false],
    [
      'object.subset',
      [
        { s: set(1, 2, 3, 4), arr: [6, 7, 8, 9] },
        { s: set(4, 1), arr: [6, 7] },
      ],
      true,
    ],
    ['object.subset', [1, 1], undefined],
  ]);
  it('a tagged set keeps set semantics: [1, 3] is not a run of [1, 2, 3] but {1, 3} ⊆ it', () => {
    expect(call('object.subset', set(1, 2, 3), set(1, 3))).toBe(true);
  });
});

describe('numbers and casts', () => {
  table([
    ['numbers.range', [1, 4], [1, 2, 3, 4]],
    ['numbers.range', [4, 1], [4, 3, 2, 1]],
    ['numbers.range', [2, 2], [2]],
    [
      'numbers.range',
      [49649733057, 49649733060],
      [49649733057, 49649733058, 49649733059, 49649733060],
    ],
    ['numbers.range', [1, 2.5], undefined],
    ['numbers.range_step', [0, 10, 3], [0, 3, 6, 9]],
    ['numbers.range_step', [10, 0, 4], [10, 6, 2]],
    ['numbers.range_step', [0, 10, 0], undefined],
    ['numbers.range_step', [0, 10, -1], undefined],
    ['numbers.range', [0, 1e12], undefined],
    ['round', [1.5], 2],
    ['round', [-1.5], -2],
    ['round', [2.4], 2],
    ['ceil', [1.1], 2],
    ['floor', [-1.1], -2],
    ['abs', [-10], 10],
    ['to_number', ['10'], 10],
    ['to_number', ['-3.5e2'], -350],
    ['to_number', [true], 1],
    ['to_number', [false], 0],
    ['to_number', [null], 0],
    ['to_number', [7], 7],
    ['to_number', ['Inf'], undefined],
    ['to_number', ['nan'], undefined],
    ['to_number', ['1e400'], undefined],
    ['to_number', ['x'], undefined],
    ['to_number', [[]], undefined],
  ]);
});
