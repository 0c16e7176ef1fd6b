// Collections, comprehensions and template strings. Where a `[` or `{` could open either a
// literal or a comprehension, OPA's parser reads the first item as a single term and decides
// on the token after it; `[a | b]` is then a comprehension, not `a or b` (OPA's parseArray /
// parseSetOrObject / parseObject, whose fallbacks are reproduced here).

import type { Body, Term, TemplateString } from '../ast.ts';
import { describe } from './cursor.ts';
import { TermParser } from './terms.ts';

export abstract class CollectionParser extends TermParser {
  protected parseArray(): Term {
    const loc = this.locOf(this.next());
    if (this.isOp(']')) {
      this.next();
      return { type: 'array', items: [], loc };
    }
    // A leading comma (`[, x]`) is accepted for compatibility, and rules out a comprehension.
    const maybeComp = !this.isOp(',');
    if (!maybeComp) this.next();
    const head = this.parseTerm();
    if (maybeComp && this.isOp('|')) {
      const comp = this.comprehension(']', (body) => ({
        type: 'arraycomp',
        term: head,
        body,
        loc,
      }));
      if (comp) return comp;
    }
    return { type: 'array', items: this.parseList(']', this.continueItem(head, ']')), loc };
  }

  /** Tries `| body end` as a comprehension. Like OPA, falls back to reading `|` as the `or`
   *  operator only when the body breaks off at a comma (`[a | b, c]`). */
  private comprehension(end: string, make: (body: Body) => Term): Term | undefined {
    const r = this.attempt(() => {
      this.next();
      return make(this.parseBody(end));
    });
    if (r.ok) return r.value;
    if (!this.isOp(',', this.toks[r.error.at])) throw r.error;
    return undefined;
  }

  /** The first item of a list, parsed as a single term so far, completed with any operators
   *  that follow; then the separator. */
  private continueItem(head: Term, end: string): Term[] {
    const item = this.parseInfix(false, this.parseBinary(1, head));
    if (this.isOp(',')) this.next();
    else if (!this.isOp(end))
      this.fail(`unexpected ${describe(this.tok())}, expected ',' or '${end}'`);
    return [item];
  }

  protected parseSetOrObject(): Term {
    const loc = this.locOf(this.next());
    if (this.isOp('}')) {
      this.next();
      return { type: 'object', entries: [], loc };
    }
    const maybeComp = !this.isOp(',');
    if (!maybeComp) this.next();
    let head = this.parseTerm();
    if (maybeComp && this.isOp('|')) {
      const comp = this.comprehension('}', (body) => ({ type: 'setcomp', term: head, body, loc }));
      if (comp) return comp;
    }
    if (!this.isOp(':')) {
      head = this.parseInfix(false, this.parseBinary(1, head));
      if (!this.isOp(':')) {
        return { type: 'set', items: this.parseList('}', this.continueItem(head, '}')), loc };
      }
    }
    return this.parseObject(head, maybeComp, loc);
  }

  private parseObject(key: Term, maybeComp: boolean, loc: Term['loc']): Term {
    this.expectOp(':');
    const before = this.save();
    const value = this.parseTerm();
    let compError;
    if (maybeComp && this.isOp('|')) {
      const r = this.attempt(() => {
        this.next();
        const body = this.parseBody('}');
        return { type: 'objectcomp', key, value, body, loc } as Term;
      });
      if (r.ok) return r.value;
      // OPA falls back to `value | …` as the `or` operator whenever the body fails.
      compError = r.error;
    }
    const r = this.attempt(() => {
      const first = this.parseInfix(false, this.parseBinary(1, value));
      if (this.isOp(',')) this.next();
      else if (!this.isOp('}'))
        this.fail(`unexpected ${describe(this.tok())}, expected ',' or '}'`);
      const entries: [Term, Term][] = [[key, first]];
      while (!this.isOp('}')) {
        const k = this.parseInfix(false);
        this.expectOp(':');
        const v = this.parseInfix(false);
        entries.push([k, v]);
        if (this.isOp(',')) this.next();
        else if (!this.isOp('}'))
          this.fail(`unexpected ${describe(this.tok())}, expected ',' or '}'`);
      }
      this.next();
      return { type: 'object', entries, loc } as Term;
    });
    if (r.ok) return r.value;
    this.restore(before);
    throw compError ? this.furthest(compError, r.error) : r.error;
  }

  /** `$"text {expr} text"`: the lexer has split the literal parts; each embedded expression
   *  is a literal as in OPA, but may not be negated, assign, unify, or be `some`/`every`. */
  protected parseTemplate(): TemplateString {
    let part = this.next();
    const tmpl: TemplateString = { type: 'template', parts: [], loc: this.locOf(part) };
    if (part.text) tmpl.parts.push(part.text);
    while (!part.tmplEnd) {
      const first = this.tok();
      const expr = this.parseLiteral();
      const what = expr.negated
        ? "negation ('not')"
        : expr.kind === 'unify'
          ? "unification ('=')"
          : expr.kind === 'assign'
            ? "assignment (':=')"
            : expr.kind === 'some' || expr.kind === 'somein'
              ? "'some'"
              : expr.kind === 'every'
                ? "'every'"
                : undefined;
      if (what || expr.kind !== 'term') {
        this.fail(`unexpected ${what ?? 'statement'} in template-string expression`, first);
      }
      if (expr.with.length > 0) (tmpl.partWith ??= {})[tmpl.parts.length] = expr.with;
      tmpl.parts.push(expr.term);
      part = this.tok();
      if (part.kind !== 'template' || part.tmplStart) {
        this.fail(`unexpected ${describe(part)}, expected '}' to end template-string expression`);
      }
      this.next();
      if (part.text) tmpl.parts.push(part.text);
    }
    return tmpl;
  }
}
