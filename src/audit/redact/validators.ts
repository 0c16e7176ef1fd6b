// Checksums and context checks that turn regex candidates into findings. A regular language
// cannot express a Luhn or mod-97 check, so patterns over-match and these reject the rest: that
// is what keeps order numbers and dotted version strings out of the audit's redaction counts.
import { isIPv6 } from 'node:net';

/** A validator sees the candidate (as UTF-8 bytes inside the whole buffer) and returns the
 *  accepted length in bytes (possibly shorter than the candidate), or 0 to reject it. */
export type Validator = (buf: Buffer, start: number, end: number) => number;

const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;

/** Luhn (ISO/IEC 7812-1 Annex B) over the digits of the candidate; separators are skipped. */
export const luhn: Validator = (buf, start, end) => {
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
  return end - start;
};

/** ISO 13616 IBAN: move the first four characters to the end, letters → 10..35, mod 97 = 1.
 *  The regex may swallow a trailing word ("… 00 THEN"), so shorter group-aligned prefixes are
 *  tried too, longest first. */
export const ibanChecksum: Validator = (buf, start, end) => {
  const text = buf.toString('latin1', start, end);
  const cuts: number[] = [text.length];
  for (let i = text.length - 1; i > 0; i--) if (text[i] === ' ') cuts.push(i);
  for (const cut of cuts) {
    const compact = text.slice(0, cut).replace(/ /g, '');
    if (compact.length < 15 || compact.length > 34) continue;
    if (mod97(compact.slice(4) + compact.slice(0, 4)) === 1) return cut;
  }
  return 0;
};

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

/** Digits adjacent to the candidate mean it is a slice of a longer number, not a value. */
export const digitFenced: Validator = (buf, start, end) =>
  isDigit(buf[start - 1]) || isDigit(buf[end]) ? 0 : end - start;
