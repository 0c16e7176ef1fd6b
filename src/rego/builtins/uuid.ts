// uuid.rfc4122 and uuid.parse (OPA topdown/uuid.go, which uses github.com/google/uuid).
import { randomUUID } from 'node:crypto';
import { evaluationCache } from './evaluation.ts';
import { exactInt, isStr } from './values.ts';

type Fn = (...args: any[]) => unknown;

/** 100-ns intervals between the Gregorian epoch (1582-10-15) and the Unix epoch (RFC 4122 §4.1.4). */
const GREGORIAN_OFFSET = 122192928000000000n;

/** google/uuid.Parse forms: plain, {braced}, urn:uuid:, and 32 hex digits without dashes. */
function bytesOf(s: string): Uint8Array | undefined {
  let hex: string | undefined;
  const plain = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
  if (s.length === 36 && plain.test(s)) hex = s;
  else if (s.length === 38 && s[0] === '{' && s[37] === '}' && plain.test(s.slice(1, 37)))
    hex = s.slice(1, 37);
  else if (s.length === 45 && s.slice(0, 9).toLowerCase() === 'urn:uuid:' && plain.test(s.slice(9)))
    hex = s.slice(9);
  else if (s.length === 32 && /^[0-9a-fA-F]{32}$/.test(s)) hex = s;
  return hex === undefined
    ? undefined
    : Uint8Array.from(Buffer.from(hex.replaceAll('-', ''), 'hex'));
}

function variant(b: number): string {
  if ((b & 0xc0) === 0x80) return 'RFC4122';
  if ((b & 0xe0) === 0xc0) return 'Microsoft';
  if ((b & 0xe0) === 0xe0) return 'Future';
  return 'Reserved';
}

function parse(s: string): Record<string, unknown> | undefined {
  const u = bytesOf(s);
  if (!u) return undefined;
  const version = u[6] >> 4;
  const out: Record<string, unknown> = { version, variant: variant(u[8]) };
  if (version === 1 || version === 2) {
    const be = (i: number, n: number): bigint =>
      BigInt('0x' + Buffer.from(u.subarray(i, i + n)).toString('hex'));
    const t = be(0, 4) | (be(4, 2) << 32n) | ((be(6, 2) & 0xfffn) << 48n);
    const since = t - GREGORIAN_OFFSET;
    out.time = exactInt((since / 10_000_000n) * 1_000_000_000n + (since % 10_000_000n) * 100n);
    out.clocksequence = Number(be(8, 2) & 0x3fffn);
    const node = Array.from(u.subarray(10, 16), (b) => b.toString(16).padStart(2, '0'));
    out.nodeid = node.join('-');
    out.macvariables = `${u[10] & 0x02 ? 'local' : 'global'}:${u[10] & 0x01 ? 'multicast' : 'unicast'}`;
    if (version === 2) {
      out.domain = ['Person', 'Group', 'Org'][u[9]] ?? `Domain${u[9]}`;
      out.id = Number(be(0, 4));
    }
  }
  return out;
}

export const uuidBuiltins: Record<string, Fn> = {
  /** One random (version 4) UUID per key within an evaluation, as OPA caches it. */
  'uuid.rfc4122': (key: unknown) =>
    isStr(key) ? evaluationCache(`uuid:${key}`, randomUUID) : undefined,
  'uuid.parse': (s: unknown) => (isStr(s) ? parse(s) : undefined),
};
