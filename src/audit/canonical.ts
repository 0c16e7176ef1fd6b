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
import { createHash } from 'node:crypto';

export const GENESIS = '0'.repeat(64);

export function canonicalize(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return JSON.stringify(v);
    case 'number':
      if (!Number.isFinite(v)) throw new TypeError(`cannot canonicalize non-finite number ${v}`);
      return JSON.stringify(v);
    case 'object': {
      if (Array.isArray(v))
        return `[${v.map((e) => (e === undefined ? 'null' : canonicalize(e))).join(',')}]`;
      const obj = v as Record<string, unknown>;
      const toJSON = (obj as { toJSON?: () => unknown }).toJSON;
      if (typeof toJSON === 'function') return canonicalize(toJSON.call(obj));
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined && typeof obj[k] !== 'function')
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalize(obj[k])}`).join(',')}}`;
    }
    case 'bigint':
      throw new TypeError('cannot canonicalize a bigint');
    default:
      return 'null';
  }
}

/** SHA-256 of the canonical record with `hash` left out (it may be present or not). */
export function recordHash(rec: Record<string, unknown>): string {
  const { hash: _omit, ...rest } = rec;
  return createHash('sha256').update(canonicalize(rest), 'utf8').digest('hex');
}

export interface ChainHead {
  /** The seq the next record gets. */
  seq: number;
  /** The hash the next record's `prev` carries. */
  prev: string;
}

/** Seals a record: assigns seq and prev from the head, computes hash, advances the head.
 *  Returns the line to write (canonical JSON of the sealed record, with "\n"). */
export function seal(
  head: ChainHead,
  body: Record<string, unknown>,
): { line: string; rec: Record<string, unknown> } {
  const rec: Record<string, unknown> = { ...body, seq: head.seq, prev: head.prev };
  rec.hash = recordHash(rec);
  head.seq += 1;
  head.prev = rec.hash as string;
  return { line: `${canonicalize(rec)}\n`, rec };
}
