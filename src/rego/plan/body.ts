// Planning of rule bodies: expressions, terms, refs and unification into IR statements.
// Conventions (see builder.ts): planning appends to the current block; iteration (`scan`)
// moves the current block inside the loop, so the rest of the body — and finally the rule
// head's action — runs once per solution. A failing test is a statement that is undefined
// and ends the current block.

import { planCoverMark } from './coverage.ts';
import type { Body, Expr, Rule, Term } from '../ast.ts';
import { Op, type Local, type Operand } from '../ir.ts';
import { RegoError } from '../errors.ts';
import type { FuncBuilder } from './builder.ts';
import type { ModuleCtx } from './tree.ts';
import { reorder, allVarsOfTerm, bodyLevelVars, setArityOracle } from './vars.ts';
import type { Planner } from './planner.ts';
import { planWith } from './with.ts';
import { unify, unifyOperand } from './unify.ts';
import { planArgs, planTerm, toLocal } from './terms.ts';

/** Variable bindings of one scope; closures and negations copy their parent's. */
export type Scope = Map<string, Operand>;

export interface Env {
  planner: Planner;
  fb: FuncBuilder;
  module: ModuleCtx;
  scope: Scope;
  /** Names declared local (`some`, `:=`, function args) that shadow rules and imports. */
  declared: Set<string>;
  input: Local;
  data: Local;
  /** `with data.x as …` overrides in force: dotted paths read from base data. */
  overrides: string[];
  /** `with f as g` / `with count as 3`: function name → replacement term. */
  mocks: Map<string, Term>;
  /** The rule being planned (rego.metadata.rule/chain read its annotations). */
  rule?: Rule;
}

export function childEnv(env: Env): Env {
  return { ...env, scope: new Map(env.scope), declared: new Set(env.declared) };
}

/** Global meaning of a bare name, as an absolute ref path, or undefined for a variable. */
export function resolveName(env: Env, name: string): string[] | undefined {
  if (env.declared.has(name) || env.scope.has(name)) return undefined;
  if (name === 'input' || name === 'data') return [name];
  const imp = env.module.imports.get(name);
  if (imp) return imp;
  const pkgNode = env.planner.tree.find([...env.module.pkg, name]);
  if (pkgNode) return ['data', ...env.module.pkg, name];
  return undefined;
}

export function isGlobalIn(env: Env): (name: string) => boolean {
  return (name) => resolveName(env, name) !== undefined;
}

// ------------------------------------------------------------------------------------------
// Bodies and expressions

/** Plans a body; `then` runs at the point where all expressions have held. */
export function planBody(env: Env, body: Body, outer: Set<string>, then: () => void): void {
  const assigned = new Set<string>();
  for (const e of body) declare(env, e, assigned);
  const bound = new Set<string>(env.scope.keys());
  const isGlobal = isGlobalIn(env);
  const allOuter = new Set([...outer, ...bodyLevelVars(body, isGlobal)]);
  setArityOracle((t) => env.planner.arityOf(env, t));
  const ordered = reorder(body, bound, allOuter, isGlobal);
  for (const e of ordered) {
    planCoverMark(env, e.loc);
    planExpr(env, e);
  }
  then();
}

function declare(env: Env, e: Expr, assigned: Set<string>): void {
  if (e.kind === 'some') for (const v of e.vars) env.declared.add(v.name);
  if (e.kind === 'assign') {
    const vs = new Set<string>();
    allVarsOfTerm(e.left, () => false, vs);
    for (const v of vs) {
      if (v.startsWith('$_')) continue;
      if (assigned.has(v)) {
        throw new RegoError('REGO_COMPILE_ERROR', `var ${v} assigned above`, e.loc);
      }
      assigned.add(v);
      // `:=` in a closure declares a new variable, shadowing the enclosing one.
      env.scope.delete(v);
      env.declared.add(v);
    }
  }
}

export function planExpr(env: Env, e: Expr): void {
  if (e.with.length > 0) return planWith(env, e);
  const fb = env.fb;
  if (e.negated) {
    const inner = childEnv(env);
    let positive: Expr = { ...e, negated: false };
    if (e.kind === 'term' && e.term.type === 'call' && isUserFunction(env, e.term.fn)) {
      const args = e.term.args.map((a) => hoistRefArg(env, inner, a));
      positive = { ...e, negated: false, term: { ...e.term, args } };
    }
    planNot(env, () => planExpr(inner, positive));
    return;
  }
  switch (e.kind) {
    case 'some':
      return;
    case 'term':
      return planTermExpr(env, e.term);
    case 'unify':
      return unify(env, e.left, e.right);
    case 'assign':
      return unify(env, e.left, e.right);
    case 'somein': {
      const coll = toLocal(env, planTerm(env, e.collection));
      const k = fb.local();
      const v = fb.local();
      // `some … in` declares its variables: they shadow any outer binding of the same name.
      const declaredVars = new Set<string>();
      for (const t of e.key ? [e.key, e.value] : [e.value])
        allVarsOfTerm(t, isGlobalIn(env), declaredVars);
      for (const name of declaredVars) env.scope.delete(name);
      fb.enter((block) => ({ op: Op.Scan, source: coll, key: k, value: v, block }));
      if (e.key) unifyOperand(env, e.key, k);
      unifyOperand(env, e.value, v);
      return;
    }
    case 'every':
      return planEvery(env, e);
  }
}

let hoisted = 0;

/** A call of a function defined by rules (not a builtin or operator). */
function isUserFunction(env: Env, fn: string[]): boolean {
  return fn[0] === 'data' || resolveName(env, fn[0])?.[0] === 'data';
}

/** OPA evaluates a user function's reference arguments before the call, outside a `not`:
 *  `not f(x.missing)` is `t := x.missing; not f(t)`, undefined when the reference is (a
 *  builtin's or operator's are not: `not x.missing == false` holds).
 *  Only references whose path is constant and whose head is bound (input, data, a local) move:
 *  one that iterates would change what the negation ranges over. */
function hoistRefArg(env: Env, inner: Env, a: Term): Term {
  if (a.type !== 'ref' || a.head.type !== 'var') return a;
  if (!a.path.every((p) => p.type === 'string' || p.type === 'number')) return a;
  const head = a.head.name;
  if (!env.scope.has(head) && head !== 'input' && head !== 'data') return a;
  if (head === 'data' || resolveName(env, head)?.[0] === 'data') return a; // rules: planner's
  const name = `$neg${hoisted++}`;
  inner.scope.set(name, toLocal(env, planTerm(env, a)));
  return { type: 'var', name, loc: a.loc };
}

function planTermExpr(env: Env, t: Term): void {
  const fb = env.fb;
  if (t.type === 'call' && t.fn.length === 1 && (t.fn[0] === 'equal' || t.fn[0] === 'neq')) {
    const [a, b] = planArgs(env, t.args);
    fb.emit({ op: t.fn[0] === 'equal' ? Op.Equal : Op.NotEqual, a, b });
    return;
  }
  const v = planTerm(env, t);
  fb.emit({ op: Op.IsTruthy, source: v });
}

/**
 * `not …`: holds when the planned expression has no solution. The expression may iterate,
 * so reaching the end of the `not` block cannot mean "a solution exists" by itself: a flag
 * set at the innermost point, where a solution has been found, is tested after the loops.
 */
export function planNot(env: Env, plan: () => void): void {
  const fb = env.fb;
  const flag = fb.local();
  const not = { stmts: [] };
  fb.emit({ op: Op.Not, block: not });
  fb.within(not, () => {
    fb.emit({ op: Op.Reset, target: flag });
    const b = fb.subBlock();
    fb.within(b, () => {
      plan();
      fb.emit({ op: Op.Assign, source: env.planner.pb.constValue(true), target: flag });
    });
    fb.emit({ op: Op.IsDefined, source: flag });
  });
}

/** Undefined unless `src` is an array, object or set. */
function requireCollection(env: Env, src: Local): void {
  const fb = env.fb;
  const ok = fb.local();
  fb.emit({ op: Op.Reset, target: ok });
  for (const op of [Op.IsArray, Op.IsObject, Op.IsSet] as const) {
    const b = fb.subBlock();
    fb.within(b, () => {
      fb.emit({ op, source: src });
      fb.emit({ op: Op.Assign, source: env.planner.pb.constValue(true), target: ok });
    });
  }
  fb.emit({ op: Op.IsDefined, source: ok });
}

/** `every k, v in xs { body }`: no element of xs for which body has no solution. */
function planEvery(env: Env, e: Expr & { kind: 'every' }): void {
  const fb = env.fb;
  const domain = toLocal(env, planTerm(env, e.domain));
  requireCollection(env, domain);
  const found = fb.local();
  fb.emit({ op: Op.Reset, target: found });
  const outer = fb.subBlock();
  fb.within(outer, () => {
    const k = fb.local();
    const v = fb.local();
    fb.enter((block) => ({ op: Op.Scan, source: domain, key: k, value: v, block }));
    const inner = childEnv(env);
    inner.scope.set(e.value.name, v);
    inner.declared.add(e.value.name);
    if (e.key) {
      inner.scope.set(e.key.name, k);
      inner.declared.add(e.key.name);
    }
    planNot(env, () => planBody(inner, e.body, outerNames(inner), () => {}));
    fb.emit({ op: Op.Assign, source: env.planner.pb.constValue(true), target: found });
  });
  fb.emit({ op: Op.IsUndefined, source: found });
}

export function outerNames(env: Env): Set<string> {
  return new Set([...env.scope.keys(), ...env.declared]);
}
