// `with` modifiers: an expression evaluated with input or data replaced (or a function
// mocked), planned as IR `with` statements around it, then a restoring `with` around the rest
// of the body so that only the expression itself sees the replacement.

import type { Expr, RefTerm, Term, VarTerm } from '../ast.ts';
import { Op, type Local, type Operand } from '../ir.ts';
import { RegoError } from '../errors.ts';
import { builtinArity } from './builtin-table.ts';
import { planExpr, resolveName, type Env } from './body.ts';
import { planTerm } from './terms.ts';

/** `expr with target as value …`: the expression runs with input/data replaced, then the
 *  originals are restored for the rest of the body (which is planned inside the restore). */
export function planWith(env: Env, e: Expr): void {
  const fb = env.fb;
  const pb = env.planner.pb;
  const mods: { local: Local; path: string[]; value: Operand }[] = [];
  const overrides = [...env.overrides];
  const mocks = new Map<string, Term>();
  for (const w of e.with) {
    const target = withTargetPath(env, w.target);
    if (target[0] !== 'input' && target[0] !== 'data') {
      mocks.set(target.join('.'), mockValue(env, target.join('.'), w.value, mods));
      continue;
    }
    const fnNode = target[0] === 'data' ? env.planner.tree.find(target.slice(1)) : undefined;
    if (
      fnNode?.kind === 'function' ||
      (target[0] !== 'input' && builtinArity(target.join('.')) !== undefined)
    ) {
      mocks.set(target.join('.'), mockValue(env, target.join('.'), w.value, mods));
      continue;
    }
    const value = planTerm(env, w.value);
    mods.push({
      local: target[0] === 'input' ? env.input : env.data,
      path: target.slice(1),
      value,
    });
    if (target[0] === 'data') overrides.push(target.slice(1).join('.'));
  }
  const saved = new Map<Local, Local>();
  for (const m of mods) {
    if (!saved.has(m.local)) {
      const s = fb.local();
      // Input may be undefined; keep the restore unconditional by saving in a sub-block.
      const b = fb.subBlock();
      fb.within(b, () => fb.emit({ op: Op.Assign, source: m.local, target: s }));
      saved.set(m.local, s);
    }
  }
  for (const m of mods) {
    const path = m.path.map((p) => pb.constIndexOf(p));
    fb.enter((block) => ({ op: Op.With, local: m.local, path, value: m.value, block }));
  }
  const inner: Env = { ...env, overrides, mocks: new Map([...env.mocks, ...mocks]) };
  planExpr(inner, { ...e, with: [] });
  for (const [local, s] of saved) {
    fb.enter((block) => ({ op: Op.With, local, path: [], value: s, block }));
  }
}

/** Reserved key under `data` through which mock values reach the rules they affect. */
export const MOCK_KEY = '$mock';

/**
 * The replacement term for a mocked function. A function name stays as it is (the call is
 * redirected). Any other value may mention local variables of this body, which the affected
 * rules, planned as functions of their own, cannot see: the value is therefore planned here
 * and passed down in `data` under a reserved key, and the mock reads it from there.
 */
function mockValue(
  env: Env,
  name: string,
  value: Term,
  mods: { local: Local; path: string[]; value: Operand }[],
): Term {
  if (value.type === 'var' || value.type === 'ref') {
    const t = value.type === 'var' ? [value.name] : mockName(value);
    if (t && env.planner.namesFunction(env, t)) return value;
  }
  const op = planTerm(env, value);
  mods.push({ local: env.data, path: [MOCK_KEY, name], value: op });
  const loc = value.loc;
  return {
    type: 'ref',
    head: { type: 'var', name: 'data', loc },
    path: [
      { type: 'string', value: MOCK_KEY, loc },
      { type: 'string', value: name, loc },
    ],
    loc,
  };
}

function mockName(t: RefTerm): string[] | undefined {
  if (t.head.type !== 'var' || !t.path.every((p) => p.type === 'string')) return undefined;
  return [t.head.name, ...t.path.map((p) => (p as Term & { type: 'string' }).value)];
}

function withTargetPath(env: Env, t: RefTerm | VarTerm): string[] {
  const head = t.type === 'var' ? t : t.head;
  const rest = t.type === 'ref' ? t.path : [];
  if (head.type !== 'var') throw new RegoError('REGO_COMPILE_ERROR', 'invalid with target', t.loc);
  const base = resolveName(env, head.name) ?? [head.name];
  const path = [...base];
  for (const p of rest) {
    if (p.type !== 'string') {
      throw new RegoError('REGO_COMPILE_ERROR', 'with target must be a ground ref', t.loc);
    }
    path.push(p.value);
  }
  return path;
}
