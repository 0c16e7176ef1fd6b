// Field-name rules: a value stored under a sensitive key is replaced whole, whatever it looks
// like ("hunter2" has no pattern, but `password: hunter2` is still a password). Keys are
// NFKC-normalized with invisible characters removed (normalize.ts), then compared two ways:
//  - a rule of five or more characters matches the whole key or its end, with case and
//    separators (`-`, `_`, `.`, space) ignored: `password` covers `db_password` and
//    `dbPassword`, `X-Api-Key` matches `api_key`, while `max_tokens` is not taken for a token;
//  - a short rule (`pin`, `pwd`, `ssn`, `cvv`) must be the whole key or its last word
//    (`user_pin`, `cardPin`), or "shipping" would be a pin;
//  - a rule with `*` is a glob: over the key with separators removed, or, when the rule itself
//    has separators (`*_secret_*`), over the key split into snake_case words.

import RE2 from 're2';
import { normalizeKey } from './normalize.ts';

/** Defaults, always on; `audit.redaction.fields` adds to them. The first rule a key matches
 *  names its kind, so specific rules come before the general ones. */
export const DEFAULT_FIELD_RULES: readonly string[] = [
  'password',
  'passwd',
  'passphrase',
  'pwd',
  'authorization',
  'proxy_authorization',
  'cookie',
  'api_key',
  'access_token',
  'refresh_token',
  'id_token',
  'session_token',
  'auth_token',
  'token',
  'client_secret',
  'private_key_id',
  'private_key',
  'secret',
  'secret*',
  '*_secret_*',
  'credentials',
  'session_id',
  'pin',
  'ssn',
  'social_security_number',
  'card_number',
  'cvv',
  'cvc',
];

/** Keys a default rule would catch that carry no secret by protocol definition: MCP's
 *  `_meta.progressToken` (2025-11-25 "Progress") is a request-chosen correlation value. */
const NOT_SECRET = new Set(['progresstoken']);

/** Returns the rule a key falls under (its redaction kind), or null. */
export type FieldMatcher = (key: string) => string | null;

export const FIELD_RULE = /^[A-Za-z0-9_.*-]{1,64}$/;

const SHORT = 4;
const normalize = (k: string): string => k.toLowerCase().replace(/[-_. ]/g, '');
/** "clientSecretKey", "client-secret.key" → "client_secret_key". */
const snake = (k: string): string =>
  k
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[-. ]/g, '_');

/** The kind a rule reports: the rule without glob stars, snake_case. */
export const ruleKind = (rule: string): string =>
  rule
    .replace(/\*/g, '')
    .replace(/[-. ]/g, '_')
    .toLowerCase()
    .replace(/^_+|_+$/g, '') || 'field';

export function compileFieldRules(rules: readonly string[]): FieldMatcher {
  const suffixes: Array<[string, string]> = [];
  const words: Array<[string, string]> = [];
  const globs: Array<[RE2, boolean, string]> = [];
  for (const r of [...DEFAULT_FIELD_RULES, ...rules]) {
    if (r.includes('*')) {
      // A rule holds only [A-Za-z0-9_.*-] (FIELD_RULE), so after this `*` is the one
      // metacharacter; RE2 keeps even many-star globs linear on hostile keys.
      const bySnake = /[-_.]/.test(r);
      const body = bySnake ? snake(r) : normalize(r);
      globs.push([new RE2(`^${body.split('*').join('.*')}$`), bySnake, ruleKind(r)]);
    } else if (normalize(r).length <= SHORT) words.push([snake(r), ruleKind(r)]);
    else suffixes.push([normalize(r), ruleKind(r)]);
  }
  const cache = new Map<string, string | null>();
  const match = (key: string): string | null => {
    const n = normalizeKey(key);
    const k = normalize(n);
    if (NOT_SECRET.has(k)) return null;
    for (const [s, kind] of suffixes) if (k === s || k.endsWith(s)) return kind;
    const sk = snake(n);
    for (const [w, kind] of words) if (sk === w || sk.endsWith(`_${w}`)) return kind;
    for (const [re, bySnake, kind] of globs) if (re.test(bySnake ? sk : k)) return kind;
    return null;
  };
  return (key) => {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const found = match(key);
    // Keys repeat endlessly (every tool call has the same argument names); bound the cache so
    // hostile keys cannot grow it.
    if (cache.size < 4096) cache.set(key, found);
    return found;
  };
}
