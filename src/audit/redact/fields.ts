// Field-name rules: a value stored under a sensitive key is replaced whole, whatever it looks
// like ("hunter2" has no pattern, but `password: hunter2` is still a password). Keys are
// compared normalized — lower case, separators (`-`, `_`, `.`, space) removed — and a rule
// matches the whole key or its end, so `password` covers `db_password` and `X-Api-Key` matches
// `api_key`, while `max_tokens` is not taken for a token. A rule with `*` is a glob over the
// normalized key instead.

import RE2 from 're2';

/** Defaults, always on; `audit.redaction.fields` adds to them. */
export const DEFAULT_FIELD_RULES: readonly string[] = [
  'password',
  'passwd',
  'secret',
  'authorization',
  'proxy_authorization',
  'cookie',
  'api_key',
  'access_token',
  'refresh_token',
  'id_token',
  'session_token',
  'auth_token',
  'private_key',
  'credentials',
];

/** Returns the rule a key falls under (its redaction kind), or null. */
export type FieldMatcher = (key: string) => string | null;

export const FIELD_RULE = /^[A-Za-z0-9_.*-]{1,64}$/;

const normalize = (k: string): string => k.toLowerCase().replace(/[-_. ]/g, '');

/** The kind a rule reports: the rule without glob stars, snake_case. */
export const ruleKind = (rule: string): string =>
  rule
    .replace(/\*/g, '')
    .replace(/[-. ]/g, '_')
    .toLowerCase()
    .replace(/^_+|_+$/g, '') || 'field';

export function compileFieldRules(rules: readonly string[]): FieldMatcher {
  const suffixes: Array<[string, string]> = [];
  const globs: Array<[RE2, string]> = [];
  for (const r of [...DEFAULT_FIELD_RULES, ...rules]) {
    if (r.includes('*')) {
      // After normalization a rule holds only [a-z0-9*] (FIELD_RULE), so `*` is the one
      // metacharacter; RE2 keeps even many-star globs linear on hostile keys.
      globs.push([new RE2(`^${normalize(r).split('*').join('.*')}$`), ruleKind(r)]);
    } else suffixes.push([normalize(r), ruleKind(r)]);
  }
  const cache = new Map<string, string | null>();
  return (key) => {
    const hit = cache.get(key);
    if (hit !== undefined) return hit;
    const k = normalize(key);
    let found: string | null = null;
    for (const [s, kind] of suffixes) {
      if (k === s || k.endsWith(s)) {
        found = kind;
        break;
      }
    }
    if (found === null) for (const [re, kind] of globs) if (re.test(k)) found = kind;
    // Keys repeat endlessly (every tool call has the same argument names); bound the cache so
    // hostile keys cannot grow it.
    if (cache.size < 4096) cache.set(key, found);
    return found;
  };
}
