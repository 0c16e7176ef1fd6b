// Canonical JSON and the hash chain.
//
// Canonical form (RFC 8785 "JSON Canonicalization Scheme", the parts a JSON log needs):
//   - object members sorted by key, comparing UTF-16 code units (RFC 8785 §3.2.3), which is
//     exactly JavaScript's default string ordering;
//   - no insignificant whitespace;
//   - strings and numbers serialized as ECMAScript JSON.stringify does (RFC 8785 §3.2.2.2 and
//     §3.2.2.3 defer to ECMA-262 for both: shortest round-trip numbers, minimal escapes);
//   - members whose value is `undefined` are omitted; non-finite numbers are rejected.
// Deviation: a lone UTF-16 surrogate is written as a `\udXXX` escape (what JSON.stringify does)
// instead of being an error, so a hostile tool result cannot make a record unwritable.
//
// Chain: record.hash = hex(SHA-256(canonical(record without `hash`))), where the record
// includes `prev` (the previous record's hash; 64 zeros for the first record ever written) and
// `seq` (0, 1, 2, … across rotated files and restarts). Editing any field breaks that record's
// hash; deleting or reordering records breaks the next record's `prev` and the `seq` run.
//
// Keyed chain: with `audit.chain_key` the hash is HMAC-SHA-256 (RFC 2104) under that key, and
// the record names the key in `kid` (hashed with the rest), so whoever can write the file but
// does not hold the key cannot re-hash an edited record and its successors.
//
// Line separators: besides "\n", Unicode line-splitting tools (Python's str.splitlines,
// JavaScript's line terminators in some readers, log shippers) also break lines at U+0085 NEL,
// the other C1 controls they treat as breaks, and U+2028/U+2029 (Unicode Standard Annex #14
// "mandatory breaks"). JSON.stringify leaves all of U+0080–U+009F and U+2028/U+2029 raw, so
// canonical strings escape them as \uXXXX: one record stays one line for every tool, and the
// hash is over exactly the bytes written (a reader parses the escape back to the same char).
import { createHmac, hash as oneShotHash } from 'node:crypto';

export const GENESIS = '0'.repeat(64);

/** Hex SHA-256 of a string: the one-shot `crypto.hash` (Node ≥ 20.12) skips the Hash object. */
const sha256 = (s: string): string => oneShotHash('sha256', s, 'hex');

/** How a record's canonical text becomes its `hash`: SHA-256, or HMAC-SHA-256 under a key. */
export type ChainHasher = (canonicalText: string) => string;
export const SHA256: ChainHasher = sha256;
export const hmacHasher =
  (key: Buffer): ChainHasher =>
  (s) =>
    createHmac('sha256', key).update(s).digest('hex');

/** Characters escaped beyond JSON.stringify's set (see the file comment). */
const LINE_BREAKING = /[\u0080-\u009f\u2028\u2029]/;
const LINE_BREAKING_G = /[\u0080-\u009f\u2028\u2029]/g;
const escapeChar = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** Records written before line separators were escaped canonicalized strings with
 *  JSON.stringify alone; verify re-checks such a record this way (see verify.ts). */
let legacyStrings = false;
function quote(s: string): string {
  const q = JSON.stringify(s);
  return legacyStrings || !breaksLines(s) ? q : q.replace(LINE_BREAKING_G, escapeChar);
}

/** Most record strings are short ("allow", "tools/call", ids): a loop is cheaper than a RegExp
 *  call for them; longer ones take the RegExp's scan. */
function breaksLines(s: string): boolean {
  if (s.length > 32) return LINE_BREAKING.test(s);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 && (c <= 0x9f || c === 0x2028 || c === 0x2029)) return true;
  }
  return false;
}

/** canonicalize() as it was before line separators were escaped (for verifying old files). */
export function canonicalizeLegacy(v: unknown): string {
  legacyStrings = true;
  try {
    return canonicalize(v);
  } finally {
    legacyStrings = false;
  }
}

export function canonicalize(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return quote(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`cannot canonicalize non-finite number ${v}`);
      // ECMA-262 Number::toString is what JSON.stringify uses for finite numbers (-0 → "0").
      return String(v);
    case 'object': {
      if (Array.isArray(v)) {
        let s = '[';
        for (let i = 0; i < v.length; i++) {
          if (i > 0) s += ',';
          const e: unknown = v[i];
          s += e === undefined ? 'null' : canonicalize(e);
        }
        return `${s}]`;
      }
      const obj = v as Record<string, unknown>;
      const toJSON = (obj as { toJSON?: () => unknown }).toJSON;
      if (typeof toJSON === 'function') return canonicalize(toJSON.call(obj));
      return `{${members(obj, sortedKeys(obj))}}`;
    }
    case 'bigint':
      throw new TypeError('cannot canonicalize a bigint');
    default:
      return 'null';
  }
}

/** Own enumerable keys in UTF-16 code-unit order. Records are mostly built in sorted order
 *  already, so one linear check usually replaces the sort. */
function sortedKeys(obj: Record<string, unknown>): string[] {
  return sortInPlace(Object.keys(obj));
}

function sortInPlace(keys: string[]): string[] {
  for (let i = 1; i < keys.length; i++) if (keys[i - 1] > keys[i]) return keys.sort();
  return keys;
}

/** Inserts `k` into sorted `keys` at its place (code-unit order). */
function insertSorted(keys: string[], k: string): void {
  let i = 0;
  while (i < keys.length && keys[i] < k) i++;
  keys.splice(i, 0, k);
}

/** `"k":v` members joined by ",", skipping undefined and function values (as JSON does). */
function members(
  obj: Record<string, unknown>,
  keys: readonly string[],
  from = 0,
  to = keys.length,
  chain?: ChainHead,
): string {
  let s = '';
  for (let i = from; i < to; i++) {
    const k = keys[i];
    const e =
      chain === undefined ? obj[k] : k === 'seq' ? chain.seq : k === 'prev' ? chain.prev : obj[k];
    if (e === undefined || typeof e === 'function') continue;
    if (s !== '') s += ',';
    s += `${quoteKey(k)}:${canonicalize(e)}`;
  }
  return s;
}

/** Record keys repeat on every record: their JSON form is cached (bounded). */
const quoted = new Map<string, string>();
function quoteKey(k: string): string {
  if (legacyStrings) return JSON.stringify(k);
  let q = quoted.get(k);
  if (q === undefined) {
    q = quote(k);
    if (quoted.size < 1024) quoted.set(k, q);
  }
  return q;
}

/** The chain hash of the canonical record with `hash` left out (it may be present or not):
 *  SHA-256 by default, HMAC-SHA-256 with a keyed hasher. */
export function recordHash(rec: Record<string, unknown>, hasher: ChainHasher = sha256): string {
  const { hash: _omit, ...rest } = rec;
  return hasher(canonicalize(rest));
}

export interface ChainHead {
  /** The seq the next record gets. */
  seq: number;
  /** The hash the next record's `prev` carries. */
  prev: string;
}

/** Seals a record: assigns seq and prev from the head, computes hash, advances the head.
 *  Returns the line to write (canonical JSON of the sealed record, with "\n").
 *  The record is serialized once: the members sorting before "hash" and those after it are
 *  canonicalized separately, hashed joined, and the line is the same two halves around
 *  `"hash":"…"` — byte-identical to canonicalize(rec), which verify.ts recomputes. */
export function seal(
  head: ChainHead,
  body: Record<string, unknown>,
  hasher: ChainHasher = sha256,
): { line: string; rec: Record<string, unknown> } {
  const chain: ChainHead = { seq: head.seq, prev: head.prev };
  let hash: string;
  let line: string;
  if (typeof (body as { toJSON?: unknown }).toJSON === 'function') {
    // Not a plain record: the general path.
    const rec: Record<string, unknown> = { ...body, ...chain };
    hash = recordHash(rec, hasher);
    rec.hash = hash;
    line = canonicalize(rec);
  } else {
    // seq and prev are read from `chain` (not copied into a new object: spreading a
    // 25-member record costs more than serializing it).
    const keys = Object.keys(body).filter((k) => k !== 'seq' && k !== 'prev' && k !== 'hash');
    sortInPlace(keys);
    insertSorted(keys, 'prev');
    insertSorted(keys, 'seq');
    let cut = 0;
    while (cut < keys.length && keys[cut] < 'hash') cut++;
    const before = members(body, keys, 0, cut, chain);
    const after = members(body, keys, cut, keys.length, chain);
    const sep = before !== '' && after !== '' ? ',' : '';
    hash = hasher(`{${before}${sep}${after}}`);
    line = `{${before}${before !== '' ? ',' : ''}"hash":"${hash}"${after !== '' ? ',' : ''}${after}}`;
  }
  head.seq += 1;
  head.prev = hash;
  const sealed = hash;
  return {
    line: `${line}\n`,
    // Materialized only for callers that want the object (the auditor writes the line).
    get rec() {
      return { ...body, ...chain, hash: sealed };
    },
  };
}
