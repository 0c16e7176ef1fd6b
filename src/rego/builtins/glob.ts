// glob.match / glob.quote_meta with github.com/gobwas/glob semantics (what OPA uses):
//   *   any run of non-separator characters      **  any run of characters
//   ?   one non-separator character               [abc] [a-z] [!abc] [!a-z]  one character
//   {a,b,c}  alternatives (each itself a glob)    \x  a literal x
// A glob is translated to an anchored RE2 expression, so matching stays linear-time, and the
// translation is cached with the other compiled patterns.
import { compile } from './regexcache.ts';
import { isArr, isStr } from './values.ts';

type Fn = (...args: any[]) => unknown;

class GlobSyntaxError extends Error {}

/** Escapes a code point for use inside or outside an RE2 character class. */
const lit = (c: string): string => (/[\\^$.|?*+()[\]{}\-]/.test(c) ? '\\' + c : c);

function translate(pattern: string, seps: string[]): string {
  const cs = Array.from(pattern);
  const notSep = seps.length ? `[^${seps.map(lit).join('')}]` : '.';
  let i = 0;
  let depth = 0;
  let out = '';
  while (i < cs.length) {
    const c = cs[i++];
    switch (c) {
      case '\\':
        if (i >= cs.length) throw new GlobSyntaxError('trailing escape');
        out += lit(cs[i++]);
        break;
      case '*':
        if (cs[i] === '*') {
          while (cs[i] === '*') i++;
          out += '.*';
        } else out += notSep + '*';
        break;
      case '?':
        out += notSep;
        break;
      case '[': {
        let cls = '';
        let neg = false;
        if (cs[i] === '!') {
          neg = true;
          i++;
        }
        while (i < cs.length && cs[i] !== ']') {
          const x = cs[i] === '\\' ? cs[++i] : cs[i];
          i++;
          if (x === undefined) break;
          if (cs[i] === '-' && cs[i + 1] !== undefined && cs[i + 1] !== ']') {
            const hi = cs[i + 1];
            if (hi.codePointAt(0)! < x.codePointAt(0)!) throw new GlobSyntaxError('bad range');
            cls += `${lit(x)}-${lit(hi)}`;
            i += 2;
          } else cls += lit(x);
        }
        if (cs[i] !== ']' || cls === '') throw new GlobSyntaxError('unclosed [');
        i++;
        out += `[${neg ? '^' : ''}${cls}]`;
        break;
      }
      case '{':
        depth++;
        out += '(?:';
        break;
      case '}':
        if (depth === 0) throw new GlobSyntaxError('unbalanced }');
        depth--;
        out += ')';
        break;
      case ',':
        out += depth > 0 ? '|' : ',';
        break;
      default:
        out += lit(c);
    }
  }
  if (depth !== 0) throw new GlobSyntaxError('unclosed {');
  return `(?s)^(?:${out})$`;
}

/** Delimiters: null means none; an empty array means the default ["."]. */
function separators(v: unknown): string[] | undefined {
  if (v === null) return [];
  if (!isArr(v) || !v.every(isStr)) return undefined;
  const seps = (v as string[]).flatMap((s) => Array.from(s));
  return v.length === 0 ? ['.'] : seps;
}

export function globMatch(pattern: unknown, delims: unknown, value: unknown): boolean | undefined {
  const seps = separators(delims);
  if (!isStr(pattern) || !isStr(value) || !seps) return undefined;
  let source: string;
  try {
    source = translate(pattern, seps);
  } catch (e) {
    if (e instanceof GlobSyntaxError) return undefined;
    throw e;
  }
  return compile(source)?.test(value);
}

export const globBuiltins: Record<string, Fn> = {
  'glob.match': globMatch,
  // gobwas QuoteMeta escapes exactly * ? \ [ ] { }.
  'glob.quote_meta': (s: unknown) => (isStr(s) ? s.replace(/[*?\\[\]{}]/g, '\\$&') : undefined),
};
