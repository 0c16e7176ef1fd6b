// Rego lexer: source text → tokens, in one pass, before parsing. Follows OPA's scanner
// (v1/ast/internal/scanner): identifiers are ASCII letters, '_' and digits; numbers follow the
// JSON grammar; strings take JSON escapes (RFC 8259 §7); raw strings are backquoted. Template
// strings ($"…{expr}…", $`…{expr}…`) are split into parts around their embedded expressions:
// a stack of open braces tells a '}' that closes an embedded expression (the text resumes)
// from one that closes a set or object.
//
// Errors do not throw here: the lexer stops and appends an 'error' token, which the parser
// reports when it reaches it, so errors come out in source order.

import type { Loc } from './ast.ts';

export type TokenKind = 'ident' | 'number' | 'string' | 'template' | 'op' | 'eof' | 'error';

export interface Token {
  kind: TokenKind;
  /** ident: the name; number: the literal as written; string/template: the decoded text;
   *  op: the operator; error: the message. */
  text: string;
  line: number;
  col: number;
  offset: number;
  end: number;
  /** A newline separates this token from the previous one (ends a body literal). */
  nl: boolean;
  /** Whitespace or a comment separates this token from the previous one (refs need none). */
  ws: boolean;
  /** template: this part opens the template ($" or $`), rather than resuming after '}'. */
  tmplStart?: boolean;
  /** template: this part closes the template, rather than opening an embedded expression. */
  tmplEnd?: boolean;
}

/** Rego v1 keywords (OPA's tokens.Keywords plus the former future keywords). */
export const KEYWORDS: ReadonlySet<string> = new Set([
  'package',
  'import',
  'as',
  'default',
  'else',
  'not',
  'some',
  'with',
  'null',
  'true',
  'false',
  'if',
  'contains',
  'in',
  'every',
]);

const OPS2 = new Set([':=', '==', '!=', '<=', '>=']);
const OPS1 = new Set([...'{}[](),;:.=<>+-*/%&|']);

const isLetter = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isDecimal = (c: number): boolean => c >= 48 && c <= 57;
const UNICODE_DIGIT = /^\p{Nd}$/u;

class LexError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

/** Line starts, for offset → line:col (columns in UTF-16 code units, 1-based). */
export class LineMap {
  private readonly starts: number[] = [0];
  constructor(
    readonly file: string,
    text: string,
  ) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }
  loc(offset: number): Loc {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { file: this.file, line: lo + 1, col: offset - this.starts[lo] + 1 };
  }
}

export function tokenize(file: string, text: string): Token[] {
  return new Lexer(new LineMap(file, text), text).run();
}

type Open = 'brace' | 'template' | 'rawtemplate';

class Lexer {
  private i = 0;
  private readonly out: Token[] = [];
  private readonly open: Open[] = [];
  private nl = false;
  private ws = false;

  constructor(
    private readonly lines: LineMap,
    private readonly src: string,
  ) {
    // A byte-order mark is allowed at the very start only (as in OPA's scanner).
    if (src.charCodeAt(0) === 0xfeff) this.i = 1;
  }

  run(): Token[] {
    try {
      while (this.step());
    } catch (e) {
      if (!(e instanceof LexError)) throw e;
      this.push('error', e.message, e.offset, e.offset);
    }
    return this.out;
  }

  private push(kind: TokenKind, text: string, start: number, end: number): Token {
    const { line, col } = this.lines.loc(start);
    const t: Token = { kind, text, line, col, offset: start, end, nl: this.nl, ws: this.ws };
    this.out.push(t);
    this.nl = false;
    this.ws = false;
    return t;
  }

  /** Lexes one token; false at the end of input. */
  private step(): boolean {
    const s = this.src;
    for (;;) {
      const c = s.charCodeAt(this.i);
      if (c === 32 || c === 9 || c === 13) {
        this.ws = true;
        this.i++;
      } else if (c === 10) {
        this.ws = this.nl = true;
        this.i++;
      } else if (c === 35 /* # */) {
        this.ws = true;
        const nl = s.indexOf('\n', this.i);
        this.i = nl < 0 ? s.length : nl;
      } else break;
    }
    const start = this.i;
    if (start >= s.length) {
      this.push('eof', '', start, start);
      return false;
    }
    const c = s.charCodeAt(start);
    if (isLetter(c)) this.ident(start);
    else if (isDecimal(c)) this.number(start);
    else if (c === 34 /* " */) this.string(start);
    else if (c === 96 /* ` */) this.rawString(start);
    else if (c === 36 /* $ */) this.templateStart(start);
    else if (c === 125 /* } */) this.closeBrace(start);
    else this.operator(start, c);
    return true;
  }

  private ident(start: number): void {
    const s = this.src;
    let i = start + 1;
    for (;;) {
      const c = s.charCodeAt(i);
      if (isLetter(c) || isDecimal(c)) i++;
      else if (c > 127 && UNICODE_DIGIT.test(String.fromCodePoint(s.codePointAt(i)!))) {
        i += s.codePointAt(i)! > 0xffff ? 2 : 1;
      } else break;
    }
    this.i = i;
    this.push('ident', s.slice(start, i), start, i);
  }

  /** JSON number grammar minus the sign (a '-' is an operator token; the parser folds it into
   *  a literal). Leading zeros are checked by the parser, which knows about a '.' prefix. */
  private number(start: number): void {
    const s = this.src;
    let i = start;
    while (isDecimal(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) === 46 /* . */) {
      i++;
      if (!isDecimal(s.charCodeAt(i))) throw new LexError('invalid number: expected fraction', i);
      while (isDecimal(s.charCodeAt(i))) i++;
    }
    if ((s.charCodeAt(i) | 32) === 101 /* e E */) {
      i++;
      if (s[i] === '+' || s[i] === '-') i++;
      if (!isDecimal(s.charCodeAt(i))) throw new LexError('invalid number: expected exponent', i);
      while (isDecimal(s.charCodeAt(i))) i++;
    }
    if (isLetter(s.charCodeAt(i))) {
      let j = i;
      while (isLetter(s.charCodeAt(j)) || isDecimal(s.charCodeAt(j))) j++;
      throw new LexError(`invalid number '${s.slice(start, j)}'`, start);
    }
    this.i = i;
    this.push('number', s.slice(start, i), start, i);
  }

  private string(start: number): void {
    const [text, end] = this.quoted(start + 1, '"', false);
    if (end < 0) throw new LexError('unterminated string', start);
    this.i = end;
    this.push('string', text, start, end);
  }

  private rawString(start: number): void {
    const close = this.src.indexOf('`', start + 1);
    if (close < 0) throw new LexError('unterminated raw string', start);
    this.i = close + 1;
    this.push('string', this.src.slice(start + 1, close), start, this.i);
  }

  private templateStart(start: number): void {
    const q = this.src[start + 1];
    if (q !== '"' && q !== '`') {
      throw new LexError("unexpected '$' (a template string starts with $\" or $`)", start);
    }
    this.templatePart(start, start + 2, q === '`', true);
  }

  private closeBrace(start: number): void {
    const top = this.open.pop();
    if (top === 'template' || top === 'rawtemplate') {
      this.templatePart(start, start + 1, top === 'rawtemplate', false);
    } else {
      this.i = start + 1;
      this.push('op', '}', start, this.i);
    }
  }

  /** One literal part of a template string, from `from` up to '{' (an embedded expression
   *  follows) or the closing quote. `\{` is a literal brace in both forms. */
  private templatePart(start: number, from: number, raw: boolean, first: boolean): void {
    let text: string;
    let end: number;
    if (raw) {
      const s = this.src;
      text = '';
      let i = from;
      for (;;) {
        if (i >= s.length) throw new LexError('unterminated template string', start);
        const c = s[i];
        if (c === '\\' && s[i + 1] === '{') {
          text += '{';
          i += 2;
        } else if (c === '`' || c === '{') {
          end = i + 1;
          break;
        } else {
          text += c;
          i++;
        }
      }
    } else {
      [text, end] = this.quoted(from, '"', true);
      if (end < 0) throw new LexError('unterminated template string', start);
    }
    const closes = this.src[end - 1] !== '{';
    if (!closes) this.open.push(raw ? 'rawtemplate' : 'template');
    this.i = end;
    const t = this.push('template', text, start, end);
    t.tmplStart = first;
    t.tmplEnd = closes;
  }

  /** Decodes a double-quoted body from `from`; returns [text, offset after the terminator]
   *  (-1 when unterminated). In templates, an unescaped '{' also terminates. */
  private quoted(from: number, quote: string, template: boolean): [string, number] {
    const s = this.src;
    let out = '';
    let i = from;
    let run = i;
    for (;;) {
      if (i >= s.length) return [out, -1];
      const c = s[i];
      if (c === quote || (template && c === '{')) {
        return [out + s.slice(run, i), i + 1];
      }
      if (c === '\n') return [out, -1];
      if (c === '\\') {
        out += s.slice(run, i);
        const [decoded, next] = this.escape(i, template);
        out += decoded;
        i = run = next;
        continue;
      }
      i++;
    }
  }

  /** RFC 8259 §7 escapes; a lone UTF-16 surrogate becomes U+FFFD, as Go's JSON decoder does. */
  private escape(at: number, template: boolean): [string, number] {
    const s = this.src;
    const e = s[at + 1];
    switch (e) {
      case '"':
      case '\\':
      case '/':
        return [e, at + 2];
      case 'b':
        return ['\b', at + 2];
      case 'f':
        return ['\f', at + 2];
      case 'n':
        return ['\n', at + 2];
      case 'r':
        return ['\r', at + 2];
      case 't':
        return ['\t', at + 2];
      case 'u': {
        const hi = this.hex4(at);
        if (hi >= 0xd800 && hi <= 0xdbff && s[at + 6] === '\\' && s[at + 7] === 'u') {
          const lo = this.hex4(at + 6);
          if (lo >= 0xdc00 && lo <= 0xdfff) return [String.fromCharCode(hi, lo), at + 12];
        }
        if (hi >= 0xd800 && hi <= 0xdfff) return ['\ufffd', at + 6];
        return [String.fromCharCode(hi), at + 6];
      }
      default:
        if (template && e === '{') return ['{', at + 2];
        if (e === undefined || e === '\n') throw new LexError('unterminated string', at);
        throw new LexError(`invalid escape \\${String.fromCodePoint(s.codePointAt(at + 1)!)}`, at);
    }
  }

  private hex4(at: number): number {
    const h = this.src.slice(at + 2, at + 6);
    if (!/^[0-9a-fA-F]{4}$/.test(h)) {
      throw new LexError(
        `invalid escape \\u${h.replace(/[\s"].*$/s, '')}: expected 4 hex digits`,
        at,
      );
    }
    return parseInt(h, 16);
  }

  private operator(start: number, c: number): void {
    const s = this.src;
    const two = s.slice(start, start + 2);
    if (OPS2.has(two)) {
      this.i = start + 2;
      this.push('op', two, start, this.i);
      return;
    }
    const one = s[start];
    if (OPS1.has(one)) {
      if (one === '{') this.open.push('brace');
      this.i = start + 1;
      this.push('op', one, start, this.i);
      return;
    }
    if (c === 0) throw new LexError('illegal null character', start);
    if (one === '!') throw new LexError("unexpected '!' (did you mean '!=' or 'not'?)", start);
    const cp = s.codePointAt(start)!;
    const shown =
      cp < 32 || cp === 127
        ? `U+${cp.toString(16).padStart(4, '0')}`
        : `'${String.fromCodePoint(cp)}'`;
    throw new LexError(`illegal character ${shown}`, start);
  }
}
