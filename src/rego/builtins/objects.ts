// object.* builtins (OPA topdown/object.go, sets.go). Objects reach the host with string keys
// only (they are JSON), and sets as arrays in OPA's sort order.
import { compare, equal, isArr, isInt, isObj, isSetArray, regoSet } from './values.ts';

type Fn = (...args: any[]) => unknown;
type Obj = Record<string, unknown>;

/** The keys named by an array, set or object argument (object.remove / object.filter). */
function keySet(v: unknown): Set<string> | undefined {
  if (isObj(v)) return new Set(Object.keys(v));
  if (!isArr(v)) return undefined;
  // Non-string keys cannot occur in a JSON object, so they can never match: just drop them.
  return new Set(v.filter((k): k is string => typeof k === 'string'));
}

function union(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const old = out[k];
    out[k] = isObj(old) && isObj(v) ? union(old, v) : v;
  }
  return out;
}

/** A set arrives as a strictly ascending array; an array that is one may have been a set. */
function maybeSet(v: unknown[]): boolean {
  for (let i = 1; i < v.length; i++) if (compare(v[i - 1], v[i]) >= 0) return false;
  return true;
}

function containsContiguous(sup: unknown[], sub: unknown[]): boolean {
  if (sub.length === 0) return true;
  outer: for (let i = 0; i + sub.length <= sup.length; i++) {
    for (let k = 0; k < sub.length; k++) if (!equal(sup[i + k], sub[k])) continue outer;
    return true;
  }
  return false;
}

/**
 * object.subset: objects recursively (every key of sub present with a subset value), sets by
 * membership, arrays as a contiguous run. Tagged sets are known; an untagged set is a strictly
 * ascending array, so such a `sub` is also accepted by membership: an approximation that only
 * differs from OPA for sorted arrays with gaps, and only when the runtime does not tag sets.
 */
export function subset(sup: unknown, sub: unknown): boolean {
  if (isObj(sup) && isObj(sub)) {
    return Object.entries(sub).every(([k, v]) => k in sup && subset(sup[k], v));
  }
  if (isArr(sup) && isArr(sub)) {
    const members = (): boolean => sub.every((x) => sup.some((y) => equal(x, y)));
    if (isSetArray(sub) || isSetArray(sup)) return members();
    return containsContiguous(sup, sub) || (maybeSet(sub) && members());
  }
  return equal(sup, sub);
}

/** object.get path lookup (ast.Object.Find): objects by key, arrays by integer index. */
function find(v: unknown, path: unknown[]): { found: boolean; value?: unknown } {
  let cur = v;
  for (const p of path) {
    if (isObj(cur) && typeof p === 'string' && Object.prototype.hasOwnProperty.call(cur, p)) {
      cur = cur[p];
    } else if (isArr(cur) && isInt(p) && p >= 0 && p < cur.length) {
      cur = cur[p];
    } else return { found: false };
  }
  return { found: true, value: cur };
}

export const objectBuiltins: Record<string, Fn> = {
  'object.get': (obj: unknown, key: unknown, dflt: unknown) => {
    if (!isObj(obj)) return undefined;
    if (isArr(key)) {
      const r = find(obj, key);
      return r.found ? r.value : dflt;
    }
    return typeof key === 'string' && Object.prototype.hasOwnProperty.call(obj, key)
      ? obj[key]
      : dflt;
  },
  'object.keys': (obj: unknown) => (isObj(obj) ? regoSet(Object.keys(obj)) : undefined),
  'object.remove': (obj: unknown, keys: unknown) => {
    const ks = keySet(keys);
    if (!isObj(obj) || !ks) return undefined;
    return Object.fromEntries(Object.entries(obj).filter(([k]) => !ks.has(k)));
  },
  'object.filter': (obj: unknown, keys: unknown) => {
    const ks = keySet(keys);
    if (!isObj(obj) || !ks) return undefined;
    return Object.fromEntries(Object.entries(obj).filter(([k]) => ks.has(k)));
  },
  'object.union': (a: unknown, b: unknown) => (isObj(a) && isObj(b) ? union(a, b) : undefined),
  'object.union_n': (objs: unknown) => {
    if (!isArr(objs) || !objs.every(isObj)) return undefined;
    return (objs as Obj[]).reduce<Obj>((acc, o) => union(acc, o), {});
  },
  'object.subset': (sup: unknown, sub: unknown) => {
    const ok = (isObj(sup) && isObj(sub)) || (isArr(sup) && isArr(sub));
    return ok ? subset(sup, sub) : undefined;
  },
};
