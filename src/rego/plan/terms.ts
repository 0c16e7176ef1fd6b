// Terms: constants, variables, refs (dot and scan), composites, calls, comprehensions and
// template strings, each planned to an operand (a local or a constant).

import type { RefTerm, Term, VarTerm } from '../ast.ts';
import { Op, type Local, type Operand } from '../ir.ts';
import { RegoError } from '../errors.ts';
import { isConst } from './builder.ts';
import { childEnv, outerNames, planBody, planExpr, resolveName, type Env } from './body.ts';
import { hasUnbound, isUnboundVar, unifyOperand } from './unify.ts';

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
