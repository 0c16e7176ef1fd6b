// object.* builtins (OPA topdown/object.go, sets.go). Objects reach the host as JSON objects,
// or, when a key is not a string, as KeyedObject (values.ts); sets as arrays in OPA's order.
import {
  compare,
  equal,
  isArr,
  isInt,
  isObj,
  isSetArray,
  keyOf,
  KeyedObject,
  regoSet,
} from './values.ts';

type Fn = (...args: any[]) => unknown;
type Obj = Record<string, unknown>;

/** The keys named by an array, set or object argument (object.remove / object.filter), as
 *  keyOf texts so that keys of any type compare by value. */
function keySet(v: unknown): Set<string> | undefined {
  const e = entriesOf(v);
  if (e) return new Set(e.map(([k]) => keyOf(k)));
  return isArr(v) ? new Set(v.map(keyOf)) : undefined;
}

/** An object's entries, whatever its keys; undefined for a non-object. */
function entriesOf(v: unknown): [unknown, unknown][] | undefined {
  if (v instanceof KeyedObject) return v.entries;
  return isObj(v) ? Object.entries(v) : undefined;
}

/** The entries kept, in the representation of `like`. */
function sameKind(like: unknown, entries: [unknown, unknown][]): unknown {
  return like instanceof KeyedObject
    ? new KeyedObject(entries)
    : Object.fromEntries(entries as [string, unknown][]);
}

/** One step into an object by key (any key type) or an array by index. */
function step(cur: unknown, p: unknown): { found: boolean; value?: unknown } {
  if (cur instanceof KeyedObject) {
    const hit = cur.entries.find(([k]) => equal(k, p));
    return hit ? { found: true, value: hit[1] } : { found: false };
  }
  if (isObj(cur) && typeof p === 'string' && Object.prototype.hasOwnProperty.call(cur, p)) {
    return { found: true, value: cur[p] };
  }
  if (isArr(cur) && isInt(p) && p >= 0 && p < cur.length) return { found: true, value: cur[p] };
  return { found: false };
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
    const r = step(cur, p);
    if (!r.found) return r;
    cur = r.value;
  }
  return { found: true, value: cur };
}

export const objectBuiltins: Record<string, Fn> = {
  'object.get': (obj: unknown, key: unknown, dflt: unknown) => {
    if (!entriesOf(obj)) return undefined;
    const r = isArr(key) ? find(obj, key) : step(obj, key);
    return r.found ? r.value : dflt;
  },
  'object.keys': (obj: unknown) => {
    const e = entriesOf(obj);
    return e ? regoSet(e.map(([k]) => k)) : undefined;
  },
  'object.remove': (obj: unknown, keys: unknown) => {
    const ks = keySet(keys);
    const e = entriesOf(obj);
    if (!e || !ks) return undefined;
    return sameKind(
      obj,
      e.filter(([k]) => !ks.has(keyOf(k))),
    );
  },
  'object.filter': (obj: unknown, keys: unknown) => {
    const ks = keySet(keys);
    const e = entriesOf(obj);
    if (!e || !ks) return undefined;
    return sameKind(
      obj,
      e.filter(([k]) => ks.has(keyOf(k))),
    );
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
