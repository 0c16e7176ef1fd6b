// regex.globs_match: do two "glob-like" regexes match at least one common string? The syntax is
// the small one OPA accepts (github.com/yashtewari/glob-intersection): literal characters, '.',
// character sets "[a-z0-9]" (no negation), backslash escapes, and a '*' or '+' after a token.
// Decided by searching the product of the two token automata, linear in |a|·|b|.

interface Token {
  ranges: Array<[number, number]> | 'any';
  star: boolean;
}

class GlobSyntaxError extends Error {}

function tokenize(input: string): Token[] {
  const cs = Array.from(input, (c) => c.codePointAt(0)!);
  const out: Token[] = [];
  let i = 0;
  /** The next code point, with a backslash escape resolved. */
  const next = (): { cp: number; escaped: boolean } => {
    if (cs[i] === 0x5c) {
      if (i + 1 >= cs.length) throw new GlobSyntaxError('trailing backslash');
      i += 2;
      return { cp: cs[i - 1], escaped: true };
    }
    return { cp: cs[i++], escaped: false };
  };
  while (i < cs.length) {
    const { cp, escaped } = next();
    const ch = String.fromCodePoint(cp);
    if (!escaped && (ch === '*' || ch === '+')) {
      const prev = out[out.length - 1];
      if (!prev || prev.star) throw new GlobSyntaxError(`flag '${ch}' must follow a token`);
      // x+ is x followed by x*.
      if (ch === '*') prev.star = true;
      else out.push({ ranges: prev.ranges, star: true });
      continue;
    }
    if (escaped || (ch !== '.' && ch !== '[' && ch !== ']')) {
      out.push({ ranges: [[cp, cp]], star: false });
    } else if (ch === '.') out.push({ ranges: 'any', star: false });
    else if (ch === ']') throw new GlobSyntaxError("set-close ']' with no preceding '['");
    else out.push({ ranges: readSet(), star: false });
  }
  return out;

  function readSet(): Array<[number, number]> {
    const ranges: Array<[number, number]> = [];
    let prev: number | undefined;
    while (i < cs.length) {
      const { cp, escaped } = next();
      if (!escaped && cp === 0x5d) {
        if (ranges.length === 0) throw new GlobSyntaxError('empty set');
        return ranges;
      }
      if (!escaped && cp === 0x2d) {
        if (prev === undefined || i >= cs.length) throw new GlobSyntaxError('dangling range');
        const hi = next();
        if (!hi.escaped && (hi.cp === 0x5d || hi.cp === 0x2d))
          throw new GlobSyntaxError('bad range');
        if (hi.cp < prev) throw new GlobSyntaxError('range out of order');
        ranges.push([prev, hi.cp]);
        prev = undefined;
        continue;
      }
      ranges.push([cp, cp]);
      prev = cp;
    }
    throw new GlobSyntaxError('[ without matching ]');
  }
}

function overlaps(a: Token, b: Token): boolean {
  if (a.ranges === 'any' || b.ranges === 'any') return true;
  return a.ranges.some(([lo, hi]) =>
    (b.ranges as Array<[number, number]>).some(([l, h]) => lo <= h && l <= hi),
  );
}

/** True when some string matches both globs; undefined on a syntax error. */
export function globsMatch(a: string, b: string): boolean | undefined {
  let ta: Token[];
  let tb: Token[];
  try {
    ta = tokenize(a);
    tb = tokenize(b);
  } catch (e) {
    if (e instanceof GlobSyntaxError) return undefined;
    throw e;
  }
  const n = ta.length;
  const m = tb.length;
  const seen = new Uint8Array((n + 1) * (m + 1));
  const stack: Array<[number, number]> = [[0, 0]];
  seen[0] = 1;
  const visit = (i: number, j: number): void => {
    const k = i * (m + 1) + j;
    if (!seen[k]) {
      seen[k] = 1;
      stack.push([i, j]);
    }
  };
  while (stack.length > 0) {
    const [i, j] = stack.pop()!;
    if (i === n && j === m) return true;
    // A starred token may match nothing.
    if (i < n && ta[i].star) visit(i + 1, j);
    if (j < m && tb[j].star) visit(i, j + 1);
    // Or both consume one common character.
    if (i < n && j < m && overlaps(ta[i], tb[j])) {
      visit(ta[i].star ? i : i + 1, tb[j].star ? j : j + 1);
    }
  }
  return false;
}
