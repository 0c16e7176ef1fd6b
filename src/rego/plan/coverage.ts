// Coverage marks, planned only when a build asks for them (`policy test --coverage`): before
// each expression, and where a rule body has held (its head line: the rule produced a value),
// a host call records the `file:line`. OPA counts a line covered when an expression on it was
// evaluated or a rule on it produced a value, and not covered when it holds an expression or a
// rule head that never was. Normal builds emit nothing and pay nothing.
import type { Loc } from '../ast.ts';
import { Op } from '../ir.ts';
import { hostAlias } from '../builtins/index.ts';
import type { Env } from './body.ts';

export const COVER_HOST = hostAlias('cover');

/** Every line a mark was planned for: file → line numbers. */
export type CoverableLines = Map<string, Set<number>>;

export function planCoverMark(env: Env, loc: Loc): void {
  const lines = env.planner.coverable;
  if (!lines || loc.line <= 0) return;
  let set = lines.get(loc.file);
  if (!set) lines.set(loc.file, (set = new Set()));
  set.add(loc.line);
  const pb = env.planner.pb;
  env.fb.emit({
    op: Op.CallBuiltin,
    builtin: pb.builtin(COVER_HOST, 1),
    args: [pb.constValue(`${loc.file}:${loc.line}`)],
    target: env.fb.local(),
  });
}
