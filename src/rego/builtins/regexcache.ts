// Compiled-pattern cache. Patterns come from policies and sometimes from input, so compilation
// goes through RE2 (linear-time matching, no backtracking: a hostile pattern or subject cannot
// stall the gateway) and the cache is a bounded LRU so varied patterns cannot grow memory.
import RE2 from 're2';

const CAPACITY = 512;
const cache = new Map<string, RE2 | null>();

/** The compiled pattern, or undefined when RE2 rejects it (Go's regexp uses the same syntax).
 *  `global` patterns are for scanning with lastIndex and are cached apart. */
export function compile(pattern: string, global = false): RE2 | undefined {
  const key = (global ? 'g:' : 'n:') + pattern;
  let re = cache.get(key);
  if (re !== undefined) {
    cache.delete(key);
  } else {
    try {
      re = new RE2(pattern, global ? 'g' : '');
    } catch {
      re = null;
    }
    if (cache.size >= CAPACITY) cache.delete(cache.keys().next().value!);
  }
  cache.set(key, re);
  return re ?? undefined;
}

/** Every match in Go's order and with Go's rule that an empty match right after the previous
 *  match is skipped (regexp.allMatches). At most `n` matches; n < 0 means all. */
export function allMatches(pattern: string, s: string, n: number): RegExpExecArray[] | undefined {
  const re = compile(pattern, true);
  if (!re) return undefined;
  const out: RegExpExecArray[] = [];
  let pos = 0;
  let prevEnd = -1;
  while ((n < 0 || out.length < n) && pos <= s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) break;
    const start = m.index;
    const end = start + m[0].length;
    let accept = true;
    if (end === start) {
      if (start === prevEnd) accept = false;
      // Step over one code point, never into the middle of a surrogate pair.
      pos = start + (start < s.length && s.codePointAt(start)! > 0xffff ? 2 : 1);
    } else pos = end;
    prevEnd = end;
    if (accept) out.push(m);
  }
  return out;
}
