// String builtins (OPA topdown/strings.go). Positions and lengths count code points (Go runes),
// case mapping is per code point (Go's simple mapping), and every type error yields undefined.
import { compareStrings, isInt, isNum, isObj, isStr, runes, stringItems } from './values.ts';

type Fn = (...args: any[]) => unknown;

/** Go's unicode.IsSpace: the Unicode White_Space property (which, unlike JS `trim`, includes
 *  U+0085 and excludes U+FEFF). */
const SPACE = /^\p{White_Space}+|\p{White_Space}+$/gu;

/** Go's strings.Trim family take a *set* of code points, not a prefix. */
function trimSet(s: string, cutset: string, left: boolean, right: boolean): string {
  const cut = new Set(runes(cutset));
  const cs = runes(s);
  let i = 0;
  let j = cs.length;
  if (left) while (i < j && cut.has(cs[i])) i++;
  if (right) while (j > i && cut.has(cs[j - 1])) j--;
  return cs.slice(i, j).join('');
}

/** Go's strings.Replacer: at each position the first pair (in argument order) whose old string
 *  matches wins; an empty old string matches between every pair of code points, but not right
 *  after another empty match. */
export function goReplace(s: string, pairs: Array<[string, string]>): string {
  let out = '';
  let i = 0;
  let prevEmpty = false;
  while (i <= s.length) {
    let hit: [string, string] | undefined;
    for (const p of pairs) {
      if (p[0] === '' && prevEmpty) continue;
      if (s.startsWith(p[0], i)) {
        hit = p;
        break;
      }
    }
    prevEmpty = hit !== undefined && hit[0] === '';
    if (hit) {
      out += hit[1];
      i += hit[0].length;
      continue;
    }
    if (i >= s.length) break;
    const w = s.codePointAt(i)! > 0xffff ? 2 : 1;
    out += s.slice(i, i + w);
    i += w;
  }
  return out;
}

/** Go's strings.Count: non-overlapping occurrences; an empty needle counts runes + 1. */
function countSub(s: string, sub: string): number {
  if (sub === '') return runes(s).length + 1;
  let n = 0;
  for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length)) n++;
  return n;
}

/** Per-code-point case mapping; a mapping that would change the rune count (ß → SS) is not a
 *  simple mapping in Go, so the rune is kept. */
function mapCase(s: string, upper: boolean): string {
  let out = '';
  for (const c of s) {
    const m = upper ? c.toUpperCase() : c.toLowerCase();
    out += runes(m).length === 1 ? m : c;
  }
  return out;
}

function runeIndexOf(base: string[], search: string[], from: number): number {
  outer: for (let i = from; i + search.length <= base.length; i++) {
    for (let k = 0; k < search.length; k++) if (base[i + k] !== search[k]) continue outer;
    return i;
  }
  return -1;
}

/** A string, or an array/set of strings, as a list (any_prefix_match / any_suffix_match). */
function stringOrList(v: unknown): string[] | undefined {
  return isStr(v) ? [v] : stringItems(v);
}

const reverse = (s: string): string => runes(s).reverse().join('');

export const stringBuiltins: Record<string, Fn> = {
  concat: (sep: unknown, items: unknown) => {
    const xs = stringItems(items);
    return isStr(sep) && xs ? xs.join(sep) : undefined;
  },
  contains: (s: unknown, sub: unknown) => (isStr(s) && isStr(sub) ? s.includes(sub) : undefined),
  startswith: (s: unknown, p: unknown) => (isStr(s) && isStr(p) ? s.startsWith(p) : undefined),
  endswith: (s: unknown, p: unknown) => (isStr(s) && isStr(p) ? s.endsWith(p) : undefined),
  lower: (s: unknown) => (isStr(s) ? mapCase(s, false) : undefined),
  upper: (s: unknown) => (isStr(s) ? mapCase(s, true) : undefined),
  split: (s: unknown, d: unknown) => {
    if (!isStr(s) || !isStr(d)) return undefined;
    // Go's strings.Split with an empty separator explodes into runes ("" gives []).
    return d === '' ? runes(s) : s.split(d);
  },
  trim: (s: unknown, c: unknown) => (isStr(s) && isStr(c) ? trimSet(s, c, true, true) : undefined),
  trim_left: (s: unknown, c: unknown) =>
    isStr(s) && isStr(c) ? trimSet(s, c, true, false) : undefined,
  trim_right: (s: unknown, c: unknown) =>
    isStr(s) && isStr(c) ? trimSet(s, c, false, true) : undefined,
  trim_prefix: (s: unknown, p: unknown) =>
    isStr(s) && isStr(p) ? (s.startsWith(p) ? s.slice(p.length) : s) : undefined,
  trim_suffix: (s: unknown, p: unknown) =>
    isStr(s) && isStr(p) ? (s.endsWith(p) ? s.slice(0, s.length - p.length) : s) : undefined,
  trim_space: (s: unknown) => (isStr(s) ? s.replace(SPACE, '') : undefined),
  replace: (s: unknown, old: unknown, nw: unknown) =>
    isStr(s) && isStr(old) && isStr(nw) ? goReplace(s, [[old, nw]]) : undefined,
  'strings.replace_n': (patterns: unknown, s: unknown) => {
    if (!isObj(patterns) || !isStr(s)) return undefined;
    const keys = Object.keys(patterns).sort(compareStrings);
    const pairs: Array<[string, string]> = [];
    for (const k of keys) {
      const v = patterns[k];
      if (!isStr(v)) return undefined;
      pairs.push([k, v]);
    }
    return goReplace(s, pairs);
  },
  indexof: (s: unknown, search: unknown) => {
    if (!isStr(s) || !isStr(search) || search === '') return undefined;
    return runeIndexOf(runes(s), runes(search), 0);
  },
  indexof_n: (s: unknown, search: unknown) => {
    if (!isStr(s) || !isStr(search) || search === '') return undefined;
    const base = runes(s);
    const needle = runes(search);
    const out: number[] = [];
    // Overlapping matches count, as in OPA (it tests every rune position).
    for (let i = runeIndexOf(base, needle, 0); i >= 0; i = runeIndexOf(base, needle, i + 1)) {
      out.push(i);
    }
    return out;
  },
  substring: (s: unknown, start: unknown, len: unknown) => {
    if (!isStr(s) || !isInt(start) || !isInt(len) || start < 0) return undefined;
    const cs = runes(s);
    if (start >= cs.length) return '';
    return cs.slice(start, len < 0 ? undefined : start + len).join('');
  },
  'strings.reverse': (s: unknown) => (isStr(s) ? reverse(s) : undefined),
  'strings.count': (s: unknown, sub: unknown) =>
    isStr(s) && isStr(sub) ? countSub(s, sub) : undefined,
  'strings.any_prefix_match': (a: unknown, b: unknown) => {
    const xs = stringOrList(a);
    const ps = stringOrList(b);
    if (!xs || !ps) return undefined;
    return xs.some((x) => ps.some((p) => x.startsWith(p)));
  },
  'strings.any_suffix_match': (a: unknown, b: unknown) => {
    const xs = stringOrList(a);
    const ps = stringOrList(b);
    if (!xs || !ps) return undefined;
    return xs.some((x) => ps.some((p) => x.endsWith(p)));
  },
  format_int: (n: unknown, base: unknown) => {
    if (!isNum(n) || ![2, 8, 10, 16].includes(base as number)) return undefined;
    // Go converts through big.Float and truncates toward zero.
    return BigInt(Math.trunc(n)).toString(base as number);
  },
};
