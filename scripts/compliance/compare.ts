// Comparing a case's expected bindings with what the WASM module returned. Sets come back as
// arrays (opa_json_dump writes them so, in OPA's sort order) and the cases write them as
// arrays too, so arrays compare element by element. Numbers compare by value: the YAML side
// may hold BigInts (beyond 2^53), the SDK side is JSON.parse'd doubles.

export type Json = null | boolean | number | bigint | string | Json[] | { [k: string]: Json };

const isNum = (v: unknown): v is number | bigint => typeof v === 'number' || typeof v === 'bigint';

function numEqual(a: number | bigint, b: number | bigint): boolean {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a === b;
  // One side went through a double already; compare at that precision.
  return Number(a) === Number(b);
}

export function valuesEqual(expected: unknown, actual: unknown): boolean {
  if (isNum(expected) && isNum(actual)) return numEqual(expected, actual);
  if (expected === null || actual === null) return expected === actual;
  if (Array.isArray(expected) || Array.isArray(actual)) {
    if (!Array.isArray(expected) || !Array.isArray(actual)) return false;
    return expected.length === actual.length && expected.every((e, i) => valuesEqual(e, actual[i]));
  }
  if (typeof expected === 'object' && typeof actual === 'object') {
    const ek = Object.keys(expected as object);
    const ak = Object.keys(actual as object);
    if (ek.length !== ak.length) return false;
    return ek.every(
      (k) =>
        Object.prototype.hasOwnProperty.call(actual, k) &&
        valuesEqual(
          (expected as Record<string, unknown>)[k],
          (actual as Record<string, unknown>)[k],
        ),
    );
  }
  return expected === actual;
}

const rank = (v: unknown): number =>
  v === null
    ? 0
    : typeof v === 'boolean'
      ? 1
      : isNum(v)
        ? 2
        : typeof v === 'string'
          ? 3
          : Array.isArray(v)
            ? 4
            : 5;

/** OPA's total order on values (ast.Compare): null < booleans < numbers < strings < arrays <
 *  objects; arrays element-wise then by length; objects by sorted keys, then values. */
export function compareValues(a: unknown, b: unknown): number {
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  switch (ra) {
    case 0:
      return 0;
    case 1:
      return Number(a) - Number(b);
    case 2: {
      const x = a as number | bigint;
      const y = b as number | bigint;
      if (typeof x === 'bigint' && typeof y === 'bigint') return x < y ? -1 : x > y ? 1 : 0;
      return Number(x) < Number(y) ? -1 : Number(x) > Number(y) ? 1 : 0;
    }
    case 3:
      return a === b ? 0 : (a as string) < (b as string) ? -1 : 1;
    case 4: {
      const x = a as unknown[];
      const y = b as unknown[];
      for (let i = 0; i < Math.min(x.length, y.length); i++) {
        const c = compareValues(x[i], y[i]);
        if (c !== 0) return c;
      }
      return x.length - y.length;
    }
    default: {
      const x = a as Record<string, unknown>;
      const y = b as Record<string, unknown>;
      const xk = Object.keys(x).sort();
      const yk = Object.keys(y).sort();
      const c = compareValues(xk, yk);
      if (c !== 0) return c;
      for (const k of xk) {
        const d = compareValues(x[k], y[k]);
        if (d !== 0) return d;
      }
      return 0;
    }
  }
}

/** `sort_bindings: true` (OPA cases.go): the binding's value is a collection whose order does
 *  not matter; sort it before comparing. */
export function sortBinding(v: unknown): unknown {
  return Array.isArray(v) ? [...v].sort(compareValues) : v;
}

/** Expected `want_result` rows vs the entrypoint's result (undefined = empty result set). */
export function resultMatches(
  want: Record<string, unknown>[],
  variable: string,
  result: unknown,
  sortBindings = false,
): boolean {
  if (want.length === 0) return result === undefined;
  if (want.length !== 1 || result === undefined) return false;
  const row = want[0];
  if (!Object.prototype.hasOwnProperty.call(row, variable)) return false;
  const e = sortBindings ? sortBinding(row[variable]) : row[variable];
  const a = sortBindings ? sortBinding(result) : result;
  return valuesEqual(e, a);
}

/** Short rendering for failure messages (BigInt-safe, truncated). */
export function show(v: unknown, max = 160): string {
  if (v === undefined) return 'undefined';
  const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x));
  return s.length > max ? `${s.slice(0, max)}…` : s;
}
