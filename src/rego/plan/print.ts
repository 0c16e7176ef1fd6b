// `print(a, b, …)`: OPA plans each argument as a set comprehension `{x | x = a}` so that an
// undefined argument prints `<undefined>` instead of making the call (and the rule)
// undefined, then calls the print builtin with the array of those sets; print always holds.
// https://www.openpolicyagent.org/docs/policy-reference/builtins/debugging#print
// The call carries its source location as a constant first argument, so the host can say
// where each line came from (`file:line`); a module built by `opa build` calls
// `internal.print` with the array alone, and the host answers both.
import type { CallTerm } from '../ast.ts';
import { Op, type Operand } from '../ir.ts';
import { childEnv, type Env } from './body.ts';
import { planTerm } from './terms.ts';
import { hostAlias } from '../builtins/index.ts';

const PRINT_HOST = hostAlias('print');

export function planPrint(env: Env, t: CallTerm): Operand {
  const fb = env.fb;
  const pb = env.planner.pb;
  const arr = fb.local();
  fb.emit({ op: Op.MakeArray, capacity: t.args.length, target: arr });
  for (const a of t.args) {
    const set = fb.local();
    fb.emit({ op: Op.MakeSet, target: set });
    const b = fb.subBlock();
    fb.within(b, () => {
      const v = planTerm(childEnv(env), a);
      fb.emit({ op: Op.SetAdd, set, value: v });
    });
    fb.emit({ op: Op.ArrayAppend, array: arr, value: set });
  }
  const out = fb.local();
  fb.emit({
    op: Op.CallBuiltin,
    builtin: pb.builtin(PRINT_HOST, 2),
    args: [pb.constValue(`${t.loc.file}:${t.loc.line}`), arr],
    target: out,
  });
  return pb.constValue(true);
}
