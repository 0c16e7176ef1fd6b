// Shared value helpers for the host builtins.
//
// Host builtins see Rego values the way @open-policy-agent/opa-wasm hands them over: each argument
// is `opa_json_dump`ed inside the module and `JSON.parse`d by the SDK, so sets arrive as arrays
// (already in OPA's sort order) and numbers as JS doubles. Results travel back through
// `JSON.stringify` (or, for an ArrayBuffer, verbatim bytes) and `opa_json_parse`.

/** A JSON value as the SDK passes it: sets are arrays. */
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** The shape the policy runtime's JSON parser turns back into a Rego set. */
export interface RegoSetJson {
  __rego_set__: unknown[];
}

/** Wraps items so that the runtime rebuilds a set (duplicates are removed by the runtime too,
 *  but we de-duplicate here so callers and tests see the canonical members). */
export function regoSet(items: readonly unknown[]): RegoSetJson {
  return { __rego_set__: dedupSorted(items as Json[]) };
}

/**
 * Exact integers beyond 2^53 (nanosecond timestamps, big byte counts) cannot survive a JS number,
 * so builtins return them as bigint; safe integers stay plain numbers. The SDK sends an
 * ArrayBuffer result verbatim as JSON text, so `toWire` serialises results holding bigints that
 * way, digits intact.
 */
export function exactInt(v: bigint): number | bigint {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}

function hasBigInt(v: unknown): boolean {
  if (typeof v === 'bigint') return true;
  if (Array.isArray(v)) return v.some(hasBigInt);
  if (isObj(v)) return Object.values(v).some(hasBigInt);
  return false;
}

/** A builtin result as handed to the SDK: plain JSON-able data, or raw JSON text in an
 *  ArrayBuffer when it holds bigints. */
export function toWire(v: unknown): unknown {
  if (!hasBigInt(v)) return v;
  const text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `\u0000${x}` : x));
  const raw = text.replace(/"\\u0000(-?\d+)"/g, '$1');
  const bytes = new TextEncoder().encode(raw);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

/**
 * The integer a JSON number most likely denoted. Integers past 2^53 reach the host rounded to a
 * double; the double's shortest decimal form recovers the literal whenever it had at most ~16
 * significant digits (1585852421593912000 comes back exactly, where BigInt(x) would give
 * 1585852421593912064).
 */
export function intFromDouble(x: number): bigint {
  const text = String(x);
  return /^-?\d+$/.test(text) ? BigInt(text) : BigInt(x);
}

export const isStr = (v: unknown): v is string => typeof v === 'string';
export const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
export const isInt = (v: unknown): v is number => isNum(v) && Number.isInteger(v);
export const isArr = (v: unknown): v is Json[] => Array.isArray(v);
export const isObj = (v: unknown): v is { [k: string]: Json } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof KeyedObject);

/** An object with a key that is not a string (`{0: "a"}`, `{[1]: 2}`): the runtime hands it
 *  over as {"__rego_object__": [[k, v], …]}, since JSON keys are strings. Only the object
 *  builtins that look at keys accept it; it goes back out in the same shape. */
export class KeyedObject {
  constructor(readonly entries: [unknown, unknown][]) {}
}

/** Rego's type order: null < boolean < number < string < array/set < object. */
function rank(v: unknown): number {
  if (v === null) return 0;
  switch (typeof v) {
    case 'boolean':
      return 1;
    case 'number':
      return 2;
    case 'string':
      return 3;
    default:
      return Array.isArray(v) ? 4 : 5;
  }
}

/** Go compares strings bytewise in UTF-8, i.e. by code point; JS `<` compares UTF-16 units,
 *  which disagrees for astral characters against U+E000..U+FFFF. */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}

/** Total order over Rego values, as OPA's ast.Compare. */
export function compare(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return a === b ? 0 : a ? 1 : -1;
    case 2:
      return (a as number) === (b as number) ? 0 : (a as number) < (b as number) ? -1 : 1;
    case 3:
      return compareStrings(a as string, b as string);
    case 4: {
      const x = a as unknown[];
      const y = b as unknown[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compare(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
    }
    default: {
      const x = a as Record<string, unknown>;
      const y = b as Record<string, unknown>;
      const kx = Object.keys(x).sort(compareStrings);
      const ky = Object.keys(y).sort(compareStrings);
      for (let i = 0; i < Math.min(kx.length, ky.length); i++) {
        const c = compareStrings(kx[i], ky[i]);
        if (c !== 0) return c;
        const d = compare(x[kx[i]], y[ky[i]]);
        if (d !== 0) return d;
      }
      return kx.length === ky.length ? 0 : kx.length < ky.length ? -1 : 1;
    }
  }
}

export const equal = (a: unknown, b: unknown): boolean => compare(a, b) === 0;

/** Sorted copy without duplicates: the canonical member list of a set. */
export function dedupSorted<T>(items: readonly T[]): T[] {
  const sorted = [...items].sort(compare);
  const out: T[] = [];
  for (const v of sorted)
    if (out.length === 0 || compare(out[out.length - 1], v) !== 0) out.push(v);
  return out;
}

/** A stable text key for a value (object keys sorted), for hashing values into Maps. */
export function keyOf(v: unknown): string {
  if (isObj(v)) {
    const keys = Object.keys(v).sort(compareStrings);
    return '{' + keys.map((k) => JSON.stringify(k) + ':' + keyOf(v[k])).join(',') + '}';
  }
  if (Array.isArray(v)) return '[' + v.map(keyOf).join(',') + ']';
  return JSON.stringify(v);
}

/** Code points of a string: Rego counts runes, not UTF-16 units. */
export const runes = (s: string): string[] => Array.from(s);

/** Strings of an array (or set, which arrives as an array); undefined if any member is not. */
export function stringItems(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.every(isStr) ? (v as string[]) : undefined;
}

/** Runs `fn` and maps any exception to `undefined`: OPA's WASM target has no builtin errors, so
 *  an invalid argument makes the call undefined instead of aborting evaluation. */
export function safely<A extends unknown[], R>(
  fn: (...args: A) => R,
): (...args: A) => R | undefined {
  return (...args: A) => {
    try {
      return fn(...args);
    } catch {
      return undefined;
    }
  };
}

/** Decodes a wire result for inspection (tests, debugging): raw JSON text is parsed with
 *  integers beyond 2^53 as bigint. */
export function decodeResult(v: unknown): unknown {
  if (!(v instanceof ArrayBuffer)) return v;
  const text = new TextDecoder().decode(v);
  const marked = text.replace(/"(?:[^"\\]|\\.)*"|(-?\d{16,})(?![.eE\d])/g, (m, big?: string) =>
    big ? `{"$bigint":"${big}"}` : m,
  );
  return JSON.parse(marked, (_k, x: unknown) => {
    if (isObj(x) && typeof x.$bigint === 'string') return exactInt(BigInt(x.$bigint));
    return x;
  });
}

// --- Set tagging -------------------------------------------------------------------------------
// If the policy runtime dumps a set as {"__rego_set__": [...]} (the same shape it parses back
// into a set), builtins can tell sets from arrays: such arguments are decoded into arrays that
// are remembered as sets, and those arrays are encoded back into the set shape on the way out,
// so a set passing through a builtin (object.get, object.union, json.filter…) stays a set.
// Without tagging, a set arrives as a plain array and everything below degrades gracefully.

const setArrays = new WeakSet<unknown[]>();

export const isSetArray = (v: unknown): boolean => Array.isArray(v) && setArrays.has(v);

function isSetShape(v: unknown): v is RegoSetJson {
  if (!isObj(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && keys[0] === '__rego_set__' && Array.isArray(v.__rego_set__);
}

function isKeyedShape(v: unknown): v is { __rego_object__: [unknown, unknown][] } {
  if (!isObj(v)) return false;
  const keys = Object.keys(v);
  return (
    keys.length === 1 &&
    keys[0] === '__rego_object__' &&
    Array.isArray(v.__rego_object__) &&
    v.__rego_object__.every((p) => Array.isArray(p) && p.length === 2)
  );
}

/** Set-shaped objects → tagged arrays, recursively (the input is not modified). */
export function decodeArg(v: unknown, keyed = false): unknown {
  if (isKeyedShape(v)) {
    // Builtins that do not look at keys get the JSON object they always got: each key that is
    // not a string as its JSON text.
    if (!keyed) {
      return Object.fromEntries(
        v.__rego_object__.map(([k, x]) => [
          typeof k === 'string' ? k : JSON.stringify(k),
          decodeArg(x, false),
        ]),
      );
    }
    return new KeyedObject(
      v.__rego_object__.map(([k, x]) => [decodeArg(k, true), decodeArg(x, true)]),
    );
  }
  const dec = (x: unknown) => decodeArg(x, keyed);
  if (isSetShape(v)) {
    const arr = v.__rego_set__.map(dec);
    setArrays.add(arr);
    return arr;
  }
  if (Array.isArray(v)) return v.some(needsDecode) ? v.map(dec) : v;
  if (isObj(v)) {
    if (!Object.values(v).some(needsDecode)) return v;
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, dec(x)]));
  }
  return v;
}

function needsDecode(v: unknown): boolean {
  if (isSetShape(v) || isKeyedShape(v)) return true;
  if (Array.isArray(v)) return v.some(needsDecode);
  if (isObj(v)) return Object.values(v).some(needsDecode);
  return false;
}

/** Tagged arrays → set shape, recursively; everything else unchanged. */
export function encodeResult(v: unknown): unknown {
  if (v instanceof KeyedObject) {
    if (v.entries.every(([k]) => typeof k === 'string')) {
      return Object.fromEntries(v.entries.map(([k, x]) => [k, encodeResult(x)]));
    }
    return { __rego_object__: v.entries.map(([k, x]) => [encodeResult(k), encodeResult(x)]) };
  }
  if (Array.isArray(v)) {
    const items = v.map(encodeResult);
    return setArrays.has(v) ? { __rego_set__: items } : items;
  }
  if (isObj(v)) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, encodeResult(x)]));
  }
  return v;
}
