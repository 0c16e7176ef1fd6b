// Planning of rule bodies: expressions, terms, refs and unification into IR statements.
// Conventions (see builder.ts): planning appends to the current block; iteration (`scan`)
// moves the current block inside the loop, so the rest of the body — and finally the rule
// head's action — runs once per solution. A failing test is a statement that is undefined
// and ends the current block.

import type { Body, Expr, RefTerm, Term, VarTerm } from '../ast.ts';
import { Op, type Local, type Operand } from '../ir.ts';
import { RegoError } from '../errors.ts';
import { builtinArity } from './builtin-table.ts';
import { isConst, type FuncBuilder } from './builder.ts';
import type { ModuleCtx } from './tree.ts';
import { reorder, allVarsOfExpr, allVarsOfTerm, bodyLevelVars, setArityOracle } from './vars.ts';
import type { Planner } from './planner.ts';

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
  for (const e of ordered) planExpr(env, e);
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
    planNot(env, () => planExpr(inner, { ...e, negated: false }));
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

/** `expr with target as value …`: the expression runs with input/data replaced, then the
 *  originals are restored for the rest of the body (which is planned inside the restore). */
function planWith(env: Env, e: Expr): void {
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

export function outerNames(env: Env): Set<string> {
  return new Set([...env.scope.keys(), ...env.declared]);
}

// ------------------------------------------------------------------------------------------
// Unification

function isUnboundVar(env: Env, t: Term): t is VarTerm {
  return t.type === 'var' && !env.scope.has(t.name) && resolveName(env, t.name) === undefined;
}

function hasUnbound(env: Env, t: Term): boolean {
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
    const src = toLocal(env, op);
    fb.emit({ op: Op.IsArray, source: src });
    const n = fb.local();
    fb.emit({ op: Op.Len, source: src, target: n });
    fb.emit({ op: Op.Equal, a: n, b: env.planner.pb.constValue(t.items.length) });
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
    const src = toLocal(env, op);
    fb.emit({ op: Op.IsObject, source: src });
    const n = fb.local();
    fb.emit({ op: Op.Len, source: src, target: n });
    fb.emit({ op: Op.Equal, a: n, b: env.planner.pb.constValue(t.entries.length) });
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

// ------------------------------------------------------------------------------------------
// Terms

export function toLocal(env: Env, op: Operand): Local {
  if (!isConst(op)) return op;
  const l = env.fb.local();
  env.fb.emit({ op: Op.Assign, source: op, target: l });
  return l;
}

/** The JSON value of a ground scalar/composite term, or undefined if not constant. */
export function constOf(t: Term): unknown {
  switch (t.type) {
    case 'null':
      return null;
    case 'boolean':
      return t.value;
    case 'string':
      return t.value;
    case 'number':
      return { $num: t.raw };
    default:
      return undefined;
  }
}

/** JSON text of a constant term (numbers keep their literal text), or undefined. */
export function constJson(t: Term): string | undefined {
  switch (t.type) {
    case 'null':
      return 'null';
    case 'boolean':
      return t.value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(t.value);
    case 'number':
      return t.raw;
    case 'array': {
      const parts = t.items.map(constJson);
      return parts.every((p) => p !== undefined) ? `[${parts.join(',')}]` : undefined;
    }
    case 'object': {
      const parts: string[] = [];
      for (const [k, v] of t.entries) {
        if (k.type !== 'string') return undefined;
        const vj = constJson(v);
        if (vj === undefined) return undefined;
        parts.push(`${JSON.stringify(k.value)}:${vj}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      return undefined;
  }
}

/** Plans call arguments; those that bind variables by iterating (`input.xs[i]`) go first,
 *  so that `i == input.xs[i]` works whatever side the binding occurrence is on. */
export function planArgs(env: Env, args: Term[]): Operand[] {
  const out: Operand[] = new Array(args.length);
  const order = args.map((_, i) => i);
  // Terms that bind by iterating first; a bare unbound variable can only be read once bound.
  const rank = (t: Term) => (isUnboundVar(env, t) ? 2 : hasUnbound(env, t) ? 0 : 1);
  order.sort((x, y) => rank(args[x]) - rank(args[y]));
  for (const i of order) out[i] = planTerm(env, args[i]);
  return out;
}

export function planTerm(env: Env, t: Term): Operand {
  const fb = env.fb;
  const pb = env.planner.pb;
  const cj = constJson(t);
  if (cj !== undefined) return pb.constJson(cj);
  switch (t.type) {
    case 'var': {
      const op = env.scope.get(t.name);
      if (op !== undefined) return op;
      const g = resolveName(env, t.name);
      if (g) return env.planner.planRef(env, g, []);
      throw new RegoError('REGO_UNSAFE_VAR', `var ${t.name.replace(/^\$/, '')} is unsafe`, t.loc);
    }
    case 'ref':
      return planRefTerm(env, t);
    case 'array': {
      const items = t.items.map((i) => planTerm(env, i));
      const arr = fb.local();
      fb.emit({ op: Op.MakeArray, capacity: items.length, target: arr });
      for (const v of items) fb.emit({ op: Op.ArrayAppend, array: arr, value: v });
      return arr;
    }
    case 'set': {
      const items = t.items.map((i) => planTerm(env, i));
      const set = fb.local();
      fb.emit({ op: Op.MakeSet, target: set });
      for (const v of items) fb.emit({ op: Op.SetAdd, set, value: v });
      return set;
    }
    case 'object': {
      const entries = t.entries.map(([k, v]) => [planTerm(env, k), planTerm(env, v)] as const);
      const obj = fb.local();
      fb.emit({ op: Op.MakeObject, target: obj });
      for (const [k, v] of entries) {
        fb.emit({ op: Op.ObjectInsertOnce, object: obj, key: k, value: v });
      }
      return obj;
    }
    case 'arraycomp':
    case 'setcomp':
    case 'objectcomp':
      return planComprehension(env, t);
    case 'call':
      return env.planner.planCall(env, t);
    case 'template':
      return planTemplate(env, t);
    default:
      throw new RegoError('REGO_COMPILE_ERROR', `unexpected term ${t.type}`, t.loc);
  }
}

function planComprehension(
  env: Env,
  t: Term & { type: 'arraycomp' | 'setcomp' | 'objectcomp' },
): Operand {
  const fb = env.fb;
  const res = fb.local();
  if (t.type === 'arraycomp') fb.emit({ op: Op.MakeArray, capacity: 0, target: res });
  else if (t.type === 'setcomp') fb.emit({ op: Op.MakeSet, target: res });
  else fb.emit({ op: Op.MakeObject, target: res });
  const inner = childEnv(env);
  const block = fb.subBlock();
  const outer = outerNames(env);
  // Vars of the head term are bound by the body: they count as used by it.
  fb.within(block, () =>
    planBody(inner, t.body, outer, () => {
      if (t.type === 'objectcomp') {
        const k = planTerm(inner, t.key);
        const v = planTerm(inner, t.value);
        fb.emit({ op: Op.ObjectInsertOnce, object: res, key: k, value: v });
      } else {
        const v = planTerm(inner, t.term);
        if (t.type === 'arraycomp') fb.emit({ op: Op.ArrayAppend, array: res, value: v });
        else fb.emit({ op: Op.SetAdd, set: res, value: v });
      }
    }),
  );
  return res;
}

function planTemplate(env: Env, t: Term & { type: 'template' }): Operand {
  const fb = env.fb;
  const pb = env.planner.pb;
  const arr = fb.local();
  fb.emit({ op: Op.MakeArray, capacity: t.parts.length, target: arr });
  t.parts.forEach((p, i) => {
    if (typeof p === 'string') {
      fb.emit({ op: Op.ArrayAppend, array: arr, value: pb.constValue(p) });
      return;
    }
    // An undefined embedded expression renders as <undefined> (OPA's template semantics).
    const v = fb.local();
    const b = fb.subBlock();
    fb.within(b, () => {
      const inner = childEnv(env);
      const withs = t.partWith?.[i];
      if (withs && withs.length > 0) {
        // `{x with input as y}`: plan `$tpl = x` under the modifiers, then read the binding.
        const tmp = `$tpl${i}`;
        const tv: VarTerm = { type: 'var', name: tmp, loc: t.loc };
        planExpr(inner, {
          kind: 'unify',
          left: tv,
          right: p,
          negated: false,
          with: withs,
          loc: t.loc,
        });
        fb.emit({ op: Op.Assign, source: inner.scope.get(tmp)!, target: v });
        return;
      }
      const op = planTerm(inner, p);
      fb.emit({ op: Op.Assign, source: op, target: v });
    });
    const u = fb.subBlock();
    fb.within(u, () => {
      fb.emit({ op: Op.IsUndefined, source: v });
      fb.emit({ op: Op.Assign, source: pb.constValue('<undefined>'), target: v });
    });
    fb.emit({ op: Op.ArrayAppend, array: arr, value: v });
  });
  const out = fb.local();
  fb.emit({
    op: Op.CallBuiltin,
    builtin: pb.builtin('internal.template_string', 1),
    args: [arr],
    target: out,
  });
  return out;
}

/** A ref: its head resolved (global path, local or composite), then each path element. */
function planRefTerm(env: Env, t: RefTerm): Operand {
  const head = t.head;
  if (head.type === 'var' && !env.scope.has(head.name)) {
    const g = resolveName(env, head.name);
    if (g) return env.planner.planRef(env, g, t.path);
    throw new RegoError('REGO_UNSAFE_VAR', `var ${head.name} is unsafe`, head.loc);
  }
  const src = planTerm(env, head);
  return planPath(env, src, t.path);
}

/** Dots/scans `src` along path elements: bound keys are looked up, unbound vars iterate. */
export function planPath(env: Env, src: Operand, path: Term[]): Operand {
  const fb = env.fb;
  let cur = src;
  for (const p of path) {
    if (!hasUnbound(env, p)) {
      const key = planTerm(env, p);
      const next = fb.local();
      fb.emit({ op: Op.Dot, source: cur, key, target: next });
      cur = next;
      continue;
    }
    const source = toLocal(env, cur);
    const k = fb.local();
    const v = fb.local();
    fb.enter((block) => ({ op: Op.Scan, source, key: k, value: v, block }));
    unifyOperand(env, p, k);
    cur = v;
  }
  return cur;
}

export function exprVars(env: Env, body: Body): Set<string> {
  const out = new Set<string>();
  for (const e of body) allVarsOfExpr(e, isGlobalIn(env), out);
  return out;
}
