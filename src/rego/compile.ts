// PLACEHOLDER SIGNATURE — the lead is writing the implementation (planner). Do not edit.
import type { Module } from './ast.ts';

export interface SourceFile {
  path: string; // as it should appear in error messages (relative to the policy dir)
  text: string;
}

export interface CompileOptions {
  /** Entrypoints as rule paths joined by '/', without "data": "mcp/authz/decision". */
  entrypoints: string[];
}

export interface CompiledPolicy {
  wasm: Uint8Array; // a complete OPA-ABI module, loadable by @open-policy-agent/opa-wasm
  entrypoints: string[];
  /** Names of the builtins the module calls through opa_builtinN (need host implementations). */
  hostBuiltins: string[];
  modules: Module[];
}

/** Compiles Rego modules to WASM. Throws RegoError (a UserInputError with `where` =
 *  "file:line:col") on syntax errors, unsafe variables, recursion, conflicting defaults and
 *  unknown entrypoints. */
export function compileModules(_files: SourceFile[], _opts: CompileOptions): CompiledPolicy {
  throw new Error('compileModules: not implemented yet');
}
