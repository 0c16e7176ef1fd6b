// The parser's position in the token list, plus what every stage shares: error reporting,
// backtracking (save/restore/attempt), wildcard numbering and the nesting guard.
//
// Backtracking mirrors the few places where OPA's parser tries one reading and falls back to
// another (`[x | …]` comprehension or array, `some x in xs` or `some x, y`, `p if <literal>` or
// `p if { … }`). A failed reading throws a Fail, which is caught and discarded; errors that no
// other reading can fix (lexical errors, nesting too deep) are fatal and always propagate. Of
// two failed readings, the one that got further through the input is reported. A Fail is not
// an Error (capturing a stack per discarded attempt would cost more than the parse itself);
// the parser's entry point turns the one that escapes into a RegoError.

import type { Loc, Term, VarTerm } from '../ast.ts';
import { RegoError } from '../errors.ts';
import { KEYWORDS, type Token } from '../lexer.ts';

/** Deeper nesting than this is rejected: real policies nest a dozen levels at most, and the
 *  recursive descent must never reach the JS stack limit. */
export const MAX_NESTING = 200;

/** A parse failure at token index `at`. */
export class Fail {
  constructor(
    readonly message: string,
    readonly at: number,
    readonly fatal: boolean,
  ) {}
}

export interface Saved {
  pos: number;
  wild: number;
  depth: number;
}

export class Cursor {
  protected pos = 0;
  private wild = 0;
  protected depth = 0;
  /** The words that are keywords here: all of KEYWORDS in Rego v1; in a v0 module the four
   *  former future keywords only once imported (`import future.keywords.in`, `import rego.v1`). */
  protected kw: Set<string> = new Set(KEYWORDS);

  constructor(
    protected readonly file: string,
    protected readonly toks: Token[],
  ) {}

  /** The current token; reaching a lexical error reports it. */
  protected tok(): Token {
    const t = this.toks[this.pos];
    if (t.kind === 'error') throw new Fail(t.text, this.pos, true);
    return t;
  }

  /** The token `k` places ahead, without reporting errors (lookahead only). */
  protected ahead(k: number): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)];
  }

  protected next(): Token {
    const t = this.tok();
    if (t.kind !== 'eof') this.pos++;
    return t;
  }

  protected locOf(t: Token): Loc {
    return { file: this.file, line: t.line, col: t.col };
  }

  protected loc(): Loc {
    return this.locOf(this.tok());
  }

  protected isOp(text: string, t: Token = this.tok()): boolean {
    return t.kind === 'op' && t.text === text;
  }

  /** A keyword in keyword position: not one used as the first name of a ref (`else.x`). */
  protected isKw(word: string, t: Token = this.tok()): boolean {
    return t.kind === 'ident' && t.text === word && this.kw.has(word) && !this.startsRef(t);
  }

  /** OPA allows keywords as the first name of a ref when a '.' or '[' follows directly. */
  protected startsRef(t: Token): boolean {
    const n = this.toks[this.indexOf(t) + 1];
    return n !== undefined && n.kind === 'op' && !n.ws && (n.text === '.' || n.text === '[');
  }

  /** The current token names something: an identifier, or a keyword used as a ref head. */
  protected isName(t: Token = this.tok()): boolean {
    return t.kind === 'ident' && (!this.kw.has(t.text) || this.startsRef(t));
  }

  protected expectOp(text: string, what = `'${text}'`): Token {
    const t = this.tok();
    if (!this.isOp(text, t)) this.fail(`unexpected ${describe(t)}, expected ${what}`);
    return this.next();
  }

  protected fail(message: string, at: Token = this.tok()): never {
    throw new Fail(message, this.indexOf(at), false);
  }

  /** A token's index: usually the current one or just ahead, else one already passed. */
  private indexOf(t: Token): number {
    if (this.toks[this.pos] === t) return this.pos;
    const i = this.toks.indexOf(t, this.pos);
    return i >= 0 ? i : Math.max(0, this.toks.lastIndexOf(t, this.pos));
  }

  protected fatal(message: string): never {
    throw new Fail(message, this.pos, true);
  }

  /** The RegoError a failure is reported as. */
  protected toRegoError(f: Fail): RegoError {
    return new RegoError('REGO_PARSE_ERROR', f.message, this.locOf(this.toks[f.at]));
  }

  protected save(): Saved {
    return { pos: this.pos, wild: this.wild, depth: this.depth };
  }

  protected restore(s: Saved): void {
    this.pos = s.pos;
    this.wild = s.wild;
    this.depth = s.depth;
  }

  /** Runs one reading; on a recoverable failure restores the position and returns it. */
  protected attempt<T>(fn: () => T): { ok: true; value: T } | { ok: false; error: Fail } {
    const s = this.save();
    try {
      return { ok: true, value: fn() };
    } catch (e) {
      if (!this.recoverable(e)) throw e;
      this.restore(s);
      return { ok: false, error: e };
    }
  }

  protected recoverable(e: unknown): e is Fail {
    return e instanceof Fail && !e.fatal;
  }

  /** Of two failed readings, the one that got further (ties go to `a`). */
  protected furthest(a: Fail, b: Fail): Fail {
    return b.at > a.at ? b : a;
  }

  protected enter(): void {
    if (++this.depth > MAX_NESTING) this.fatal('nesting too deep');
  }

  protected leave(): void {
    this.depth--;
  }

  /** A fresh name for each `_`, as OPA does ($0, $1, … there; `$_0`, `$_1`, … here). */
  protected wildcard(loc: Loc): VarTerm {
    return { type: 'var', name: `$_${this.wild++}`, loc };
  }

  protected get wildcards(): number {
    return this.wild;
  }

  protected set wildcards(n: number) {
    this.wild = n;
  }

  protected varTerm(t: Token): VarTerm {
    const loc = this.locOf(t);
    return t.text === '_' ? this.wildcard(loc) : { type: 'var', name: t.text, loc };
  }
}

/** A token as error messages show it. */
export function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'end of file';
    case 'ident':
      return KEYWORDS.has(t.text) ? `keyword '${t.text}'` : `'${t.text}'`;
    case 'number':
      return `number ${t.text}`;
    case 'string':
      return `string ${JSON.stringify(t.text.length > 20 ? t.text.slice(0, 20) + '…' : t.text)}`;
    case 'template':
      return t.tmplStart ? 'template string' : "'}'";
    default:
      return `'${t.text}'`;
  }
}

export const isGround = (t: Term): boolean => {
  switch (t.type) {
    case 'null':
    case 'boolean':
    case 'number':
    case 'string':
      return true;
    case 'array':
    case 'set':
      return t.items.every(isGround);
    case 'object':
      return t.entries.every(([k, v]) => isGround(k) && isGround(v));
    default:
      return false;
  }
};
