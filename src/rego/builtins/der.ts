// A minimal DER reader (ITU-T X.690 §8, §10) for the X.509 builtins: node:crypto's
// X509Certificate exposes no structured subject, extensions or CSR parsing, and OPA returns
// Go's x509 structs field by field, so the few structures needed are walked here.

export interface Tlv {
  /** The identifier octet: class, constructed bit and tag number (low tags only). */
  tag: number;
  /** Contents octets. */
  body: Buffer;
  /** The whole encoding, identifier and length included (Go's "Raw" fields). */
  raw: Buffer;
}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  OID: 0x06,
  UTF8: 0x0c,
  PRINTABLE: 0x13,
  T61: 0x14,
  IA5: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  BMP: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Reads one TLV at `offset`; throws on truncation, indefinite or non-minimal long lengths. */
export function readTlv(buf: Buffer, offset = 0): { tlv: Tlv; next: number } {
  if (offset + 2 > buf.length) throw new Error('asn1: structure error: truncated');
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new Error('asn1: structure error: high tag number');
  let len = buf[offset + 1];
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('asn1: structure error: bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p + i];
    p += n;
    if (len < 0x80) throw new Error('asn1: structure error: non-minimal length');
  }
  if (p + len > buf.length) throw new Error('asn1: structure error: truncated');
  return {
    tlv: { tag, body: buf.subarray(p, p + len), raw: buf.subarray(offset, p + len) },
    next: p + len,
  };
}

/** One complete TLV that must span the whole buffer. */
export function parseOne(buf: Buffer, tag?: number): Tlv {
  const { tlv, next } = readTlv(buf);
  if (next !== buf.length) throw new Error('asn1: syntax error: trailing data');
  if (tag !== undefined && tlv.tag !== tag)
    throw new Error("asn1: structure error: tags don't match");
  return tlv;
}

/** The children of a constructed TLV. */
export function children(t: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let p = 0; p < t.body.length;) {
    const { tlv, next } = readTlv(t.body, p);
    out.push(tlv);
    p = next;
  }
  return out;
}

/** An OBJECT IDENTIFIER as its arcs (Go's asn1.ObjectIdentifier, a list of ints). */
export function oidArcs(body: Buffer): number[] {
  const arcs: number[] = [];
  let v = 0;
  for (const b of body) {
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs;
}

export const oidString = (body: Buffer): string => oidArcs(body).join('.');

/** An INTEGER's two's-complement contents as a bigint. */
export function bigInt(body: Buffer): bigint {
  if (body.length === 0) return 0n;
  let v = BigInt('0x' + body.toString('hex'));
  if (body[0] & 0x80) v -= 1n << BigInt(body.length * 8);
  return v;
}

/** The string value of a DirectoryString / IA5String etc. */
export function asString(t: Tlv): string {
  if (t.tag === TAG.BMP) {
    let s = '';
    for (let i = 0; i + 1 < t.body.length; i += 2) s += String.fromCharCode(t.body.readUInt16BE(i));
    return s;
  }
  return t.body.toString(t.tag === TAG.T61 ? 'latin1' : 'utf8');
}

/** UTCTime / GeneralizedTime as Go's time.Time JSON (RFC 3339, UTC). */
export function asTime(t: Tlv): string {
  const s = t.body.toString('latin1');
  const m = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) throw new Error('asn1: invalid time');
  let year = Number(m[1]);
  if (m[1].length === 2) year += year < 50 ? 2000 : 1900; // RFC 5280 §4.1.2.5.1
  return `${String(year).padStart(4, '0')}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
}
