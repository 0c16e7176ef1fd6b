// Bodies and literals (OPA's parseQuery / parseLiteral / parseSome / parseEvery / parseWith).
// A body is literals separated by ';' or newlines; a literal is `[not] expr [with … as …]…`,
// `some …` or `every … { … }`, and an expr is a term, `a = b` or `a := b`.

import type { Body, Every, Expr, SomeDecl, SomeIn, Term, VarTerm, With } from '../ast.ts';
import { describe } from './cursor.ts';
import { CollectionParser } from './collections.ts';

export abstract class BodyParser extends CollectionParser {
  protected parseBody(end: string): Body {
    this.enter();
    if (this.isOp(end)) this.fail(`found empty body: expected an expression before '${end}'`);
    const body: Body = [];
    for (;;) {
      body.push(this.parseLiteral());
      const t = this.tok();
      if (this.isOp(';', t)) {
        this.next();
        continue;
      }
      if (this.isOp(end, t)) {
        this.next();
        this.leave();
        return body;
      }
      if (!t.nl || t.kind === 'eof') {
        this.fail(`unexpected ${describe(t)}, expected newline, ';' or '${end}'`);
      }
    }
  }

  protected parseLiteral(): Expr {
    const first = this.tok();
    const loc = this.locOf(first);
    let negated = false;
    if (this.isKw('not')) {
      this.next();
      negated = true;
    }
    if (this.isKw('some') || this.isKw('every')) {
      const word = this.tok().text;
      if (negated) this.fail(`illegal negation of '${word}'`);
      const expr = word === 'some' ? this.parseSome(loc) : this.parseEvery(loc);
      if (expr.kind !== 'some' && this.isKw('with')) expr.with = this.parseWith();
      return expr;
    }
    const lhs = this.parseInfix(true);
    let expr: Expr;
    if (this.isOp(':=') || this.isOp('=')) {
      const kind = this.next().text === ':=' ? 'assign' : 'unify';
      const right = this.parseInfix(true);
      expr = { kind, left: lhs, right, loc, negated, with: [] };
    } else {
      expr = { kind: 'term', term: lhs, loc, negated, with: [] };
    }
    if (this.isKw('with')) expr.with = this.parseWith();
    return expr;
  }

  /** `with target as value`, repeated. The target is input/data (a ref or the bare var) or a
   *  function name; OPA's parser requires an identifier first. */
  protected parseWith(): With[] {
    const withs: With[] = [];
    while (this.isKw('with')) {
      const loc = this.locOf(this.next());
      const t = this.tok();
      if (t.kind !== 'ident' || !this.isName(t)) {
        this.fail(`unexpected ${describe(t)} after 'with', expected a target such as input.x`);
      }
      const target = this.parseTerm();
      if (target.type !== 'var' && target.type !== 'ref') {
        this.fail('expected with target path (input, data or a function name)', t);
      }
      if (!this.isKw('as')) this.fail(`unexpected ${describe(this.tok())}, expected 'as'`);
      this.next();
      withs.push({ target, value: this.parseInfix(true), loc });
    }
    return withs;
  }

  /** `some x in xs`, `some k, v in xs`, or the declaration `some x, y`. Like OPA, the first
   *  reading is tried first and the declaration is the fallback. */
  private parseSome(loc: Expr['loc']): SomeIn | SomeDecl {
    this.next();
    const afterSome = this.save();
    const first = this.tok();
    const r = this.attempt(() => this.parseInfix(true));
    if (r.ok && r.value.type === 'call') {
      const { fn, args } = r.value;
      const name = fn.join('.');
      if (name === 'internal.member_2') {
        return {
          kind: 'somein',
          value: args[0],
          collection: args[1],
          loc,
          negated: false,
          with: [],
        };
      }
      if (name === 'internal.member_3') {
        const [key, value, collection] = args;
        return { kind: 'somein', key, value, collection, loc, negated: false, with: [] };
      }
      this.fail('expected `x in xs`, `k, v in xs` or variable names after some', first);
    }
    this.restore(afterSome);
    const vars: VarTerm[] = [];
    for (;;) {
      const t = this.tok();
      if (t.kind !== 'ident' || this.kw.has(t.text)) {
        if (!r.ok) throw r.error;
        this.fail(`unexpected ${describe(t)}, expected a variable name after some`);
      }
      this.next();
      vars.push(this.varTerm(t));
      if (!this.isOp(',')) break;
      this.next();
    }
    // `some x in <broken>`: the membership reading's error is the one that helps.
    if (!r.ok && this.isKw('in')) throw r.error;
    return { kind: 'some', vars, loc, negated: false, with: [] };
  }

  private parseEvery(loc: Expr['loc']): Every {
    this.next();
    const domain = this.parseInfix(true);
    const shape = 'expected `x in xs { … }` or `k, v in xs { … }` after every';
    if (domain.type !== 'call') this.fail(shape);
    const name = domain.fn.join('.');
    let key: Term | undefined;
    let value: Term;
    let coll: Term;
    if (name === 'internal.member_2') [value, coll] = domain.args;
    else if (name === 'internal.member_3') [key, value, coll] = domain.args;
    else return this.fail(shape);
    if (key && key.type !== 'var') this.fail('expected the key of every to be a variable');
    if (value.type !== 'var') this.fail('expected the value of every to be a variable');
    if (!this.isOp('{'))
      this.fail(`unexpected ${describe(this.tok())}, expected '{' (every needs a body)`);
    this.next();
    const body = this.parseBody('}');
    const every: Every = {
      kind: 'every',
      value,
      domain: coll,
      body,
      loc,
      negated: false,
      with: [],
    };
    if (key) every.key = key as VarTerm;
    return every;
  }
}
