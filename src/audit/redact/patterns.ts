// The built-in detectors. Each is an RE2 pattern (linear time: RE2 compiles to automata and never
// backtracks, so hostile tool output cannot stall the gateway) plus an optional validator for
// what a regular language cannot check. Order is priority: when two candidates start at the same
// byte, the earlier kind wins (the compiled union is leftmost-first).
//
// Patterns run over UTF-8 bytes; `\b` and `\d` are ASCII-only in RE2, which is what we want for
// identifiers embedded in any script ("電話+14155550123" still has a boundary before "+").
import {
  digitFenced,
  ibanChecksum,
  ipv4Context,
  ipv6Check,
  luhn,
  type Validator,
} from './validators.ts';

export interface Detector {
  /** Appears in `[REDACTED:<kind>]` and in the record's `redactions` counts. */
  kind: string;
  /** RE2 syntax, with no capturing groups (the union adds exactly one per detector). */
  source: string;
  validate?: Validator;
  /** From `audit.redaction.patterns` (may match strings shorter than any built-in). */
  custom?: boolean;
}

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])';
const H16 = '[0-9A-Fa-f]{1,4}';
const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';

export const BUILTIN_DETECTORS: readonly Detector[] = [
  // RFC 7468 textual encoding; the second form catches a key cut off before its END line.
  {
    kind: 'private_key',
    source:
      '-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY-----(?:[^\\x00]*?-----END [A-Z0-9 ]{0,40}PRIVATE KEY-----|[A-Za-z0-9+/=\\s:,-]*)',
  },
  // RFC 7519 compact JWS/JWE: base64url of '{"' is "eyJ" for header and (usually) payload.
  { kind: 'jwt', source: '\\beyJ[A-Za-z0-9_-]{4,}\\.eyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_.-]*' },
  // RFC 6750 §2.1 b64token after the scheme name (case-insensitive per RFC 7235 §2.1).
  { kind: 'bearer_token', source: '\\b[Bb][Ee][Aa][Rr][Ee][Rr][ \\t]+[A-Za-z0-9._~+/-]{8,}=*' },
  // AWS access key ids: a four-letter type prefix and 16 base32-ish characters.
  {
    kind: 'aws_access_key',
    source: '\\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}\\b',
  },
  // RFC 5321 mailbox, the practical subset: dot-atom local part, DNS labels, alphabetic TLD.
  {
    kind: 'email',
    source: `[A-Za-z0-9._%+-]+@${LABEL}(?:\\.${LABEL})*\\.[A-Za-z]{2,63}\\b`,
  },
  // ISO 13616: country, two check digits, 11–30 alphanumerics, optionally in groups of four.
  {
    kind: 'iban',
    source: '\\b[A-Z]{2}[0-9]{2}(?:[A-Z0-9]{11,30}|(?: [A-Z0-9]{4}){2,7}(?: [A-Z0-9]{1,4})?)\\b',
    validate: ibanChecksum,
  },
  // Payment cards: a plain 12–19 digit run, or 4-4-4-4(-3) / Amex 4-6-5 with space or dash.
  {
    kind: 'card',
    source:
      '\\b(?:[2-6][0-9]{12,18}|[0-9]{4}[ -][0-9]{4}[ -][0-9]{4}[ -][0-9]{4}(?:[ -][0-9]{3})?|[0-9]{4}[ -][0-9]{6}[ -][0-9]{5})\\b',
    validate: luhn,
  },
  // US SSN with the SSA's never-issued ranges excluded: area 000/666/9xx, group 00, serial 0000.
  {
    kind: 'ssn',
    source:
      '\\b(?:00[1-9]|0[1-9][0-9]|[1-578][0-9]{2}|6[0-57-9][0-9]|66[0-57-9])(?:-(?:0[1-9]|[1-9][0-9])-| (?:0[1-9]|[1-9][0-9]) )(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})\\b',
    validate: digitFenced,
  },
  // ITU-T E.164: "+", country code not starting with 0, at most 15 digits, optional separators.
  { kind: 'phone', source: '\\+[1-9](?:[ .-]?[0-9]){7,14}\\b', validate: digitFenced },
  // NANP (ATNI): [2-9]XX area and exchange; separators or parentheses required so bare
  // 10-digit identifiers are not taken for phone numbers (use E.164 for those).
  {
    kind: 'phone',
    source:
      '(?:\\b1[ .-]?)?(?:\\([2-9][0-9]{2}\\) ?|\\b[2-9][0-9]{2}[ .-])[2-9][0-9]{2}[ .-][0-9]{4}\\b',
    validate: digitFenced,
  },
  { kind: 'ipv4', source: `\\b(?:${OCTET}\\.){3}${OCTET}\\b`, validate: ipv4Context },
  // RFC 4291 §2.2 text forms (full, "::"-compressed, IPv4-suffixed); node:net confirms.
  {
    kind: 'ipv6',
    source: `(?:${H16}:){7}${H16}|(?:${H16}:){0,6}(?:${H16})?::(?:${H16}:){0,6}(?:(?:${OCTET}\\.){3}${OCTET}|${H16})?|(?:${H16}:){6}(?:${OCTET}\\.){3}${OCTET}`,
    validate: ipv6Check,
  },
];
