// Checksums and context checks that turn regex candidates into findings. A regular language
// cannot express a Luhn or mod-97 check, so patterns over-match and these reject the rest: that
// is what keeps order numbers and dotted version strings out of the audit's redaction counts.
import { isIPv6 } from 'node:net';

/** A validator sees the candidate (as UTF-8 bytes inside the whole buffer) and returns the
 *  accepted length in bytes (possibly shorter than the candidate), 0 to reject it, or the
 *  [start, end) byte range of the finding inside the candidate (a label before it kept). */
export type Validator = (buf: Buffer, start: number, end: number) => number | [number, number];

const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;
const isAlnum = (b: number | undefined): boolean =>
  b !== undefined && (isDigit(b) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a));

/** Luhn (ISO/IEC 7812-1 Annex B) over the digits of the candidate; separators are skipped. */
export const luhn: Validator = (buf, start, end) => {
  if (buf[start] === 0x5f) {
    // Matched from an underscore before the digits: the finding starts after it.
    const n = luhn(buf, start + 1, end);
    return n === 0 ? 0 : [start + 1, end];
  }
  let sum = 0;
  let n = 0;
  for (let i = end - 1; i >= start; i--) {
    const c = buf[i];
    if (!isDigit(c)) continue;
    let d = c - 0x30;
    if (n % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    n++;
  }
  // ISO/IEC 7812: payment card IINs start with 2–6 (major industry identifier 2–6: airlines,
  // petroleum and telecom numbers are not cards); 13–19 digits in practice.
  const first = buf[start];
  if (n < 13 || n > 19 || sum % 10 !== 0 || first < 0x32 || first > 0x36) return 0;
  // A letter or digit right beside it: part of a longer identifier (hex ids, "ORD4111…").
  // Underscores and punctuation are fine ("card_4111…", "n:4111…").
  return alnumFenced(buf, start, end);
};

/** Letters or digits adjacent to the candidate mean it is part of a longer token. */
export const alnumFenced: Validator = (buf, start, end) =>
  isAlnum(buf[start - 1]) || isAlnum(buf[end]) ? 0 : end - start;

/** ISO 13616 IBAN: move the first four characters to the end, letters → 10..35, mod 97 = 1.
 *  The regex may swallow a trailing word ("… 00 THEN"), so shorter group-aligned prefixes are
 *  tried too, longest first. */
export const ibanChecksum: Validator = (buf, start, end) => {
  const text = buf.toString('latin1', start, end).toUpperCase();
  const want = IBAN_LENGTH[text.slice(0, 2)];
  if (want === undefined) return 0;
  const cuts: number[] = [text.length];
  for (let i = text.length - 1; i > 0; i--) if (text[i] === ' ' || text[i] === '-') cuts.push(i);
  for (const cut of cuts) {
    const compact = text.slice(0, cut).replace(/[ -]/g, '');
    if (compact.length !== want) continue;
    if (mod97(compact.slice(4) + compact.slice(0, 4)) === 1) return cut;
  }
  return 0;
};

/** IBAN length per country (SWIFT IBAN Registry): a random "ab12…" word run of the wrong
 *  length is rejected before the checksum, which alone would pass 1 in 97. */
const IBAN_LENGTH: Record<string, number> = Object.fromEntries(
  (
    'AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 ' +
    'DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HR21 HU28 IE22 ' +
    'IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 ' +
    'MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 ' +
    'SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 UA29 VA22 VG24 XK20 YE30'
  )
    .split(' ')
    .map((e) => [e.slice(0, 2), Number(e.slice(2))]),
);

function mod97(s: string): number {
  let r = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c <= 0x39 ? c - 0x30 : c - 0x41 + 10;
    r = v >= 10 ? (r * 100 + v) % 97 : (r * 10 + v) % 97;
  }
  return r;
}

/** Rejects IPv4 candidates that are part of a longer dotted run ("1.2.3.4.5", "v10.0.0.1.2"),
 *  which `\b` alone cannot see: RE2 has no lookaround. */
export const ipv4Context: Validator = (buf, start, end) => {
  if (buf[start - 1] === 0x2e && isDigit(buf[start - 2])) return 0;
  if (buf[end] === 0x2e && isDigit(buf[end + 1])) return 0;
  return end - start;
};

/** The IPv6 regex is permissive about group counts; node's parser has the final word. A
 *  trailing ":" run (e.g. "fe80::1:") is trimmed before asking. */
export const ipv6Check: Validator = (buf, start, end) => {
  let e = end;
  while (e > start && buf[e - 1] === 0x3a && buf[e - 2] !== 0x3a) e--;
  const s = buf.toString('latin1', start, e);
  if (!isIPv6(s)) return 0;
  // "::" alone, or short words around "::" ("12::30", "a::b" in prose or C++), are too weak
  // a signal; real addresses have three groups or a long one ("fe80::1").
  const groups = s.split(':').filter((g) => g !== '');
  return groups.length >= 3 || s.includes('.') || groups.some((g) => g.length >= 3) ? e - start : 0;
};

/** `name=value` / `"name": "value"`: the finding is the value, after the first ':' or '=' and
 *  any spaces, quotes and escaping backslashes. */
export const credentialValue: Validator = (buf, start, end) => {
  let i = start;
  while (i < end && buf[i] !== 0x3a && buf[i] !== 0x3d) i++;
  i++;
  const sep = i;
  while (
    i < end &&
    (buf[i] === 0x20 || buf[i] === 0x09 || buf[i] === 0x22 || buf[i] === 0x27 || buf[i] === 0x5c)
  )
    i++;
  if (i >= end) return 0;
  // Unquoted: a lone word followed by more prose ("password: click here"), an auth scheme
  // name ("token: Bearer …", left to the bearer pattern) or a placeholder is not a value.
  const quoted = i > sep && (buf[i - 1] === 0x22 || buf[i - 1] === 0x27);
  if (!quoted) {
    const word = buf.toString('latin1', i, end);
    if (PLACEHOLDER.has(word.toLowerCase())) return 0;
    if ((buf[end] === 0x20 || buf[end] === 0x09) && /^[A-Za-z]+$/.test(word)) return 0;
  }
  return [i, end];
};

const PLACEHOLDER = new Set(['null', 'none', 'true', 'false', 'undefined', 'required', 'redacted']);

/** A bearer or basic credential, not an English word after "bearer"/"basic" ("basic
 *  information", "bearer instrument"): the token has a digit or a base64/b64token symbol, or
 *  an upper-case letter after its first character. */
export const schemeToken: Validator = (buf, start, end) => {
  let i = start;
  while (buf[i] !== 0x20 && buf[i] !== 0x09) i++;
  while (buf[i] === 0x20 || buf[i] === 0x09) i++;
  for (let j = i; j < end; j++) {
    const c = buf[j];
    if (isDigit(c) || c === 0x2b || c === 0x2f || c === 0x3d || c === 0x2e || c === 0x5f)
      return end - start;
    if (c === 0x2d || c === 0x7e) return end - start;
    if (j > i && c >= 0x41 && c <= 0x5a) return end - start;
  }
  return 0;
};

/** "SSN: 123456789": the nine digits are the finding (the label stays), and they must not
 *  continue into a longer number. */
export const ssnAfterLabel: Validator = (buf, start, end) =>
  isDigit(buf[end]) ? 0 : [end - 9, end];

/** International phone numbers: 8–15 digits (ITU-T E.164 §6.2.1), not counting the "00"
 *  international prefix or a "(0)" trunk prefix. The regex may run into a following number
 *  ("+44 20 7946 0958 2024"), so the longest prefix ending at a group end within the bound is
 *  kept. The "00" form needs a separator: a zero-padded id ("00123456789") is not a number. */
export const phoneDigits: Validator = (buf, start, end) => {
  const plus = buf[start] === 0x2b;
  let digits = plus ? 0 : -2;
  let separated = false;
  let best = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c === 0x28 && buf[i + 1] === 0x30 && buf[i + 2] === 0x29) {
      i += 2; // "(0)"
      separated = true;
    } else if (isDigit(c)) {
      digits++;
      // A group ends where the digits do; a closing parenthesis belongs to its group.
      if (!isDigit(buf[i + 1]) && digits >= 8 && digits <= 15)
        best = Math.min(end, buf[i + 1] === 0x29 ? i + 2 : i + 1);
    } else separated = true;
  }
  if (best === 0 || (!plus && !separated) || isDigit(buf[start - 1])) return 0;
  if (!plus) {
    // "00" + a 1–3 digit country code, then a separator and a national number without its
    // trunk "0" ("0044 20 …"): digit groups that merely start with 00 ("… 0044 0532 …") are not.
    let g = start;
    while (isDigit(buf[g])) g++;
    if (g - start < 3 || g - start > 5 || buf[g + 1] === 0x30) return 0;
  }
  return best - start;
};

/** Digits adjacent to the candidate mean it is a slice of a longer number, not a value. */
export const digitFenced: Validator = (buf, start, end) =>
  isDigit(buf[start - 1]) || isDigit(buf[end]) ? 0 : end - start;
