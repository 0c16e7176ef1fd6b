// `warden policy fmt`: the layout `opa fmt` gives Rego, applied lexically so that every
// comment stays where it was written and no rule moves: one tab per open bracket of
// indentation, single spaces between tokens, one space around `:=`, `=`, `==`, `!=`, `<`,
// `<=`, `>`, `>=` and `|`, none inside brackets, a space after `,` and `:` (never before),
// at most one blank line, no trailing whitespace, one final newline. Strings (raw ones too,
// even across lines) and comments are copied verbatim. It does not rewrite syntax (v0 to v1
// keywords, `=` to `:=`), which `opa fmt` does through its AST.
// https://www.openpolicyagent.org/docs/cli#opa-fmt

import { KEYWORDS } from './lexer.ts';

type Kind =
  'word' | 'string' | 'comment' | 'open' | 'close' | 'op' | 'comma' | 'colon' | 'dot' | 'nl';

interface Tok {
  kind: Kind;
  text: string;
  /** A `-` that negates (no space after it). */
  unary?: boolean;
  /** Whitespace preceded it in the source. */
  ws?: boolean;
}

/** The end (exclusive) of the string or template string starting at `i`: a template's
 *  `{…}` parts may hold strings and templates of their own. */
function stringEnd(src: string, i: number): number {
  const template = src[i] === '$';
  let j = template ? i + 2 : i + 1;
  let depth = 0;
  while (j < src.length && src[j] !== '\n') {
    const c = src[j];
    if (c === '\\') j += 2;
    else if (depth > 0 && (c === '"' || (c === '$' && src[j + 1] === '"'))) j = stringEnd(src, j);
    else if (depth > 0 && c === '`') j = src.indexOf('`', j + 1) + 1 || src.length;
    else if (c === '"' && depth === 0) return j + 1;
    else {
      if (template && c === '{') depth++;
      if (template && c === '}') depth--;
      j++;
    }
  }
  return j;
}

function lex(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const push = (kind: Kind, text: string) =>
    out.push({ kind, text, ws: i > 0 && /[ \t\r\n]/.test(src[i - 1]) });
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') {
      push('nl', '\n');
      i++;
    } else if (c === ' ' || c === '\t' || c === '\r') {
      i++;
    } else if (c === '#') {
      const end = src.indexOf('\n', i);
      push('comment', src.slice(i, end < 0 ? src.length : end).trimEnd());
      i = end < 0 ? src.length : end;
    } else if (c === '"' || (c === '$' && src[i + 1] === '"')) {
      const end = stringEnd(src, i);
      push('string', src.slice(i, end));
      i = end;
    } else if (c === '`' || (c === '$' && src[i + 1] === '`')) {
      const j = src.indexOf('`', c === '$' ? i + 2 : i + 1);
      const end = j < 0 ? src.length : j + 1;
      push('string', src.slice(i, end));
      i = end;
    } else if ('{[('.includes(c)) {
      push('open', c);
      i++;
    } else if ('}])'.includes(c)) {
      push('close', c);
      i++;
    } else if (c === ',') {
      push('comma', c);
      i++;
    } else if (c === ';') {
      push('comma', c);
      i++;
    } else if (c === '.' && !/[0-9]/.test(src[i + 1] ?? '')) {
      push('dot', c);
      i++;
    } else {
      const two = src.slice(i, i + 2);
      if ([':=', '==', '!=', '<=', '>='].includes(two)) {
        push('op', two);
        i += 2;
      } else if (c === ':') {
        push('colon', c);
        i++;
      } else if ('=<>|+*/%&-'.includes(c)) {
        push('op', c);
        i++;
      } else {
        let j = i;
        while (j < src.length && !/[\s#"`{}[\](),;:=<>|+*/%&!.-]/.test(src[j])) j++;
        // numbers keep their dots and exponents (1.5, 1e-3)
        if (/^[0-9]/.test(src.slice(i, j))) {
          while (
            j < src.length &&
            (/[0-9.eE]/.test(src[j]) || (/[+-]/.test(src[j]) && /[eE]/.test(src[j - 1])))
          )
            j++;
        }
        if (j === i) j = i + 1;
        push('word', src.slice(i, j));
        i = j;
      }
    }
  }
  return out;
}

/** Whether a `-` is unary here (after an operator, an opening bracket, a comma or nothing). */
const unaryAfter = (prev: Tok | undefined): boolean =>
  !prev ||
  prev.kind === 'op' ||
  prev.kind === 'open' ||
  prev.kind === 'comma' ||
  prev.kind === 'colon' ||
  prev.kind === 'nl' ||
  (prev.kind === 'word' && ['return', 'if', 'else', 'in', 'not'].includes(prev.text));

export function formatRego(src: string): string {
  const toks = lex(src);
  const lines: string[] = [];
  // One entry per open bracket: whether it opened an indentation level. Of the brackets a
  // line leaves open, only the outermost indents the lines below (`f([` indents once).
  const open: boolean[] = [];
  let openedHere = 0;
  let line = '';
  let lineLevel = 0;
  let prev: Tok | undefined;
  let atStart = true;
  const flush = () => {
    lines.push(line === '' ? '' : '\t'.repeat(Math.max(0, lineLevel)) + line);
    if (openedHere > 0) open[open.length - openedHere] = true;
    openedHere = 0;
    line = '';
    atStart = true;
    prev = undefined;
  };
  for (let k = 0; k < toks.length; k++) {
    const t = toks[k];
    if (t.kind === 'nl') {
      flush();
      continue;
    }
    if (atStart) {
      // a line opening with closing brackets is indented at the level they close to
      const kept = open.slice();
      for (let m = k; m < toks.length && toks[m].kind === 'close'; m++) kept.pop();
      lineLevel = kept.filter(Boolean).length;
      // a `with` on a line of its own continues the expression above it
      if (t.kind === 'word' && t.text === 'with') lineLevel++;
      atStart = false;
    }
    let sep = '';
    if (t.kind === 'op' && t.text === '-' && unaryAfter(prev)) t.unary = true;
    if (prev) {
      if (t.kind === 'close' || t.kind === 'comma' || t.kind === 'colon' || t.kind === 'dot') {
        sep = '';
      } else if (prev.kind === 'open' || prev.kind === 'dot' || prev.unary) {
        sep = '';
      } else if (
        t.kind === 'open' &&
        t.text !== '{' &&
        ((prev.kind === 'word' && (!KEYWORDS.has(prev.text) || !t.ws)) ||
          prev.kind === 'close' ||
          prev.kind === 'string')
      ) {
        // after a keyword, as written: `x in [1]` but `contains(s, t)` (also a builtin)
        sep = ''; // f(x), a[b], [1][0]
      } else {
        sep = ' ';
      }
    }
    line += sep + t.text;
    if (t.kind === 'open') {
      open.push(false);
      openedHere++;
    } else if (t.kind === 'close') {
      open.pop();
      if (openedHere > 0) openedHere--;
    }
    prev = t;
  }
  flush();
  // blank lines: none at the ends, never two in a row
  const out: string[] = [];
  for (const l of lines) {
    if (l === '' && (out.length === 0 || out[out.length - 1] === '')) continue;
    out.push(l);
  }
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out.join('\n') + '\n';
}
