// The redactor: every detector (built-in and custom) compiled ONCE into a single RE2 union and
// run in one linear pass over UTF-8 bytes; field-name rules applied while walking JSON. The
// replacement is `[REDACTED:<kind>]` (PRODUCT.md "Audit record contract"); callers get per-kind
// counts, never the values.
//
// Throughput notes (bench/redact): the union is compiled without capture groups, because asking
// RE2 for submatches forces its slower NFA engines on every match; which detector matched is
// then found by an anchored RE2.Set over the matched bytes. A JSON value is redacted by joining
// all its strings into one buffer and scanning that once: a native call per string costs more
// than the scan itself.
import RE2 from 're2';
import type { Detector } from './patterns.ts';
import { compileFieldRules } from './fields.ts';
import { createCursor } from './cursor.ts';
import { mayNormalize, normalizeText } from './normalize.ts';
import { MAX_RUN, splitKind, splitPart } from './split.ts';

export type RedactionCounts = Record<string, number>;

export interface Redactor {
  /** Redacts one string. */
  text(s: string, counts?: RedactionCounts): string;
  /** Copy of a JSON value with field rules and patterns applied (keys included). */
  value<T>(v: T, counts?: RedactionCounts): T;
  /** An MCP CallToolResult: text content, structuredContent, embedded resources, _meta.
   *  Base64 payloads (image/audio `data`, resource `blob`) are left alone: pattern hits inside
   *  base64 are noise, and decoding arbitrary binaries is not the audit's job. */
  result<T>(r: T, counts?: RedactionCounts): T;
  /** HTTP headers: sensitive names wholesale, other values by pattern. */
  headers(
    h: Record<string, string | string[] | undefined>,
    counts?: RedactionCounts,
  ): Record<string, string | string[]>;
  /** The kinds this redactor can emit from patterns, in priority order. */
  readonly kinds: readonly string[];
}

/** Shortest candidate any built-in can match ("a@b.co", "1::2:3"): skip shorter strings. */
const MIN_CANDIDATE = 6;
/** JSON nested deeper than this is redacted as serialized text (field rules stop applying),
 *  so hostile nesting cannot exhaust the stack. */
const MAX_DEPTH = 64;
const BINARY_KEYS = new Set(['blob', 'data']);

export const replacement = (kind: string): string => `[REDACTED:${kind}]`;

interface Span {
  start: number;
  end: number;
  detector: number;
}

interface Slot {
  target: Record<string, unknown> | unknown[];
}

export function createRedactor(
  detectors: readonly Detector[],
  fieldRules: readonly string[],
): Redactor {
  const cursor = createCursor(detectors.map((d) => `(?:${d.source})`).join('|'));
  const single = detectors.length === 1;
  const which = new RE2.Set(
    detectors.map((d) => d.source),
    { anchor: 'both' },
  );
  const replacements = detectors.map((d) => Buffer.from(replacement(d.kind)));
  const fieldRule = compileFieldRules(fieldRules);
  const minLen = detectors.some((d) => d.custom) ? 1 : MIN_CANDIDATE;
  /** False when `s` is too short to hold any finding. (A JS prefilter on trigger characters —
   *  digits, '@', ':', "eyJ", … — was measured here: it costs as much as the RE2 scan it saves.) */
  const candidate = (s: string): boolean => s.length >= minLen;
  const keyCache = new Map<string, string>();
  /** Keys with no finding in them, and the field rule each falls under (null: none). */
  const keyInfo = new Map<string, { rule: string | null }>();

  /** All findings in buf, in order, none crossing a `limits` boundary (joined strings). */
  /** All findings in buf, in order. With `limits` (the end offset of each joined string), every
   *  finding lies inside one string and is what scanning that string alone would find there. */
  const scan = (buf: Buffer, counts: RedactionCounts | undefined, limits?: number[]): Span[] => {
    const spans: Span[] = [];
    // After a candidate that runs past the end of its string (a custom pattern such as
    // `token=\S+` also matches the "\0" separator and the next string), the rest of that string
    // is scanned again through a view that ends where the string ends, as text() would see it.
    let view = buf;
    let from = 0;
    for (;;) {
      const m = cursor.next(view, from);
      if (m === null) {
        if (view === buf) break;
        from = view.length + 1;
        view = buf;
        continue;
      }
      const [start, end] = m;
      if (end === start) {
        from = start + 1;
        continue;
      }
      if (limits && view === buf) {
        const k = slotOf(limits, start);
        if (limits[k] === start) {
          from = start + 1; // starts on a separator: not inside any string
          continue;
        }
        if (end > limits[k]) {
          view = buf.subarray(0, limits[k]);
          from = start;
          continue;
        }
      }
      // Leftmost-first union: the first detector (in priority order) matching these bytes.
      // Out of context a `\b` at the slice edge always holds, so a later detector can only be
      // mislabeled as an earlier one, never missed.
      const d = single ? 0 : firstId(which.match(view.subarray(start, end)));
      const det = detectors[d];
      const v = det.validate ? det.validate(view, start, end) : end - start;
      if (v === 0) {
        // Rejected (bad checksum, part of a longer run): another finding may start just after.
        from = start + 1;
        continue;
      }
      // A validator may keep a label in front of the finding ("SSN: ", "password=").
      const [s0, e0] = typeof v === 'number' ? [start, start + v] : v;
      spans.push({ start: s0, end: e0, detector: d });
      from = e0;
      if (counts) counts[det.kind] = (counts[det.kind] ?? 0) + 1;
    }
    return spans;
  };

  /** buf[from, to) with the spans inside it replaced; spans are consumed from spans[i]. */
  const rebuild = (buf: Buffer, from: number, to: number, spans: Span[], i: number): string => {
    const parts: Buffer[] = [];
    let last = from;
    for (; i < spans.length && spans[i].start < to; i++) {
      parts.push(buf.subarray(last, spans[i].start), replacements[spans[i].detector]);
      last = spans[i].end;
    }
    parts.push(buf.subarray(last, to));
    return Buffer.concat(parts).toString('utf8');
  };

  const text = (s: string, counts?: RedactionCounts): string => {
    if (!candidate(s)) return s;
    let buf = Buffer.from(s, 'utf8');
    // Scanned in normalized form; a value with no finding comes back exactly as it was.
    if (mayNormalize(s, buf.length === s.length)) {
      const n = normalizeText(s);
      if (n !== s) buf = Buffer.from(n, 'utf8');
    }
    const spans = scan(buf, counts);
    return spans.length === 0 ? s : rebuild(buf, 0, buf.length, spans, 0);
  };

  const key = (k: string, counts: RedactionCounts | undefined): string => {
    if (k.length < minLen) return k;
    const hit = keyCache.get(k);
    if (hit === k) return k;
    const local: RedactionCounts = {};
    const r = text(k, local);
    if (r === k && keyCache.size < 4096) keyCache.set(k, k);
    if (counts)
      for (const [kind, n] of Object.entries(local)) counts[kind] = (counts[kind] ?? 0) + n;
    return r;
  };

  const value = (v: unknown, counts: RedactionCounts | undefined, skipBinary: boolean): unknown => {
    if (typeof v === 'string') return text(v, counts);
    if (v === null || typeof v !== 'object') return v;
    // Pass 1: copy the structure, apply field rules, and collect every string long enough to
    // hold a finding into one joined buffer.
    const strings: string[] = [];
    // Slots as parallel arrays (no object per string): where each string sits in the copy, and
    // where it ends in the joined text; slot k starts at ends[k - 1] + 1.
    const targets: Slot['target'][] = [];
    const keys: Array<string | number> = [];
    const ends: number[] = [];
    let offset = 0;
    // Offsets are in UTF-16 units here and converted to bytes below only if the text is not
    // ASCII; one Buffer.from over the joined text is far cheaper than one per string.
    const take = (target: Slot['target'], k: string | number, s: string): void => {
      strings.push(s);
      targets.push(target);
      keys.push(k);
      offset += s.length;
      ends.push(offset);
      offset += 1;
    };
    // Runs of adjacent digit-group strings (split.ts): a run remembers where its members'
    // slots begin, so a run that forms a finding replaces its members whole and drops their
    // slots from the joined scan.
    interface Run {
      members: Array<string | number>;
      digits: string[];
      slots: number;
      offset: number;
    }
    const extend = (
      run: Run | null,
      out: Slot['target'],
      at: string | number,
      s: string,
    ): Run | null => {
      const d = splitPart(s);
      if (d === null) return close(run, out);
      if (run === null) return { members: [at], digits: [d], slots: strings.length, offset };
      run.members.push(at);
      run.digits.push(d);
      return run;
    };
    const close = (run: Run | null, out: Slot['target']): null => {
      if (run === null || run.members.length < 2) return null;
      const kind = splitKind(run.digits.length > MAX_RUN ? [] : run.digits);
      if (kind === null) return null;
      for (const m of run.members) (out as Record<string, unknown>)[m] = replacement(kind);
      if (counts) counts[kind] = (counts[kind] ?? 0) + 1;
      strings.length = targets.length = keys.length = ends.length = run.slots;
      offset = run.offset;
      return null;
    };
    const walk = (x: unknown, depth: number): unknown => {
      if (x === null || typeof x !== 'object') return x;
      if (depth >= MAX_DEPTH) {
        // Deeper than any sane tool result: keep it as text (still scanned, as one string),
        // or, if even serializing overflows, drop the subtree rather than leak it.
        let flat: string;
        try {
          flat = JSON.stringify(x);
        } catch {
          return '[REDACTED:too_deep]';
        }
        return text(flat, counts);
      }
      if (Array.isArray(x)) {
        const out: unknown[] = new Array(x.length);
        let run: Run | null = null;
        for (let i = 0; i < x.length; i++) {
          const e = x[i];
          if (typeof e === 'string') {
            out[i] = e;
            run = extend(run, out, i, e);
            if (candidate(e)) take(out, i, e);
          } else {
            run = close(run, out);
            out[i] = walk(e, depth + 1);
          }
        }
        close(run, out);
        return out;
      }
      const out: Record<string, unknown> = {};
      let run: Run | null = null;
      const src = x as Record<string, unknown>;
      // Object.keys + index: Object.entries allocates a pair per member.
      const ks = Object.keys(src);
      for (let j = 0; j < ks.length; j++) {
        const k = ks[j];
        const e = src[k];
        if (e === undefined) continue;
        // Keys repeat on every item: a clean key's name and field rule come from one lookup.
        const known = keyInfo.get(k);
        const name = known !== undefined ? k : key(k, counts);
        const rule = known !== undefined ? known.rule : fieldRule(k);
        if (known === undefined && name === k && keyInfo.size < 4096) keyInfo.set(k, { rule });
        if (rule !== null) {
          run = close(run, out);
          out[name] = replacement(rule);
          if (counts) counts[rule] = (counts[rule] ?? 0) + 1;
        } else if (typeof e === 'string') {
          out[name] = e;
          if (skipBinary && BINARY_KEYS.has(k)) {
            run = close(run, out);
            continue;
          }
          run = extend(run, out, name, e);
          if (candidate(e)) take(out, name, e);
        } else {
          run = close(run, out);
          out[name] = walk(e, depth + 1);
        }
      }
      close(run, out);
      return out;
    };
    const copy = walk(v, 0);
    if (ends.length === 0) return copy;
    // Pass 2: one scan, then write the redacted strings back into the copy.
    let joined = strings.join('\u0000');
    let buf = Buffer.from(joined, 'utf8');
    let ascii = buf.length === joined.length;
    if (mayNormalize(joined, ascii)) {
      // The scan sees each string normalized; the copy keeps the originals, and only strings
      // with a finding are rewritten (from their normalized form) below.
      let changed = false;
      for (let k = 0; k < strings.length; k++) {
        const n = normalizeText(strings[k]);
        if (n !== strings[k]) {
          strings[k] = n;
          changed = true;
        }
      }
      if (changed) {
        joined = strings.join('\u0000');
        buf = Buffer.from(joined, 'utf8');
        ascii = buf.length === joined.length;
        if (ascii) {
          let at = 0;
          for (let k = 0; k < ends.length; k++) {
            at += strings[k].length;
            ends[k] = at;
            at++;
          }
        }
      }
    }
    if (!ascii) {
      let at = 0;
      for (let k = 0; k < ends.length; k++) {
        at += Buffer.byteLength(strings[k], 'utf8');
        ends[k] = at;
        at += 1;
      }
    }
    const spans = scan(buf, counts, ends);
    // Walk the (few) spans, not the (many) slots: the slot pointer only moves forward.
    let k = 0;
    for (let i = 0; i < spans.length;) {
      while (ends[k] <= spans[i].start) k++;
      const start = k === 0 ? 0 : ends[k - 1] + 1;
      (targets[k] as Record<string, unknown>)[keys[k] as string] = rebuild(
        buf,
        start,
        ends[k],
        spans,
        i,
      );
      while (i < spans.length && spans[i].start < ends[k]) i++;
    }
    return copy;
  };

  return {
    kinds: [...new Set(detectors.map((d) => d.kind))],
    text,
    value: <T>(v: T, counts?: RedactionCounts) => value(v, counts, false) as T,
    result: <T>(r: T, counts?: RedactionCounts) => value(r, counts, true) as T,
    headers(h, counts) {
      const out: Record<string, string | string[]> = {};
      for (const [name, val] of Object.entries(h)) {
        if (val === undefined) continue;
        const rule = fieldRule(name);
        if (rule !== null) {
          out[name] = replacement(rule);
          if (counts) counts[rule] = (counts[rule] ?? 0) + 1;
        } else {
          out[name] = Array.isArray(val) ? val.map((x) => text(x, counts)) : text(val, counts);
        }
      }
      return out;
    },
  };
}

/** Lowest detector index (highest priority) in an RE2.Set answer; 0 if none. */
function firstId(ids: number[]): number {
  if (ids.length === 0) return 0;
  let d = ids[0];
  for (let i = 1; i < ids.length; i++) if (ids[i] < d) d = ids[i];
  return d;
}

/** Index of the joined string holding byte `at` (or whose separator sits at `at`): the first k
 *  with ends[k] ≥ at; `ends` is sorted. */
function slotOf(ends: number[], at: number): number {
  let lo = 0;
  let hi = ends.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ends[mid] < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of capturing groups in an RE2 source: the empty alternative always matches "". */
export function countGroups(source: string): number {
  const m = new RE2(`(?:${source})|`).exec('');
  return m === null ? 0 : m.length - 1;
}
