// The built-in detectors. Each is an RE2 pattern (linear time: RE2 compiles to automata and never
// backtracks, so hostile tool output cannot stall the gateway) plus an optional validator for
// what a regular language cannot check. Order is priority: when two candidates start at the same
// byte, the earlier kind wins (the compiled union is leftmost-first).
//
// Patterns run over UTF-8 bytes of the normalized text (normalize.ts: NFKC, invisible
// characters removed, %XX decoded); `\b` and `\d` are ASCII-only in RE2, which is what we want
// for identifiers embedded in any script ("電話+14155550123" still has a boundary before "+").
// The README's "Redaction" table lists every kind with what it catches and what it leaves.
import {
  credentialValue,
  digitFenced,
  ibanChecksum,
  ipv4Context,
  ipv6Check,
  luhn,
  phoneDigits,
  schemeToken,
  ssnAfterLabel,
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
// IDNA 2008 labels (RFC 5890): letters and digits of any script, or the ASCII "xn--" form.
// Unicode classes are never repeated with a count: RE2 expands `{n,m}` into m copies, and a
// copy of \p{L} is thousands of UTF-8 ranges (the union would not compile).
const LABEL = '[\\p{L}\\p{N}](?:[\\p{L}\\p{N}-]*[\\p{L}\\p{N}])?';
// SSA rules for issued numbers: area 001–899 except 666, group 01–99, serial 0001–9999.
const SSN_AREA = '(?:00[1-9]|0[1-9][0-9]|[1-578][0-9]{2}|6[0-57-9][0-9]|66[0-57-9])';
const SSN_GROUP = '(?:0[1-9]|[1-9][0-9])';
const SSN_SERIAL = '(?:000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})';
const SEP = '[ ._/-]';
// Card separators: space (a no-break space is one after NFKC), dot, underscore, dash.
const CSEP = '[ ._-]';
// JSON-ish quote, possibly escaped once (a JSON document carried inside a JSON string).
const Q = '(?:\\\\?["\'])?';
// Names whose value is a credential wherever they appear as `name=value` or `"name": "value"`.
const CREDENTIAL_NAMES =
  'password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|secret[_-]?key|private[_-]?key[_-]?id|session[_-]?id|client[_-]?secret';
// An unquoted credential value's character. A negated class spans all of Unicode (thousands of
// UTF-8 byte ranges), so it is never repeated with a count: `{4,256}` of it would make the union
// too big for RE2's DFA, which then falls back to its NFA at a hundredth of the speed.
const VALUE = '[^\\s"\'&,;\\\\]';
// Whitespace that may sit around a JWT's dots: real, or JSON-escaped (\n, \r, \t).
const WS = '(?:\\s|\\\\[nrt])*';

export const BUILTIN_DETECTORS: readonly Detector[] = [
  // RFC 7468 textual encoding (PKCS#1/#8, EC, OpenSSH "OPENSSH PRIVATE KEY", PGP "PRIVATE KEY
  // BLOCK"); the second form catches a key cut off before its END line.
  {
    kind: 'private_key',
    source:
      '-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:[^\\x00]*?-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\\s:,\\\\-]*)',
  },
  // PuTTY .ppk key files: everything from the header to the MAC line.
  {
    kind: 'private_key',
    source: 'PuTTY-User-Key-File-[23]: [^\\x00]*?Private-MAC: [0-9a-fA-F]+',
  },
  // A credential after its name, in text: `password=…`, `"api_key": "…"`, `?token=…`. Only the
  // value is replaced (the validator trims the name off), so the record still says what it was.
  {
    kind: 'credential',
    source: `(?i:${CREDENTIAL_NAMES})${Q}[ \\t]*[:=][ \\t]*(?:\\\\?"[^"\\\\\\r\\n]+|'[^'\\r\\n]+|${VALUE}${VALUE}${VALUE}${VALUE}+)`,
    validate: credentialValue,
  },
  // RFC 7519 compact JWS/JWE: base64url of '{"' is "eyJ" for header and (usually) payload;
  // whitespace around the dots (a token wrapped across lines) is part of the token.
  {
    kind: 'jwt',
    source: `\\beyJ[A-Za-z0-9_-]{4,}${WS}\\.${WS}eyJ[A-Za-z0-9_-]{4,}${WS}\\.(?:${WS}[A-Za-z0-9_-]+(?:\\.[A-Za-z0-9_-]+)*)?`,
  },
  // RFC 6750 §2.1 b64token after the scheme name (case-insensitive per RFC 7235 §2.1).
  {
    kind: 'bearer_token',
    source: '\\b[Bb][Ee][Aa][Rr][Ee][Rr][ \\t]+[A-Za-z0-9._~+/-]{8,}=*',
    validate: schemeToken,
  },
  // RFC 7617 Basic credentials: base64 of user:password.
  {
    kind: 'basic_auth',
    source: '\\b[Bb][Aa][Ss][Ii][Cc][ \\t]+[A-Za-z0-9+/]{8,}={0,2}',
    validate: schemeToken,
  },
  // GitHub tokens: classic (ghp_ personal, gho_ OAuth, ghu_ user-to-server, ghs_
  // server-to-server, ghr_ refresh; 36 base62 characters) and fine-grained github_pat_.
  {
    kind: 'github_token',
    source: '\\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,255})\\b',
  },
  // Slack tokens: bot, user, app-level, refresh, configuration (xoxb-, xoxp-, xapp-, …).
  { kind: 'slack_token', source: '\\b(?:xox[abeoprs]|xapp)-[A-Za-z0-9-]{10,250}' },
  // Stripe secret and restricted keys (live and test mode).
  { kind: 'stripe_key', source: '\\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,247}\\b' },
  // An AWS access key id followed by its 40-character secret access key (the layout of
  // credentials CSVs, `aws configure` output and env dumps): the pair is one finding.
  {
    kind: 'aws_access_key',
    source: '\\b(?:AKIA|ASIA)[A-Z0-9]{16}["\',:;=|\\s\\\\]{1,8}[A-Za-z0-9/+]{40}',
  },
  // AWS access key ids: a four-letter type prefix and 16 base32-ish characters.
  {
    kind: 'aws_access_key',
    source: '\\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|ASCA)[A-Z0-9]{16}\\b',
  },
  // RFC 5321 mailbox: dot-atom or quoted-string local part (RFC 5322 §3.4.1), with the Latin,
  // Greek and Cyrillic letters RFC 6531 allows; IDN or punycode domain, alphabetic TLD.
  {
    kind: 'email',
    source: `(?:[A-Za-z0-9._%+\\p{Latin}\\p{Greek}\\p{Cyrillic}-]+|"(?:[^"\\\\\\r\\n\\x00]|\\\\.)+")@(?:${LABEL}\\.)+(?:[A-Za-z]{2,63}\\b|xn--[A-Za-z0-9-]{1,59}\\b|\\p{L}\\p{L}+)`,
  },
  // ISO 13616: country, two check digits, 11–30 alphanumerics, optionally in groups of four;
  // either case (the validator checks the country's length and mod 97).
  {
    kind: 'iban',
    source:
      '\\b[A-Za-z]{2}[0-9]{2}(?:[A-Za-z0-9]{11,30}|(?:[ -][A-Za-z0-9]{4}){2,7}(?:[ -][A-Za-z0-9]{1,4})?)\\b',
    validate: ibanChecksum,
  },
  // Payment cards: a plain 13–19 digit run, 4-4-4-N and 4-4-4-4-3 groups, Amex/Diners 4-6-4/5,
  // with any card separator; Luhn and the IIN range decide.
  {
    kind: 'card',
    // Anchored at a word boundary or an underscore ("card_4111…"; the validator drops the
    // underscore): a card that could start at any digit would make RE2's DFA track every
    // start inside a digit run at once, and its states explode.
    source: `(?:\\b|_)(?:[2-6][0-9]{12,18}|[2-6][0-9]{3}(?:${CSEP}[0-9]{4}){2}${CSEP}[0-9]{1,7}|[2-6][0-9]{3}(?:${CSEP}[0-9]{4}){3}${CSEP}[0-9]{3}|3[0-9]{3}${CSEP}[0-9]{6}${CSEP}[0-9]{4,5})`,
    validate: luhn,
  },
  // US SSN in issued ranges with any one separator between the groups.
  {
    kind: 'ssn',
    source: `\\b${SSN_AREA}${SEP}${SSN_GROUP}${SEP}${SSN_SERIAL}\\b`,
    validate: digitFenced,
  },
  // Nine bare digits are an SSN only after a label ("SSN: 123456789", `"ssn":"…"`): without
  // one, every order number and timestamp fragment would be taken for one.
  {
    kind: 'ssn',
    source: `(?i:ssn|social[ _-]?security(?:[ _-]?(?:number|no))?|ss#)[\\x20-\\x2f\\x3a-\\x7e]{0,12}${SSN_AREA}${SSN_GROUP}${SSN_SERIAL}`,
    validate: ssnAfterLabel,
  },
  // International numbers: "+" or "00" and a country code, then digits and groups with
  // space/dot/dash/slash separators, "(0)" trunk prefixes and parenthesized area codes;
  // E.164 bounds (8–15 digits) are checked by the validator.
  {
    kind: 'phone',
    source: '(?:\\+|\\b00)[1-9](?:[ .\\-/]?(?:\\(0\\)[ .-]?)?(?:\\([0-9]{1,4}\\)|[0-9])){6,18}',
    validate: phoneDigits,
  },
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
