// Rego → WebAssembly: parse every file, plan the rules reachable from the entrypoints (and
// every other rule, so that errors anywhere in the policy are reported as OPA reports them),
// encode the IR, and link it into the prebuilt OPA-ABI runtime module. No compiler runs per
// policy: a policy compiles in milliseconds (see src/rego/runtime/README.md).

import type { Module, RegoVersion } from './ast.ts';
import { encodePolicy } from './ir.ts';
import { linkPolicy } from './link.ts';
import { parseModule } from './parser.ts';
import { Planner } from './plan/planner.ts';
import { runtimeWasm } from './runtime/index.ts';
import type { RuleNode } from './plan/tree.ts';

export interface SourceFile {
  path: string; // as it should appear in error messages (relative to the policy dir)
  text: string;
  /** 'v0' to parse with Rego v0 rules (OPA's --v0-compatible); v1 by default. */
  regoVersion?: RegoVersion;
}

export interface CompileOptions {
  /** Entrypoints as rule paths joined by '/', without "data": "mcp/authz/decision". */
  entrypoints: string[];
  /** Plan coverage marks (plan/coverage.ts); for `policy test --coverage` only. */
  coverage?: boolean;
}

export interface CompiledPolicy {
  wasm: Uint8Array; // a complete OPA-ABI module, loadable by @open-policy-agent/opa-wasm
  /** Memory pages the module's data needs: pass `{ initial: minPages }` to loadPolicy. */
  minPages: number;
  entrypoints: string[];
  /** Names of the builtins the module calls through opa_builtinN (need host implementations). */
  hostBuiltins: string[];
  /** The host builtins an entrypoint reaches (the others serve rules no entrypoint uses). */
  reachableHostBuiltins: string[];
  modules: Module[];
  /** With `coverage`: file → the lines that carry a coverage mark. */
  coverable?: Map<string, Set<number>>;
}

/** Builtins the runtime evaluates inside WASM (src/rego/runtime/assembly). */
export const NATIVE_BUILTINS: ReadonlySet<string> = new Set([
  'equal',
  'neq',
  'lt',
  'lte',
  'gt',
  'gte',
  'plus',
  'minus',
  'mul',
  'div',
  'rem',
  'and',
  'or',
  'count',
  'internal.member_2',
  'internal.member_3',
  'is_number',
  'is_string',
  'is_boolean',
  'is_array',
  'is_set',
  'is_object',
  'is_null',
  'type_name',
  'abs',
  'internal.template_string',
]);

/** Compiles Rego modules to WASM. Throws RegoError (a UserInputError with `where` =
 *  "file:line:col") on syntax errors, unsafe variables, recursion, conflicting rules and
 *  unknown entrypoints. */
export function compileModules(files: SourceFile[], opts: CompileOptions): CompiledPolicy {
  return compileParsed(
    files.map((f) => parseModule(f.path, f.text, f.regoVersion)),
    opts,
  );
}

/** Compiles modules parsed already (a caller that inspected or adjusted them first). */
export function compileParsed(modules: Module[], opts: CompileOptions): CompiledPolicy {
  const planner = new Planner(modules, { coverage: opts.coverage });
  for (const ep of opts.entrypoints) planner.addEntrypoint(ep);
  // What the entrypoints reach is planned by now; planAll adds the rest.
  const reachable = new Set(planner.pb.builtins.map((b) => b.name));
  planAll(planner, planner.tree.root);
  const policy = planner.pb.policy();
  const { wasm, minPages } = linkPolicy(runtimeWasm(), encodePolicy(policy));
  return {
    wasm,
    minPages,
    entrypoints: opts.entrypoints,
    hostBuiltins: policy.builtins.map((b) => b.name).filter((n) => !NATIVE_BUILTINS.has(n)),
    reachableHostBuiltins: [...reachable].filter((n) => !NATIVE_BUILTINS.has(n)),
    modules,
    coverable: planner.coverable,
  };
}

/** Plans every rule once so that errors in rules no entrypoint reaches are still reported. */
function planAll(planner: Planner, node: RuleNode): void {
  if (node.rules.length > 0) {
    planner.funcFor(
      {
        planner,
        fb: undefined as never,
        module: undefined as never,
        scope: new Map(),
        declared: new Set(),
        input: 0,
        data: 1,
        overrides: [],
        mocks: new Map(),
      },
      node,
      'rule',
    );
  }
  for (const c of node.children.values()) planAll(planner, c);
}
