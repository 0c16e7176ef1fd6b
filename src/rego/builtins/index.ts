// Host implementations of OPA's builtin functions for policies compiled to WebAssembly.
//
// The opa-wasm SDK calls `customBuiltins[name](...args)` with each argument JSON-decoded from the
// module and JSON-encodes the result back (an ArrayBuffer result is taken as ready-made JSON
// text: that is how exact big integers are returned). `undefined` makes the call undefined in
// Rego; OPA's WASM target has no builtin errors, so every invalid argument yields undefined.
// A set result is {"__rego_set__": [...]}, the shape the policy runtime parses into a set.
//
// Usage: `loadPolicy(wasm, memory, hostBuiltins)`, and `beginEvaluation()` before each
// `policy.evaluate(...)` so that time.now_ns() and the per-query caches are per evaluation.
import { aggregateBuiltins } from './aggregates.ts';
import { cryptoBuiltins } from './crypto.ts';
import { encodingBuiltins } from './encoding.ts';
import { globBuiltins } from './glob.ts';
import { jsonBuiltins } from './json.ts';
import { jwtBuiltins } from './jwt.ts';
import { jwtVerifyBuiltins } from './jwtverify.ts';
import { x509Builtins } from './x509.ts';
import { bitsBuiltins } from './bits.ts';
import { graphBuiltins } from './graph.ts';
import { jsonSchemaBuiltins } from './jsonschema.ts';
import { awsBuiltins } from './aws.ts';
import { runtimeBuiltins } from './runtime.ts';
import { netBuiltins } from './net.ts';
import { numberBuiltins } from './numbers.ts';
import { objectBuiltins } from './objects.ts';
import { regexBuiltins } from './regex.ts';
import { semverBuiltins } from './semver.ts';
import { sprintf } from './sprintf.ts';
import { stringBuiltins } from './strings.ts';
import { timeBuiltins } from './time.ts';
import { unitBuiltins } from './units.ts';
import { uuidBuiltins } from './uuid.ts';
import { walkPairs } from './walk.ts';
import { templateBuiltins } from './template.ts';
import { deprecatedBuiltins } from './deprecated.ts';
import { coverMark, printAt, printBuiltins } from './print.ts';
import { graphqlBuiltins } from './graphql.ts';
import { decodeArg, encodeResult, toWire } from './values.ts';

export { regoSet, decodeResult } from './values.ts';
export type { RegoSetJson } from './values.ts';
export { beginEvaluation, endEvaluation } from './evaluation.ts';
export type { BeginEvaluationOptions, EvalOutput } from './evaluation.ts';

export type HostBuiltin = (...args: any[]) => unknown;

const implementations: Record<string, HostBuiltin> = {
  ...aggregateBuiltins,
  ...stringBuiltins,
  ...templateBuiltins,
  sprintf,
  ...numberBuiltins,
  ...objectBuiltins,
  ...jsonBuiltins,
  ...encodingBuiltins,
  ...timeBuiltins,
  ...globBuiltins,
  ...regexBuiltins,
  ...unitBuiltins,
  ...netBuiltins,
  ...cryptoBuiltins,
  ...semverBuiltins,
  ...uuidBuiltins,
  ...jwtBuiltins,
  ...jwtVerifyBuiltins,
  ...x509Builtins,
  ...bitsBuiltins,
  ...graphBuiltins,
  ...jsonSchemaBuiltins,
  ...awsBuiltins,
  ...runtimeBuiltins,
  ...deprecatedBuiltins,
  ...printBuiltins,
  ...graphqlBuiltins,
};

/** Decodes tagged sets in the arguments, encodes sets in the result, and turns an unexpected
 *  exception into undefined: a builtin must never abort the policy evaluation. */
function wrap(fn: HostBuiltin, keyed = false): HostBuiltin {
  return (...args: unknown[]) => {
    try {
      const out = fn(...args.map((a) => decodeArg(a, keyed)));
      return out === undefined ? undefined : toWire(encodeResult(out));
    } catch {
      return undefined;
    }
  };
}

/**
 * Builtins the opa-wasm SDK implements itself and looks up before the custom ones, so ours are
 * never called under these names. Its `regex.split` runs a backtracking JS RegExp on policy
 * input and its `sprintf` is C-style, not Go's. A compiler that wants ours emits the host call
 * under the alias `warden:<name>` (listed in the module's builtins() table), which the SDK does
 * not know and therefore resolves through `hostBuiltins`.
 */
export const SDK_SHADOWED = ['sprintf', 'regex.split', 'json.is_valid'] as const;
export const hostAlias = (name: string): string => `warden:${name}`;

/**
 * Host calls that the project's planner emits in place of an OPA builtin with other semantics:
 * `walk` is a relation, planned as a scan over the pairs `warden:walk` returns. A module built
 * by `opa build` plans walk itself and never calls these.
 */
export const plannerHelpers: Record<string, HostBuiltin> = {
  [hostAlias('walk')]: walkPairs,
  [hostAlias('print')]: printAt,
  [hostAlias('cover')]: coverMark,
};

/** The builtins that read objects with keys of any type (values.ts KeyedObject). */
const KEYED = new Set(['object.get', 'object.keys', 'object.remove', 'object.filter']);

/** Every host builtin by its OPA name (plus the `warden:` aliases of SDK_SHADOWED), ready for
 *  `loadPolicy(wasm, memory, hostBuiltins)`. */
export const hostBuiltins: Record<string, HostBuiltin> = Object.fromEntries([
  ...Object.entries(implementations).map(([name, fn]) => [name, wrap(fn, KEYED.has(name))]),
  ...SDK_SHADOWED.map((name) => [hostAlias(name), wrap(implementations[name])]),
  ...Object.entries(plannerHelpers).map(([name, fn]) => [name, wrap(fn)]),
]);

/** OPA names of the builtins implemented here (aliases excluded). */
export const hostBuiltinNames: readonly string[] = Object.keys(implementations).sort();
