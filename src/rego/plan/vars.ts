// Variable analysis for rule bodies: which variables an expression needs bound before it can
// run (inputs) and which it binds (outputs), and the reordering of a body so that every
// expression runs after the ones binding its inputs. OPA does the same at compile time
// ("reorderBodyForSafety" in ast/compile.go): Rego bodies are conjunctions, so order is the
// planner's choice; a variable that no ordering can bind is an unsafe variable, a compile error.

import type { Body, CallTerm, Expr, Term } from '../ast.ts';
import { RegoError } from '../errors.ts';
import { builtinArity } from './builtin-table.ts';

/** Decides whether a name in a body refers to something global (input, data, an import,
 *  a rule of the package) rather than to a body variable. */
export type IsGlobal = (name: string) => boolean;

/** Arity of the function a call names (builtin or user function), if known. A call with one
 *  argument more than the arity is relational: its last argument is an output. */
export type ArityOf = (t: CallTerm) => number | undefined;
let arityOf: ArityOf = () => undefined;
/** Installs the arity oracle of the compilation in progress (compilation is synchronous). */
export function setArityOracle(f: ArityOf): void {
  arityOf = f;
}

interface Uses {
  plain: Set<string>; // must be bound before the expression runs
  refPath: Set<string>; // bound by iterating a collection (outputs)
  closures: Term[]; // comprehensions whose free variables need the outer binding
}

function newUses(): Uses {
  return { plain: new Set(), refPath: new Set(), closures: [] };
}

export function collectTerm(t: Term, isGlobal: IsGlobal, u: Uses, inPath = false): void {
  switch (t.type) {
    case 'var':
      if (!isGlobal(t.name)) (inPath ? u.refPath : u.plain).add(t.name);
      return;
    case 'ref':
      collectTerm(t.head, isGlobal, u, false);
      for (const p of t.path) collectTerm(p, isGlobal, u, true);
      return;
    case 'array':
    case 'set':
      for (const i of t.items) collectTerm(i, isGlobal, u, inPath);
      return;
    case 'object':
      for (const [k, v] of t.entries) {
        collectTerm(k, isGlobal, u, inPath);
        collectTerm(v, isGlobal, u, inPath);
      }
      return;
    case 'call':
      for (const a of t.args) collectTerm(a, isGlobal, u, false);
      return;
    case 'template':
      for (const p of t.parts) if (typeof p !== 'string') collectTerm(p, isGlobal, u, false);
      return;
    case 'arraycomp':
    case 'setcomp':
    case 'objectcomp':
      u.closures.push(t);
      return;
    default:
      return;
  }
}

/** Every variable name occurring anywhere in a term, closures included. */
export function allVarsOfTerm(t: Term, isGlobal: IsGlobal, out: Set<string>): void {
  const u = newUses();
  collectTerm(t, isGlobal, u);
  for (const v of u.plain) out.add(v);
  for (const v of u.refPath) out.add(v);
  for (const c of u.closures) {
    if (c.type === 'arraycomp' || c.type === 'setcomp') allVarsOfTerm(c.term, isGlobal, out);
    if (c.type === 'objectcomp') {
      allVarsOfTerm(c.key, isGlobal, out);
      allVarsOfTerm(c.value, isGlobal, out);
    }
    if ('body' in c) for (const e of c.body) allVarsOfExpr(e, isGlobal, out);
  }
}

export function allVarsOfExpr(e: Expr, isGlobal: IsGlobal, out: Set<string>): void {
  switch (e.kind) {
    case 'term':
      allVarsOfTerm(e.term, isGlobal, out);
      break;
    case 'unify':
    case 'assign':
      allVarsOfTerm(e.left, isGlobal, out);
      allVarsOfTerm(e.right, isGlobal, out);
      break;
    case 'some':
      for (const v of e.vars) out.add(v.name);
      break;
    case 'somein':
      if (e.key) allVarsOfTerm(e.key, isGlobal, out);
      allVarsOfTerm(e.value, isGlobal, out);
      allVarsOfTerm(e.collection, isGlobal, out);
      break;
    case 'every':
      allVarsOfTerm(e.domain, isGlobal, out);
      for (const b of e.body) allVarsOfExpr(b, isGlobal, out);
      if (e.key) out.add(e.key.name);
      out.add(e.value.name);
      break;
  }
  for (const w of e.with) allVarsOfTerm(w.value, isGlobal, out);
}

/** Variables of a term that unification with a known value can bind: all of them when the
 *  term is a pattern (var / array / object of patterns), none inside calls. */
function patternVars(t: Term, isGlobal: IsGlobal, out: Set<string>): void {
  if (t.type === 'var') {
    if (!isGlobal(t.name)) out.add(t.name);
  } else if (t.type === 'array') {
    for (const i of t.items) patternVars(i, isGlobal, out);
  } else if (t.type === 'object') {
    for (const [, v] of t.entries) patternVars(v, isGlobal, out);
  }
}

export interface Analysis {
  inputs: Set<string>;
  outputs: Set<string>;
}

/**
 * Inputs and outputs of one expression given the variables bound so far and the names that
 * belong to enclosing scopes (for closures: only those are inputs; the rest are local).
 */
export function analyze(
  e: Expr,
  bound: Set<string>,
  outer: Set<string>,
  isGlobal: IsGlobal,
): Analysis {
  const u = newUses();
  const outputs = new Set<string>();
  const addClosureInputs = (inputs: Set<string>) => {
    for (const c of u.closures) {
      const vs = new Set<string>();
      allVarsOfTerm(c, isGlobal, vs);
      const local = declaredIn(c);
      for (const v of vs) if ((outer.has(v) || bound.has(v)) && !local.has(v)) inputs.add(v);
    }
  };
  const inputsFrom = () => {
    const inputs = new Set<string>();
    for (const v of u.plain) if (!outputs.has(v)) inputs.add(v);
    addClosureInputs(inputs);
    for (const w of e.with) {
      // `with count as mock_count`: a value naming a builtin is a function, not a variable.
      if (w.value.type === 'var' && builtinArity(w.value.name) !== undefined) continue;
      if (
        w.value.type === 'ref' &&
        w.value.head.type === 'var' &&
        w.value.path.every((p) => p.type === 'string')
      ) {
        const dotted = [
          w.value.head.name,
          ...w.value.path.map((p) => (p as Term & { type: 'string' }).value),
        ].join('.');
        if (builtinArity(dotted) !== undefined) continue;
      }
      const wu = newUses();
      collectTerm(w.value, isGlobal, wu);
      for (const v of wu.plain) inputs.add(v);
      // `with input.x as xs[_]` iterates: OPA evaluates the value before the expression
      // (rewriteWithModifiers), so a key it ranges over is bound by it.
      for (const v of wu.refPath) (bound.has(v) ? inputs : outputs).add(v);
    }
    return inputs;
  };

  if (e.negated) {
    // A negated expression binds nothing: whatever its positive form would bind must already
    // be bound, except wildcards, which are existentially quantified inside the negation.
    const pos = analyze({ ...e, negated: false }, bound, outer, isGlobal);
    const inputs = new Set(pos.inputs);
    for (const v of pos.outputs) if (!v.startsWith('$_')) inputs.add(v);
    return { inputs, outputs };
  }

  switch (e.kind) {
    case 'some':
      return { inputs: new Set(), outputs };
    case 'term':
      collectTerm(e.term, isGlobal, u);
      for (const v of u.refPath) outputs.add(v);
      if (e.term.type === 'call') callOutputs(e.term, isGlobal, outputs);
      return { inputs: inputsFrom(), outputs };
    case 'every': {
      collectTerm(e.domain, isGlobal, u);
      for (const v of u.refPath) outputs.add(v);
      const inputs = inputsFrom();
      const vs = new Set<string>();
      for (const b of e.body) allVarsOfExpr(b, isGlobal, vs);
      for (const v of vs) if (outer.has(v) || bound.has(v)) inputs.add(v);
      if (e.key) inputs.delete(e.key.name);
      inputs.delete(e.value.name);
      return { inputs, outputs: new Set() };
    }
    case 'somein': {
      collectTerm(e.collection, isGlobal, u);
      for (const v of u.refPath) outputs.add(v);
      if (e.key) patternVars(e.key, isGlobal, outputs);
      patternVars(e.value, isGlobal, outputs);
      const inputs = inputsFrom();
      // Non-pattern parts of key/value (e.g. a call) must be bound.
      return { inputs, outputs };
    }
    case 'assign':
    case 'unify': {
      collectTerm(e.left, isGlobal, u);
      collectTerm(e.right, isGlobal, u);
      for (const v of u.refPath) outputs.add(v);
      // Fixpoint: a side can bind its pattern vars once the other side is computable.
      for (;;) {
        const before = outputs.size;
        unifyOutputs(e.left, e.right, bound, outputs, isGlobal);
        unifyOutputs(e.right, e.left, bound, outputs, isGlobal);
        if (outputs.size === before) break;
      }
      if (e.left.type === 'call') callOutputs(e.left, isGlobal, outputs);
      if (e.right.type === 'call') callOutputs(e.right, isGlobal, outputs);
      return { inputs: inputsFrom(), outputs };
    }
  }
}

/** A relational call `f(a, b, out)` binds the vars of its extra last argument. */
function callOutputs(t: Term & { type: 'call' }, isGlobal: IsGlobal, out: Set<string>): void {
  const arity = arityOf(t);
  if (arity !== undefined && t.args.length === arity + 1) {
    patternVars(t.args[t.args.length - 1], isGlobal, out);
  }
  // Calls nested in arguments may be relational too (`x := f(g(1, y))` is not, but OPA
  // accepts output args only at the top of an expression).
}

function computable(
  t: Term,
  bound: Set<string>,
  outputs: Set<string>,
  isGlobal: IsGlobal,
): boolean {
  const vs = new Set<string>();
  allVarsOfTerm(t, isGlobal, vs);
  const u = newUses();
  collectTerm(t, isGlobal, u);
  for (const v of u.plain) if (!bound.has(v) && !outputs.has(v)) return false;
  return true;
}

function unifyOutputs(
  a: Term,
  b: Term,
  bound: Set<string>,
  outputs: Set<string>,
  isGlobal: IsGlobal,
): void {
  if (a.type === 'var' && !isGlobal(a.name) && !bound.has(a.name)) {
    if (computable(b, bound, outputs, isGlobal)) outputs.add(a.name);
    return;
  }
  if (a.type === 'array' && b.type === 'array' && a.items.length === b.items.length) {
    a.items.forEach((x, i) => {
      unifyOutputs(x, b.items[i], bound, outputs, isGlobal);
    });
    return;
  }
  if (a.type === 'array' || a.type === 'object') {
    if (b.type !== 'array' && b.type !== 'object' && computable(b, bound, outputs, isGlobal))
      patternVars(a, isGlobal, outputs);
    if (a.type === 'object' && b.type === 'object') {
      for (const [k, v] of a.entries) {
        const other = b.entries.find(
          ([k2]) => JSON.stringify(stripLoc(k2)) === JSON.stringify(stripLoc(k)),
        );
        if (other) unifyOutputs(v, other[1], bound, outputs, isGlobal);
      }
    }
  }
}

export function stripLoc(t: Term): unknown {
  return JSON.parse(JSON.stringify(t, (k, v) => (k === 'loc' ? undefined : v)));
}

/**
 * Orders a body so each expression's inputs are bound by earlier ones, keeping the written
 * order wherever it already works. `bound` holds the variables bound on entry (function
 * arguments, enclosing scopes); on return it also holds everything the body binds.
 */
export function reorder(
  body: Body,
  bound: Set<string>,
  outer: Set<string>,
  isGlobal: IsGlobal,
): Expr[] {
  const pending = body.slice();
  const out: Expr[] = [];
  while (pending.length > 0) {
    let picked = -1;
    for (let i = 0; i < pending.length; i++) {
      const a = analyze(pending[i], bound, outer, isGlobal);
      let ok = true;
      for (const v of a.inputs) if (!bound.has(v)) ok = false;
      if (ok) {
        picked = i;
        for (const v of a.outputs) bound.add(v);
        break;
      }
    }
    if (picked < 0) {
      const e = pending[0];
      const a = analyze(e, bound, outer, isGlobal);
      const unsafe = [...a.inputs].filter((v) => !bound.has(v)).map((v) => v.replace(/^\$/, ''));
      throw new RegoError('REGO_UNSAFE_VAR', `var ${unsafe.join(', ')} is unsafe`, e.loc);
    }
    out.push(pending.splice(picked, 1)[0]);
  }
  return out;
}

/** Variables a comprehension's body declares (`some x`, `some x in xs`, `x := …`): they are
 *  its own even when the enclosing body has a variable of the same name (OPA's
 *  rewriteLocalVars gives them fresh names), so they are not inputs of the closure. */
export function declaredIn(c: Term): Set<string> {
  const out = new Set<string>();
  if (!('body' in c)) return out;
  for (const e of c.body) {
    if (e.kind === 'some') for (const v of e.vars) out.add(v.name);
    else if (e.kind === 'somein') {
      for (const t of e.key ? [e.key, e.value] : [e.value]) allVarsOfTerm(t, () => false, out);
    } else if (e.kind === 'assign') allVarsOfTerm(e.left, () => false, out);
  }
  return out;
}

/** Variables a body mentions outside its closures: closures in the body that mention one of
 *  them use the outer binding, so it must be bound before the closure runs. */
export function bodyLevelVars(body: Body, isGlobal: IsGlobal): Set<string> {
  const out = new Set<string>();
  for (const e of body) {
    const u = newUses();
    const terms: Term[] = [];
    if (e.kind === 'term') terms.push(e.term);
    if (e.kind === 'unify' || e.kind === 'assign') terms.push(e.left, e.right);
    if (e.kind === 'somein') terms.push(...(e.key ? [e.key] : []), e.value, e.collection);
    if (e.kind === 'every') terms.push(e.domain);
    for (const t of terms) collectTerm(t, isGlobal, u);
    for (const v of u.plain) out.add(v);
    for (const v of u.refPath) out.add(v);
  }
  return out;
}
