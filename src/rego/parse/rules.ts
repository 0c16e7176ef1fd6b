// Rule statements (OPA's parseRules / parseHead / parseElse, plus the Rego v1 checks of
// checkRegoV1Rule): `default`, complete and ref-head rules, `contains` rules, functions,
// `if` bodies (braced or a single literal), `else` chains and chained bodies `p if {…} {…}`.

import type { Body, ElseClause, Rule, Term } from '../ast.ts';
import type { Token } from '../lexer.ts';
import { BodyParser } from './body.ts';
import { describe, isGround } from './cursor.ts';

interface Head {
  ref: Term[];
  args?: Term[];
}

const OPERATOR_AFTER_NAME = new Set('+ - * / % & | == != < <= > >='.split(' '));

export abstract class RuleParser extends BodyParser {
  /** Rego v0 rules: bodies without `if`, `p[x] { … }` partial sets (OPA 1.x --v0-compatible). */
  protected v0 = false;

  /** One rule statement; chained bodies (`p if {…} {…}`) make several rules. */
  protected parseRules(): Rule[] {
    const first = this.tok();
    const loc = this.locOf(first);
    const isDefault = this.isKw('default');
    if (isDefault) this.next();
    const head = this.parseHead();
    const rule: Rule = {
      loc,
      default: isDefault,
      kind: 'complete',
      ref: head.ref,
      assign: false,
      body: [],
    };
    if (head.args) {
      rule.kind = 'function';
      rule.args = head.args;
    }
    const name = showHead(rule);

    if (this.isKw('contains')) {
      if (head.args) {
        this.fail(
          `the contains keyword can only be used with multi-value rule definitions (e.g., ${name} contains <VALUE> { ... })`,
        );
      }
      this.next();
      rule.kind = 'multi';
      rule.key = this.parseInfix(true);
    } else if (this.isOp(':=') || this.isOp('=')) {
      rule.assign = this.next().text === ':=';
      rule.value = this.parseInfix(true);
    }

    if (isDefault) return [this.finishDefault(rule, first)];

    // Rego v0 (OPA's parseHead): a two-term head without a value is a partial set, `p[x]`
    // (and `p.q`, the set holding "q").
    if (
      this.v0 &&
      rule.kind === 'complete' &&
      rule.value === undefined &&
      rule.ref.length === 2 &&
      !this.isKw('else')
    ) {
      rule.kind = 'multi';
      rule.key = rule.ref[1];
      rule.ref = [rule.ref[0]];
    }

    if (this.isKw('if')) {
      this.next();
      rule.body = this.parseIfBody();
    } else if (this.isOp('{') && this.v0) {
      this.next();
      rule.body = this.parseBody('}');
    } else if (this.isOp('{')) {
      this.fail(this.missingIf(rule), first);
    } else {
      // A function head alone (`f("")`, v0 `f("RunAsAny", _)`) has the value true (OPA's
      // parseHead); in v1 only with arguments naming no variable, or the head binds nothing.
      const constFunction =
        rule.kind === 'function' && (this.v0 || (rule.args ?? []).every((a) => !namesVar(a)));
      if (rule.value === undefined && rule.kind !== 'multi' && !constFunction)
        this.fail(this.missingValue(rule), first);
      return [rule];
    }

    if (this.isKw('else')) {
      if (rule.ref.slice(1).some((t) => !isGround(t))) {
        this.fail('else keyword cannot be used on rules with variables in head');
      }
      if (rule.kind === 'multi') this.fail('else keyword cannot be used on multi-value rules');
      rule.else = this.parseElses();
    }

    const rules = [rule];
    while (this.isOp('{')) {
      if (rule.else) this.fail('expected else keyword');
      const open = this.next();
      rules.push({ ...this.copyHead(rule), loc: this.locOf(open), body: this.parseBody('}') });
    }
    return rules;
  }

  /** `name`, `a.b[c]`, `f(x, y)`, `a.b.f(x)`. As in OPA, space may separate the name from
   *  the first '.', '[' or '('; the rest of the ref must be written without. */
  private parseHead(): Head {
    const t = this.tok();
    if (!this.isName(t))
      this.fail(`unexpected ${describe(t)}, expected a rule, import or end of file`);
    this.next();
    const ref: Term[] = [this.varTerm(t)];
    for (let firstSuffix = true; ; firstSuffix = false) {
      const s = this.tok();
      if (s.kind !== 'op' || (s.ws && !firstSuffix)) return { ref };
      if (s.text === '.') {
        this.next();
        const n = this.tok();
        if (n.kind !== 'ident' || n.ws)
          this.fail(`unexpected ${describe(n)} after '.', expected a name`);
        this.next();
        ref.push({ type: 'string', value: n.text, loc: this.locOf(n) });
      } else if (s.text === '[') {
        this.next();
        ref.push(this.parseInfix(true));
        this.expectOp(']');
      } else if (s.text === '(') {
        this.next();
        return { ref, args: this.parseList(')') };
      } else if (OPERATOR_AFTER_NAME.has(s.text)) {
        return this.fail(`unexpected ${describe(s)} in rule head`);
      } else return { ref };
    }
  }

  /** After `if`: a braced body, or one literal (OPA reads `{ … }` as a body when it would
   *  otherwise be a set literal, which is always true). */
  private parseIfBody(): Body {
    const before = this.save();
    const r = this.attempt(() => this.parseLiteral());
    if (r.ok) {
      if (!(r.value.kind === 'term' && r.value.term.type === 'set')) return [r.value];
      this.restore(before);
    }
    if (!this.isOp('{')) {
      if (!r.ok) throw r.error;
      this.fail(`unexpected ${describe(this.tok())}, expected a rule body`);
    }
    const b = this.attempt(() => {
      this.next();
      return this.parseBody('}');
    });
    if (b.ok) return b.value;
    throw r.ok ? b.error : this.furthest(b.error, r.error);
  }

  /** `else [= v | := v] [if] [{ body } | literal]`, repeated. */
  private parseElses(): ElseClause[] {
    const elses: ElseClause[] = [];
    while (this.isKw('else')) {
      const clause: ElseClause = { loc: this.locOf(this.next()), body: [] };
      if (this.isOp(':=') || this.isOp('=')) {
        this.next();
        clause.value = this.parseInfix(true);
      } else if (!this.isOp('{') && !this.isKw('if') && !this.v0) {
        this.fail(`unexpected ${describe(this.tok())}, expected else value term or rule body`);
      }
      const hasIf = this.isKw('if');
      if (hasIf) this.next();
      if (this.isOp('{')) {
        this.next();
        clause.body = this.parseBody('}');
      } else if (hasIf) {
        if (this.tok().kind === 'eof') this.fail('unexpected end of file, expected a rule body');
        clause.body = [this.parseLiteral()];
      }
      elses.push(clause);
    }
    return elses;
  }

  private finishDefault(rule: Rule, first: Token): Rule {
    if (rule.value === undefined) this.fail('illegal default rule (must have a value)', first);
    const bad = firstNonConstant(rule.value);
    if (bad) this.fail(`illegal default rule (value cannot contain ${bad})`, first);
    const seen = new Set<string>();
    for (const a of rule.args ?? []) {
      if (a.type !== 'var')
        this.fail(`illegal default rule (arguments cannot contain ${a.type})`, first);
      if (seen.has(a.name))
        this.fail(`illegal default rule (arguments cannot be repeated ${a.name})`, first);
      seen.add(a.name);
    }
    if (this.isKw('if') || this.isOp('{')) this.fail('default rules cannot have a body');
    return rule;
  }

  /** Rego v1 requires `if` before a body, and `contains` for a partial set (OPA 1.x errors
   *  "`if` keyword is required before rule body", "`contains` keyword is required …"). */
  private missingIf(rule: Rule): string {
    const what = rule.kind === 'function' ? 'function' : 'rule';
    const name = showHead(rule);
    const partialSet =
      rule.kind === 'complete' && rule.value === undefined && rule.ref.length === 2;
    if (partialSet) {
      const key = show(rule.ref[1]);
      return `\`if\` keyword is required before rule body and \`contains\` keyword is required for partial set rules (Rego v1: write \`${show(rule.ref[0])} contains ${key} if { … }\`)`;
    }
    return `\`if\` keyword is required before ${what} body (Rego v1: write \`${name} if { … }\`)`;
  }

  private missingValue(rule: Rule): string {
    if (rule.kind === 'function')
      return 'function must have value assignment and/or body declaration';
    if (rule.ref.length === 2) {
      return `\`contains\` keyword is required for partial set rules (Rego v1: write \`${show(rule.ref[0])} contains ${show(rule.ref[1])}\`)`;
    }
    return `rule must have value assignment and/or body declaration (write \`${showHead(rule)} := <value>\` or \`${showHead(rule)} if { … }\`)`;
  }

  /** A copy of a rule's head for a chained body; wildcard arguments get fresh names, as OPA
   *  gives each chained rule its own. */
  private copyHead(rule: Rule): Rule {
    const copy = structuredClone({ ...rule, else: undefined, body: [] as Body }) as Rule;
    delete copy.else;
    copy.args = copy.args?.map((a) =>
      a.type === 'var' && a.name.startsWith('$_') ? this.wildcard(a.loc) : a,
    );
    if (!copy.args) delete copy.args;
    return copy;
  }
}

const KIND_NAMES: Partial<Record<Term['type'], string>> = {
  var: 'var',
  ref: 'ref',
  call: 'call',
  template: 'template string',
};

/** Default values must be constants; comprehensions are closures and exempt (OPA's
 *  validateDefaultRuleValue). */
function firstNonConstant(t: Term): string | undefined {
  const kind = KIND_NAMES[t.type];
  if (kind) return kind;
  switch (t.type) {
    case 'array':
    case 'set':
      for (const i of t.items) {
        const k = firstNonConstant(i);
        if (k) return k;
      }
      return undefined;
    case 'object':
      for (const [k, v] of t.entries) {
        const bad = firstNonConstant(k) ?? firstNonConstant(v);
        if (bad) return bad;
      }
      return undefined;
    default:
      return undefined;
  }
}

/** Whether a term mentions a named (non-wildcard) variable. */
function namesVar(t: Term): boolean {
  switch (t.type) {
    case 'var':
      return !t.name.startsWith('$_');
    case 'array':
    case 'set':
      return t.items.some(namesVar);
    case 'object':
      return t.entries.some(([k, v]) => namesVar(k) || namesVar(v));
    case 'ref':
    case 'call':
      return true;
    default:
      return false;
  }
}

/** A short rendering of a head term for messages. */
function show(t: Term): string {
  switch (t.type) {
    case 'var':
      return t.name.startsWith('$_') ? '_' : t.name;
    case 'string':
      return JSON.stringify(t.value);
    case 'number':
      return t.raw;
    default:
      return '<term>';
  }
}

function showHead(rule: Rule): string {
  const [head, ...path] = rule.ref;
  let s = show(head);
  for (const p of path)
    s += p.type === 'string' && /^[A-Za-z_]\w*$/.test(p.value) ? `.${p.value}` : `[${show(p)}]`;
  return rule.args ? `${s}(…)` : s;
}
