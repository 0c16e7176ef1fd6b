// regex.* builtins (OPA topdown/regex.go, regex_template.go) on RE2, whose syntax is Go's
// regexp syntax. Matching semantics follow Go's regexp package: leftmost-first matches, empty
// matches adjacent to a previous match skipped, $-expansion for replacements.
import { allMatches, compile } from './regexcache.ts';
import { globsMatch } from './globintersect.ts';
import { isInt, isStr } from './values.ts';

type Fn = (...args: any[]) => unknown;

/** regexp.Expand: "$1", "$name", "${name}" and "$$"; an unknown group expands to "". */
function expand(template: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i];
    if (c !== '$' || i + 1 >= template.length) {
      out += c;
      continue;
    }
    if (template[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    const braced = template[i + 1] === '{';
    const rest = template.slice(i + (braced ? 2 : 1));
    const name = /^\w+/.exec(rest)?.[0];
    if (!name || (braced && rest[name.length] !== '}')) {
      out += c; // malformed: the '$' is literal text
      continue;
    }
    i += name.length + (braced ? 2 : 0);
    const group = /^\d+$/.test(name) ? m[Number(name)] : m.groups?.[name];
    out += group ?? '';
  }
  return out;
}

/** regexp.Split(s, -1). */
function split(pattern: string, s: string): string[] | undefined {
  const matches = allMatches(pattern, s, -1);
  if (!matches) return undefined;
  if (pattern !== '' && s === '') return [''];
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of matches) {
    end = m.index;
    const mEnd = m.index + m[0].length;
    if (mEnd !== 0) out.push(s.slice(beg, end));
    beg = mEnd;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}

/** regex.template_match: text outside the delimiters is literal, text inside is a regex; the
 *  whole must match. Nested delimiters are allowed; unbalanced ones are an error. */
function templateMatch(
  tpl: string,
  value: string,
  open: string,
  close: string,
): boolean | undefined {
  let level = 0;
  let start = 0;
  let lit = 0;
  let pattern = '^';
  for (let i = 0; i < tpl.length; i++) {
    if (tpl[i] === open) {
      if (++level === 1) start = i;
    } else if (tpl[i] === close) {
      if (--level === 0) {
        const inner = tpl.slice(start + 1, i);
        if (!compile(`^${inner}$`)) return undefined;
        pattern += quoteMeta(tpl.slice(lit, start)) + `(${inner})`;
        lit = i + 1;
      } else if (level < 0) return undefined;
    }
  }
  if (level !== 0) return undefined;
  const re = compile(pattern + quoteMeta(tpl.slice(lit)) + '$');
  return re ? re.test(value) : undefined;
}

/** regexp.QuoteMeta. */
export const quoteMeta = (s: string): string => s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');

export const regexBuiltins: Record<string, Fn> = {
  'regex.is_valid': (p: unknown) => isStr(p) && compile(p) !== undefined,
  'regex.match': (p: unknown, s: unknown) => {
    if (!isStr(p) || !isStr(s)) return undefined;
    return compile(p)?.test(s);
  },
  'regex.find_n': (p: unknown, s: unknown, n: unknown) => {
    if (!isStr(p) || !isStr(s) || !isInt(n)) return undefined;
    return allMatches(p, s, n)?.map((m) => m[0]);
  },
  'regex.find_all_string_submatch_n': (p: unknown, s: unknown, n: unknown) => {
    if (!isStr(p) || !isStr(s) || !isInt(n)) return undefined;
    return allMatches(p, s, n)?.map((m) => Array.from(m, (g) => g ?? ''));
  },
  'regex.replace': (s: unknown, p: unknown, value: unknown) => {
    if (!isStr(s) || !isStr(p) || !isStr(value)) return undefined;
    const matches = allMatches(p, s, -1);
    if (!matches) return undefined;
    let out = '';
    let last = 0;
    for (const m of matches) {
      out += s.slice(last, m.index) + expand(value, m);
      last = m.index + m[0].length;
    }
    return out + s.slice(last);
  },
  'regex.split': (p: unknown, s: unknown) => (isStr(p) && isStr(s) ? split(p, s) : undefined),
  'regex.template_match': (tpl: unknown, value: unknown, open: unknown, close: unknown) => {
    if (!isStr(tpl) || !isStr(value) || !isStr(open) || !isStr(close)) return undefined;
    if (open === '' || close === '') return undefined;
    return templateMatch(tpl, value, open[0], close[0]);
  },
  'regex.globs_match': (a: unknown, b: unknown) =>
    isStr(a) && isStr(b) ? globsMatch(a, b) : undefined,
};
