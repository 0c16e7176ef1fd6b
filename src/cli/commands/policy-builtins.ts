// Builtins a compiled module calls that nothing here implements (http.send, opa.runtime, …):
// `policy build` and `policy check` refuse them at build time, naming the first call of each
// as `file:line:col`, instead of a module that cannot be loaded.
import type { Loc, Module } from '../../rego/ast.ts';
import { RegoError } from '../../rego/errors.ts';
import { hostBuiltins } from '../../rego/builtins/index.ts';
import { SDK_BUILTINS } from '../../policy/engine.ts';

export function unimplemented(names: readonly string[]): string[] {
  return names.filter((n) => !(n in hostBuiltins) && !SDK_BUILTINS.includes(n));
}

/** The first call of each named builtin in the modules, in file order. */
function firstCalls(modules: Module[], names: Set<string>): Map<string, Loc> {
  const found = new Map<string, Loc>();
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const o = node as Record<string, unknown>;
    if (o.type === 'call' && Array.isArray(o.fn)) {
      const name = (o.fn as string[]).join('.');
      if (names.has(name) && !found.has(name)) found.set(name, o.loc as Loc);
    }
    for (const [k, v] of Object.entries(o)) if (k !== 'loc') visit(v);
  };
  for (const m of modules) visit(m.rules);
  return found;
}

/** One RegoError per builtin the module calls without an implementation. */
export function missingBuiltinErrors(modules: Module[], hostCalls: readonly string[]): RegoError[] {
  const missing = unimplemented(hostCalls);
  if (missing.length === 0) return [];
  const at = firstCalls(modules, new Set(missing));
  return missing.map(
    (name) =>
      new RegoError(
        'REGO_TYPE_ERROR',
        `builtin ${name} has no implementation in this gateway`,
        at.get(name) ?? { file: name, line: 0, col: 0 },
      ),
  );
}
