// Normalization before matching, so look-alike spellings of a value are found by the same
// patterns as the plain one: "ａｌｉｃｅ＠example.com" (fullwidth), "4111\u00a01111…" (no-break
// spaces), "123‐45‐6789" (Unicode hyphens), "bob\u200b@example.org" (a zero-width space), and
// "alice%40example.com" (percent-encoded, RFC 3986 §2.1) are all caught.
//
// The redactor scans the normalized form and keeps the original text when nothing was found
// there: normalization never changes a clean value. A value with a finding is stored in its
// normalized form (with the finding replaced), because offsets in the normalized text do not
// map back onto the original one character for one.
//
// Every step is a single pass over the string (character classes and table lookups, no
// backtracking), so the linear-time bound of the RE2 scan holds for the whole pipeline.

/** Characters with no glyph that split a token for a regex but not for a reader: soft hyphen,
 *  Mongolian vowel separator, zero-width space/joiners, LRM/RLM, the bidi embeddings,
 *  overrides and isolates (Unicode TR9), word joiner, invisible operators, BOM. */
const INVISIBLE = /[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/g;

/** Hyphens and minus signs NFKC leaves alone (it maps only compatibility forms). */
const DASHES = /[\u2010-\u2015\u2212\ufe58\ufe63\uff0d]/g;

/** Runs of %XX escapes (RFC 3986 §2.1); decoded as UTF-8 when the run is valid UTF-8. */
const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g;

const decodeRun = (run: string): string => {
  try {
    return decodeURIComponent(run);
  } catch {
    return run; // not UTF-8 (e.g. "%ff"): left as written
  }
};

/** True when `s` may read differently after normalization (non-ASCII or a %XX escape). The
 *  common all-ASCII value costs one native scan for '%'. */
export function mayNormalize(s: string, ascii: boolean): boolean {
  return !ascii || s.includes('%');
}

/** The form patterns are matched against. Percent-decoding first, so an encoded zero-width
 *  space or fullwidth digit is normalized like a literal one. */
export function normalizeText(s: string): string {
  let t = s;
  // Up to three rounds: a value encoded twice ("%2540") is still an '@' to whoever decodes it.
  for (let i = 0; i < 3 && t.includes('%'); i++) {
    const d = t.replace(PERCENT_RUN, decodeRun);
    if (d === t) break;
    t = d;
  }
  if (/[^\x00-\x7f]/.test(t)) {
    t = t.replace(INVISIBLE, '').normalize('NFKC').replace(DASHES, '-');
  }
  return t;
}

/** Normalization of a JSON key for field rules: invisible characters and compatibility forms
 *  ("ｐａｓｓｗｏｒｄ") must not hide a sensitive name. */
export function normalizeKey(k: string): string {
  return /[^\x00-\x7f]/.test(k) ? k.replace(INVISIBLE, '').normalize('NFKC') : k;
}
