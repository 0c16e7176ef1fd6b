// Terms and infix operators. Precedence, lowest first, as in OPA's parser (parseTermIn →
// parseTermRelation → parseTermOr → parseTermAnd → parseTermArith → parseTermFactor):
//   in (`x in xs`, `k, v in xs`)  <  == != < <= > >=  <  |  <  &  <  + -  <  * / %
// all left-associative. `:=` and `=` are not operators here: they join two terms into an
// expression (body.ts). Refs (`.name`, `[term]`) and calls (`f(…)`) bind tightest and must
// follow their head with no space between, as in OPA (`f (x)` is not a call).

import type { Body, Expr, NumberTerm, Term, TemplateString } from '../ast.ts';
import type { Token } from '../lexer.ts';
import { Cursor, describe, MAX_NESTING, type Fail } from './cursor.ts';

const BINARY: Record<string, [number, string]> = {
  '==': [1, 'equal'],
  '!=': [1, 'neq'],
  '<': [1, 'lt'],
  '<=': [1, 'lte'],
  '>': [1, 'gt'],
  '>=': [1, 'gte'],
  '|': [2, 'or'],
  '&': [3, 'and'],
  '+': [4, 'plus'],
  '-': [4, 'minus'],
  '*': [5, 'mul'],
  '/': [5, 'div'],
  '%': [5, 'rem'],
};

const MEMBER_2 = ['internal', 'member_2'];
const MEMBER_3 = ['internal', 'member_3'];

type CacheEntry =
  | { term: Term; wildBefore: number; wildAfter: number; end: number }
  | { error: Fail; wildBefore: number };

export abstract class TermParser extends Cursor {
  /** Terms parsed at a token index, so a fallback reading re-uses them instead of parsing
   *  again (OPA keeps the same cache); this keeps nested fallbacks linear. */
  private readonly cache = new Map<number, CacheEntry>();

  /** A body up to and including the closing token `end` (']' or '}'). */
  protected abstract parseBody(end: string): Body;
  /** One literal: `[not] expr [with …]`, `some …`, `every …`. */
  protected abstract parseLiteral(): Expr;
  /** Collections, comprehensions and template strings (collections.ts). */
  protected abstract parseArray(): Term;
  protected abstract parseSetOrObject(): Term;
  protected abstract parseTemplate(): TemplateString;

  /** The full term grammar. `keyVal` allows `k, v in xs` (not inside lists, where the comma
   *  separates items). */
  protected parseInfix(keyVal: boolean, lhs?: Term): Term {
    let left = lhs ?? this.parseBinary(1);
    if (keyVal && this.isOp(',')) {
      // `k, v in xs`, or a comma that belongs to someone else (`some x, y`).
      const r = this.attempt(() => {
        this.next();
        const mid = this.parseBinary(1);
        if (!this.isInOp()) this.fail('not a key-value membership');
        this.next();
        return this.call(MEMBER_3, [left, mid, this.parseBinary(1)], left);
      });
      if (r.ok) left = r.value;
    }
    let chain = 0;
    while (this.isInOp()) {
      this.chain(++chain);
      this.next();
      left = this.call(MEMBER_2, [left, this.parseBinary(1)], left);
    }
    return left;
  }

  /** `in` as the operator; not when a '.' or '[' follows directly: then, as in OPA, it is
   *  the name heading a ref (`in.foo contains "a"` on the next line). */
  private isInOp(): boolean {
    return this.isKw('in');
  }

  /** Precedence climbing over the binary operators of at least `minPrec`. */
  protected parseBinary(minPrec: number, lhs?: Term): Term {
    let left = lhs ?? this.parseTerm();
    let chain = 0;
    for (;;) {
      const op = this.binaryOp();
      if (!op || op[0] < minPrec) return left;
      this.chain(++chain);
      this.next();
      let right = this.parseTerm();
      for (let q = this.binaryOp(); q && q[0] > op[0]; q = this.binaryOp()) {
        right = this.parseBinary(q[0], right);
      }
      left = this.call([op[1]], [left, right], left);
    }
  }

  private binaryOp(): [number, string] | undefined {
    const t = this.tok();
    return t.kind === 'op' ? BINARY[t.text] : undefined;
  }

  /** Long operator chains nest the AST as deeply as brackets do. */
  private chain(n: number): void {
    if (this.depth + n > MAX_NESTING) this.fatal('nesting too deep');
  }

  protected call(fn: string[], args: Term[], at: Term): Term {
    return { type: 'call', fn, args, loc: at.loc };
  }

  /** One operand: a scalar, var, composite, comprehension, template, `( … )` or unary minus,
   *  followed by any ref and call suffixes. */
  protected parseTerm(): Term {
    const start = this.pos;
    const hit = this.cache.get(start);
    if (hit && hit.wildBefore === this.wildcards) {
      if ('error' in hit) throw hit.error;
      this.pos = hit.end;
      this.wildcards = hit.wildAfter;
      return hit.term;
    }
    const wildBefore = this.wildcards;
    let term: Term;
    try {
      this.enter();
      term = this.parsePostfix(this.parsePrimary());
      this.leave();
    } catch (e) {
      // A term that fails here fails wherever it is read from: remembering that keeps nested
      // fallbacks (`{a: x | {a: x | …`) from retrying it, which would be exponential.
      if (this.recoverable(e)) this.cache.set(start, { error: e, wildBefore });
      throw e;
    }
    this.cache.set(start, { term, wildBefore, wildAfter: this.wildcards, end: this.pos });
    return term;
  }

  private parsePrimary(): Term {
    const t = this.tok();
    const loc = this.locOf(t);
    switch (t.kind) {
      case 'ident':
        if (this.isName(t) || t.text === 'contains') {
          // `contains` is a keyword in rule heads only; elsewhere it is the builtin's name.
          this.next();
          return this.varTerm(t);
        }
        if (t.text === 'null' || t.text === 'true' || t.text === 'false') {
          this.next();
          return t.text === 'null'
            ? { type: 'null', loc }
            : { type: 'boolean', value: t.text === 'true', loc };
        }
        break;
      case 'number':
        this.next();
        return this.number(t, '');
      case 'string':
        this.next();
        return { type: 'string', value: t.text, loc };
      case 'template':
        if (t.tmplStart) return this.parseTemplate();
        break;
      case 'op':
        switch (t.text) {
          case '-':
            return this.parseNegation();
          case '.': {
            const n = this.ahead(1);
            if (n.kind === 'number' && !n.ws) {
              this.next();
              this.next();
              return this.number(n, '.', t);
            }
            break;
          }
          case '[':
            return this.parseArray();
          case '{':
            return this.parseSetOrObject();
          case '(': {
            this.next();
            const inner = this.parseInfix(true);
            this.expectOp(')');
            return inner;
          }
        }
    }
    return this.fail(`unexpected ${describe(t)}, expected expression`);
  }

  /** A literal's text is kept as written; `.5` becomes `0.5` so that it stays JSON. Leading
   *  zeros are rejected as by OPA ("01" is not a number). */
  private number(t: Token, prefix: '' | '-' | '.', at: Token = t): NumberTerm {
    const raw = t.text;
    if (!prefix.endsWith('.') && raw.length > 1 && raw[0] === '0' && /^0\d/.test(raw)) {
      this.fail(`invalid number ${raw}: leading zeros are not allowed`, t);
    }
    const exp = /[eE]([+-]?\d+)$/.exec(raw);
    if (exp && Math.abs(Number(exp[1])) > 30000) this.fail('number too big', t);
    const text = prefix === '.' ? `0.${raw}` : prefix === '-' ? `-${raw}` : raw;
    return { type: 'number', raw: text, loc: this.locOf(at) };
  }

  /** `-1` is a negative literal (OPA's parseNumber); `-x` is minus(0, x) (ast.ts). */
  private parseNegation(): Term {
    const minus = this.next();
    const t = this.tok();
    if (t.kind === 'number') {
      this.next();
      return this.number(t, '-', minus);
    }
    if (this.isOp('.') && this.ahead(1).kind === 'number' && !this.ahead(1).ws) {
      this.next();
      const n = this.next();
      const term = this.number(n, '.', minus);
      return { ...term, raw: `-${term.raw}` };
    }
    const operand = this.parseTerm();
    const zero: NumberTerm = { type: 'number', raw: '0', loc: this.locOf(minus) };
    return { type: 'call', fn: ['minus'], args: [zero, operand], loc: zero.loc };
  }

  /** `.name`, `[term]` and `(args)` directly after a term. */
  private parsePostfix(head: Term): Term {
    let path: Term[] = [];
    const first = this.tok();
    for (;;) {
      const t = this.tok();
      if (t.kind !== 'op' || t.ws) break;
      if (t.text === '.') {
        this.next();
        const n = this.tok();
        if (n.kind !== 'ident' || n.ws)
          this.fail(`unexpected ${describe(n)} after '.', expected a name`);
        this.next();
        path.push({ type: 'string', value: n.text, loc: this.locOf(n) });
      } else if (t.text === '[') {
        this.next();
        const key = this.parseInfix(true);
        this.expectOp(']');
        path.push(key);
      } else if (t.text === '(') {
        head = this.parseCall(this.makeRef(head, path, t), t);
        path = [];
      } else break;
    }
    return this.makeRef(head, path, first);
  }

  private makeRef(head: Term, path: Term[], at: Token): Term {
    if (path.length === 0) return head;
    switch (head.type) {
      case 'var':
      case 'array':
      case 'object':
      case 'set':
      case 'arraycomp':
      case 'setcomp':
      case 'objectcomp':
      case 'call':
        return { type: 'ref', head, path, loc: head.loc };
      case 'ref': // `(a.b).c` is a.b.c
        return { type: 'ref', head: head.head, path: [...head.path, ...path], loc: head.loc };
      default:
        return this.fail(`illegal ref: a ${head.type} cannot be indexed`, at);
    }
  }

  /** `name(args)`: the name is a var or a ref made of names (`object.get`, `data.lib.f`).
   *  `set()` is the empty set (OPA's set constructor). */
  private parseCall(callee: Term, open: Token): Term {
    let fn: string[] | undefined;
    if (callee.type === 'var') fn = [callee.name];
    else if (callee.type === 'ref' && callee.head.type === 'var') {
      const names = callee.path.map((p) => (p.type === 'string' ? p.value : undefined));
      if (names.every((n) => n !== undefined)) fn = [callee.head.name, ...(names as string[])];
    }
    if (!fn) this.fail("only functions can be called: expected a name before '('", open);
    this.next();
    const args = this.parseList(')');
    if (args.length === 0 && fn.length === 1 && fn[0] === 'set') {
      return { type: 'set', items: [], loc: callee.loc };
    }
    return { type: 'call', fn, args, loc: callee.loc };
  }

  /** Comma-separated terms up to and including `end`; a trailing comma is allowed. */
  protected parseList(end: string, items: Term[] = []): Term[] {
    for (;;) {
      if (this.isOp(end)) {
        this.next();
        return items;
      }
      items.push(this.parseInfix(false));
      if (this.isOp(',')) this.next();
      else if (!this.isOp(end))
        this.fail(`unexpected ${describe(this.tok())}, expected ',' or '${end}'`);
    }
  }
}
