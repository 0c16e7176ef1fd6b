// Finds the next match of the detector union in a UTF-8 buffer, cheaply.
//
// Why not just `exec`: node-re2's exec on a Buffer builds a result array and copies the matched
// bytes into a fresh Buffer, ~5 µs per call here, which on secret-dense tool output costs more
// than RE2's scan itself. `search` (returns a start index) and a sticky `test` (reports the end
// through lastIndex) allocate nothing and cost a fraction of that. The match is located with
// them over a view of the buffer, then checked against the full buffer; anything unexpected
// falls back to exec, so the result is always what exec from `from` would return.
//
// The argument, with s the leftmost full-context match start ≥ from (what exec finds; RE2's
// unanchored leftmost-first match at s is the same as its match anchored at s):
//   - In the view buf[from, …) every position after `from` sees the same neighbouring bytes as
//     in the full buffer; only `from` itself may differ (the byte before it is cut off). So
//     `search` returns s - from, unless the view accepts a match at `from` that the full buffer
//     does not (w = 0: checked with a sticky test on the full buffer) or rejects one that it
//     does (only possible with `\B`: then `from` is probed on the full buffer first).
//   - The sticky test at s on the full buffer gives exactly exec's end.
import RE2 from 're2';

export interface Cursor {
  /** [start, end) in bytes of the next union match at or after `from`, or null. */
  next(buf: Buffer, from: number): [number, number] | null;
}

export function createCursor(source: string): Cursor {
  const sticky = new RE2(source, 'y');
  const first = new RE2(source);
  const exec = new RE2(source, 'g');
  // `\B` is the only assertion that can fail at the start of the view and hold in the full
  // buffer (`\b`, `^`, `\A` only go the other way, which the sticky check catches). Any
  // occurrence of the two characters counts, even an escaped backslash: conservative.
  const probeFrom = source.includes('\\B');

  const fallback = (buf: Buffer, from: number): [number, number] | null => {
    exec.lastIndex = from;
    const m = exec.exec(buf);
    return m === null ? null : [m.index, m.index + m[0].length];
  };

  /** End of the full-context match anchored at `at`, or -1. */
  const endAt = (buf: Buffer, at: number): number => {
    sticky.lastIndex = at;
    return sticky.test(buf) ? sticky.lastIndex : -1;
  };

  return {
    next(buf, from) {
      if (from > buf.length) return null;
      if (probeFrom) {
        const e = endAt(buf, from);
        if (e >= 0) return e > from ? [from, e] : fallback(buf, from);
      }
      const w = first.search(from === 0 ? buf : buf.subarray(from));
      if (w < 0) return null;
      const s = from + w;
      const e = endAt(buf, s);
      // Empty matches (custom patterns) and a view-only match at `from` go the slow way.
      return e > s ? [s, e] : fallback(buf, from);
    },
  };
}
