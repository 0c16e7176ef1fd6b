// Unification (`=`, `:=`, patterns in `some … in`, function arguments): binding unbound
// variables, destructuring arrays and objects, or comparing when both sides are known.

import type { Term, VarTerm } from '../ast.ts';
import { Op, type Local, type Operand } from '../ir.ts';
import { allVarsOfTerm } from './vars.ts';
import { resolveName, type Env } from './body.ts';
import { constOf, planTerm, toLocal } from './terms.ts';

// ------------------------------------------------------------------------------------------
// Unification

export function isUnboundVar(env: Env, t: Term): t is VarTerm {
  return t.type === 'var' && !env.scope.has(t.name) && resolveName(env, t.name) === undefined;
}

export function hasUnbound(env: Env, t: Term): boolean {
  const vs = new Set<string>();
  allVarsOfTerm(t, (n) => resolveName(env, n) !== undefined, vs);
  for (const v of vs) if (!env.scope.has(v)) return true;
  return false;
}

function isPattern(env: Env, t: Term): boolean {
  return (t.type === 'array' || t.type === 'object') && hasUnbound(env, t);
}

export function unify(env: Env, a: Term, b: Term): void {
  const fb = env.fb;
  if (isUnboundVar(env, a)) return bind(env, a, planTerm(env, b));
  if (isUnboundVar(env, b)) return bind(env, b, planTerm(env, a));
  if (a.type === 'array' && b.type === 'array') {
    if (a.items.length !== b.items.length) return fb.fail();
    // Right-to-left dependencies are resolved by planning bound pairs first.
    const pairs = a.items.map((x, i) => [x, b.items[i]] as const);
    planPairs(env, pairs);
    return;
  }
  if (a.type === 'object' && b.type === 'object' && isPattern(env, a) && isPattern(env, b)) {
    if (a.entries.length !== b.entries.length) return fb.fail();
    const pairs: (readonly [Term, Term])[] = [];
    for (const [k, v] of a.entries) {
      const kk = JSON.stringify(constOf(k));
      const other = b.entries.find(([k2]) => JSON.stringify(constOf(k2)) === kk);
      if (!other) return fb.fail();
      pairs.push([v, other[1]]);
    }
    planPairs(env, pairs);
    return;
  }
  if (isPattern(env, a)) return unifyOperand(env, a, planTerm(env, b));
  if (isPattern(env, b)) return unifyOperand(env, b, planTerm(env, a));
  const x = planTerm(env, a);
  const y = planTerm(env, b);
  fb.emit({ op: Op.Equal, a: x, b: y });
}

function planPairs(env: Env, pairs: (readonly [Term, Term])[]): void {
  const pending = pairs.slice();
  while (pending.length > 0) {
    let idx = pending.findIndex(([x, y]) => !hasUnbound(env, x) || !hasUnbound(env, y));
    if (idx < 0) idx = 0;
    const [x, y] = pending.splice(idx, 1)[0];
    unify(env, x, y);
  }
}

function bind(env: Env, v: VarTerm, op: Operand): void {
  if (v.name.startsWith('$_')) return; // wildcard: nothing to bind
  if (op === env.input || op === env.data) {
    // `with` swaps these locals in and out: a variable must keep the value it was bound to.
    const copy = env.fb.local();
    env.fb.emit({ op: Op.Assign, source: op, target: copy });
    op = copy;
  }
  env.scope.set(v.name, op);
}

/** Unifies a term (possibly a pattern with unbound vars) with an already planned value. */
export function unifyOperand(env: Env, t: Term, op: Operand): void {
  const fb = env.fb;
  if (isUnboundVar(env, t)) return bind(env, t, op);
  if (t.type === 'array' && hasUnbound(env, t)) {
    const src = shaped(env, op, Op.IsArray, t.items.length);
    const elems = t.items.map((_, i) => {
      const e = fb.local();
      fb.emit({ op: Op.Dot, source: src, key: env.planner.pb.constValue(i), target: e });
      return e;
    });
    const order = t.items.map((item, i) => [item, elems[i]] as const);
    // Bound items first so that later patterns can depend on them.
    order.sort((x, y) => Number(hasUnbound(env, x[0])) - Number(hasUnbound(env, y[0])));
    for (const [item, e] of order) unifyOperand(env, item, e);
    return;
  }
  if (t.type === 'object' && hasUnbound(env, t)) {
    const src = shaped(env, op, Op.IsObject, t.entries.length);
    for (const [k, v] of t.entries) {
      const key = planTerm(env, k);
      const e = fb.local();
      fb.emit({ op: Op.Dot, source: src, key, target: e });
      unifyOperand(env, v, e);
    }
    return;
  }
  fb.emit({ op: Op.Equal, a: planTerm(env, t), b: op });
}

/** The value as a local, after checking it is an array/object of exactly `length` elements
 *  (a pattern only matches a collection of its own size). */
function shaped(env: Env, op: Operand, is: Op.IsArray | Op.IsObject, length: number): Local {
  const fb = env.fb;
  const src = toLocal(env, op);
  fb.emit({ op: is, source: src });
  const n = fb.local();
  fb.emit({ op: Op.Len, source: src, target: n });
  fb.emit({ op: Op.Equal, a: n, b: env.planner.pb.constValue(length) });
  return src;
}
