// Cuts a stream's text into chunks at arbitrary points (property tests of stream parsers).

/** Splits `s` at the given cut points (taken modulo its length + 1, deduplicated). */
export function split(s: string, cuts: number[]): string[] {
  const at = [...new Set(cuts.map((c) => c % (s.length + 1)))].sort((a, b) => a - b);
  const out: string[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(s.slice(prev, c));
    prev = c;
  }
  out.push(s.slice(prev));
  return out;
}
