// The builtins OPA 1.x keeps for Rego v0 only (`--v0-compatible`; OPA's ast/builtins.go marks
// them `deprecated: true` and a v1 module cannot call them): re_match, all, any, set_diff,
// net.cidr_overlap and the cast_* functions. Each is the older name or a thin shape of a
// current builtin (https://www.openpolicyagent.org/docs/policy-reference#deprecated-built-ins).
import { netBuiltins } from './net.ts';
import { regexBuiltins } from './regex.ts';
import { isArr, isObj, isStr, keyOf, regoSet } from './values.ts';

type Fn = (...args: unknown[]) => unknown;

/** Arrays and sets (both arrive as arrays); objects are not collections for all/any. */
const items = (v: unknown): unknown[] | undefined => (isArr(v) ? v : undefined);

export const deprecatedBuiltins: Record<string, Fn> = {
  re_match: regexBuiltins['regex.match'],
  'net.cidr_overlap': netBuiltins['net.cidr_contains'],
  all: (c: unknown) => items(c)?.every((x) => x === true),
  any: (c: unknown) => items(c)?.some((x) => x === true),
  set_diff: (a: unknown, b: unknown) => {
    if (!isArr(a) || !isArr(b)) return undefined;
    const drop = new Set(b.map(keyOf));
    return regoSet(a.filter((x) => !drop.has(keyOf(x))));
  },
  cast_array: (x: unknown) => (isArr(x) ? [...x] : undefined),
  cast_set: (x: unknown) => (isArr(x) ? regoSet(x) : undefined),
  cast_string: (x: unknown) => (isStr(x) ? x : undefined),
  cast_boolean: (x: unknown) => (typeof x === 'boolean' ? x : undefined),
  cast_null: (x: unknown) => (x === null ? null : undefined),
  cast_object: (x: unknown) => (isObj(x) ? x : undefined),
};
