// print() and trace(): the debugging builtins. Their output goes to the evaluation's output
// hook (evaluation.ts), never into the decision. Formatting follows OPA's print: each argument
// is the set of its values (empty when undefined → "<undefined>"); strings print bare, other
// values in Rego term syntax; arguments are joined by one space.
// https://www.openpolicyagent.org/docs/policy-reference/builtins/debugging
import { emitOutput } from './evaluation.ts';
import { isArr, isObj, isSetArray } from './values.ts';

/** A value in Rego term syntax, as OPA's ast.Term String() writes it. */
export function termText(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (isArr(v)) {
    if (isSetArray(v)) return v.length === 0 ? 'set()' : `{${v.map(termText).join(', ')}}`;
    return `[${v.map(termText).join(', ')}]`;
  }
  if (isObj(v)) {
    return `{${Object.keys(v)
      .map((k) => `${JSON.stringify(k)}: ${termText(v[k])}`)
      .join(', ')}}`;
  }
  return String(v);
}

function printLine(args: unknown): string | undefined {
  if (!isArr(args)) return undefined;
  return args
    .map((s) => {
      if (!isArr(s) || s.length === 0) return '<undefined>';
      return s.map((x) => (typeof x === 'string' ? x : termText(x))).join(', ');
    })
    .join(' ');
}

export const printBuiltins = {
  /** OPA's own print call (modules built by `opa build`): the array of argument sets. */
  'internal.print': (args: unknown): boolean => {
    const text = printLine(args);
    if (text !== undefined) emitOutput({ kind: 'print', text });
    return true;
  },
  trace: (note: unknown): boolean | undefined => {
    if (typeof note !== 'string') return undefined;
    emitOutput({ kind: 'note', text: note });
    return true;
  },
};

/** The project's planner calls this with the call's `file:line` first (plan/print.ts). */
export function printAt(where: unknown, args: unknown): boolean {
  const text = printLine(args);
  if (text !== undefined) {
    emitOutput({ kind: 'print', text, where: typeof where === 'string' ? where : undefined });
  }
  return true;
}

/** Coverage builds call this before each expression (src/rego/plan/coverage.ts). */
export function coverMark(where: unknown): boolean {
  if (typeof where === 'string') emitOutput({ kind: 'cover', text: where });
  return true;
}
