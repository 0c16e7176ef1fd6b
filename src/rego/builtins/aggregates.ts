// Aggregates, set operations and array builtins (OPA topdown/aggregates.go, sets.go, array.go).
// Sets arrive as arrays, so an aggregate over a set or an array is the same code.
import {
  compare,
  dedupSorted,
  isArr,
  isInt,
  isNum,
  isObj,
  isStr,
  regoSet,
  runes,
} from './values.ts';

type Fn = (...args: any[]) => unknown;

function numbers(v: unknown): number[] | undefined {
  return isArr(v) && v.every(isNum) ? (v as number[]) : undefined;
}

export const aggregateBuiltins: Record<string, Fn> = {
  count: (v: unknown) => {
    if (isStr(v)) return runes(v).length;
    if (isArr(v)) return v.length;
    if (isObj(v)) return Object.keys(v).length;
    return undefined;
  },
  sum: (v: unknown) => numbers(v)?.reduce((a, b) => a + b, 0),
  product: (v: unknown) => numbers(v)?.reduce((a, b) => a * b, 1),
  // max/min of an empty collection is undefined in OPA v1.
  max: (v: unknown) =>
    isArr(v) && v.length > 0 ? v.reduce((a, b) => (compare(a, b) >= 0 ? a : b)) : undefined,
  min: (v: unknown) =>
    isArr(v) && v.length > 0 ? v.reduce((a, b) => (compare(a, b) <= 0 ? a : b)) : undefined,
  sort: (v: unknown) => (isArr(v) ? [...v].sort(compare) : undefined),

  // Sets of sets: each member arrives as an array.
  union: (sets: unknown) => {
    if (!isArr(sets) || !sets.every(isArr)) return undefined;
    return regoSet((sets as unknown[][]).flat());
  },
  intersection: (sets: unknown) => {
    if (!isArr(sets) || !sets.every(isArr)) return undefined;
    const all = sets as unknown[][];
    if (all.length === 0) return regoSet([]);
    let acc = dedupSorted(all[0]);
    for (const s of all.slice(1)) acc = acc.filter((x) => s.some((y) => compare(x, y) === 0));
    return regoSet(acc);
  },

  'array.concat': (a: unknown, b: unknown) => (isArr(a) && isArr(b) ? [...a, ...b] : undefined),
  'array.slice': (a: unknown, start: unknown, stop: unknown) => {
    if (!isArr(a) || !isInt(start) || !isInt(stop)) return undefined;
    // OPA clamps both ends to [0, len] and yields [] when they cross.
    const lo = Math.max(0, start);
    const hi = Math.min(a.length, stop);
    return lo >= hi ? [] : a.slice(lo, hi);
  },
  'array.reverse': (a: unknown) => (isArr(a) ? [...a].reverse() : undefined),
};
