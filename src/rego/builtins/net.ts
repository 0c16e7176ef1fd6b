// net.cidr_* builtins (OPA topdown/cidr.go) over exact bigint address arithmetic.
import {
  type Prefix,
  formatCIDR,
  formatIP,
  lastOf,
  mask,
  parseCIDR,
  parseIP,
  width,
} from './ip.ts';
import { isArr, isObj, isSetArray, isStr, regoSet } from './values.ts';

type Fn = (...args: any[]) => unknown;

/** Hosts are materialised as a set; refuse prefixes too large to hold in memory. */
const MAX_EXPAND = 1 << 16;

/** An address as a single-host prefix. */
function hostPrefix(s: string): Prefix | undefined {
  const ip = parseIP(s);
  if (!ip) return undefined;
  const w = ip.v6 ? 128 : 32;
  return { v6: ip.v6, base: ip.addr, bits: w, addr: ip.addr };
}

const contains = (net: Prefix, p: Prefix): boolean =>
  net.v6 === p.v6 && net.bits <= p.bits && (p.base & mask(width(net), net.bits)) === net.base;

function cidrOrIP(s: string): Prefix | undefined {
  return parseCIDR(s) ?? hostPrefix(s);
}

/** Minimal list of prefixes covering [start, end] (both inclusive). */
function rangeToPrefixes(v6: boolean, start: bigint, end: bigint): string[] {
  const w = v6 ? 128 : 32;
  const out: string[] = [];
  let cur = start;
  while (cur <= end) {
    let size = 0;
    // Grow the block while it stays aligned and inside the range.
    while (size < w) {
      const next = size + 1;
      const blockMask = (1n << BigInt(next)) - 1n;
      if ((cur & blockMask) !== 0n || cur + blockMask > end) break;
      size = next;
    }
    out.push(formatCIDR(v6, cur, w - size));
    cur += 1n << BigInt(size);
  }
  return out;
}

function merge(items: unknown): unknown {
  if (!isArr(items)) return undefined;
  const ranges: Array<{ v6: boolean; start: bigint; end: bigint }> = [];
  for (const s of items) {
    if (!isStr(s)) return undefined;
    // A bare IPv4 address takes its classful default mask (Go's IP.DefaultMask: class A /8,
    // B /16, otherwise /24); a bare IPv6 address is an error ("needs prefix length").
    let p = parseCIDR(s);
    const ip = p || s.includes(':') ? undefined : parseIP(s);
    if (ip && !ip.v6) {
      const first = Number(ip.addr >> 24n);
      p = parseCIDR(`${s}/${first < 0x80 ? 8 : first < 0xc0 ? 16 : 24}`);
    }
    if (!p) return undefined;
    ranges.push({ v6: p.v6, start: p.base, end: lastOf(p) });
  }
  const out: string[] = [];
  for (const v6 of [false, true]) {
    const rs = ranges
      .filter((r) => r.v6 === v6)
      .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    let cur: { start: bigint; end: bigint } | undefined;
    for (const r of rs) {
      if (cur && r.start <= cur.end + 1n) {
        if (r.end > cur.end) cur.end = r.end;
      } else {
        if (cur) out.push(...rangeToPrefixes(v6, cur.start, cur.end));
        cur = { start: r.start, end: r.end };
      }
    }
    if (cur) out.push(...rangeToPrefixes(v6, cur.start, cur.end));
  }
  return regoSet(out);
}

/** Keyed CIDR/IP entries of a cidr_contains_matches operand: a string (its own key), an array
 *  (index keys), a set (each element is its own key) or an object (its keys); an element is a
 *  string or a non-empty array whose first item is the string. */
function entries(v: unknown): Array<[unknown, string]> | undefined {
  const item = (x: unknown): string | undefined =>
    isStr(x) ? x : isArr(x) && x.length > 0 && isStr(x[0]) ? x[0] : undefined;
  if (isStr(v)) return [[v, v]];
  let pairs: Array<[unknown, unknown]>;
  if (isArr(v)) pairs = isSetArray(v) ? v.map((x) => [x, x]) : v.map((x, i) => [i, x]);
  else if (isObj(v)) pairs = Object.entries(v);
  else return undefined;
  const out: Array<[unknown, string]> = [];
  for (const [k, x] of pairs) {
    const s = item(x);
    if (s === undefined) return undefined;
    out.push([k, s]);
  }
  return out;
}

export const netBuiltins: Record<string, Fn> = {
  'net.cidr_contains': (cidr: unknown, x: unknown) => {
    if (!isStr(cidr) || !isStr(x)) return undefined;
    const net = parseCIDR(cidr);
    const p = cidrOrIP(x);
    return net && p ? contains(net, p) : undefined;
  },
  'net.cidr_intersects': (a: unknown, b: unknown) => {
    if (!isStr(a) || !isStr(b)) return undefined;
    const x = parseCIDR(a);
    const y = parseCIDR(b);
    if (!x || !y) return undefined;
    return (
      x.v6 === y.v6 &&
      (contains(x, { ...y, bits: width(y) }) || contains(y, { ...x, bits: width(x) }))
    );
  },
  'net.cidr_is_valid': (s: unknown) => isStr(s) && parseCIDR(s) !== undefined,
  'net.cidr_expand': (s: unknown) => {
    const p = isStr(s) ? parseCIDR(s) : undefined;
    if (!p || width(p) - p.bits > 16) return undefined;
    const out: string[] = [];
    for (let a = p.base; a <= lastOf(p) && out.length < MAX_EXPAND; a++)
      out.push(formatIP(p.v6, a));
    return regoSet(out);
  },
  'net.cidr_merge': merge,
  'net.cidr_contains_matches': (a: unknown, b: unknown) => {
    const nets = entries(a);
    const xs = entries(b);
    if (!nets || !xs) return undefined;
    const out: unknown[] = [];
    for (const [ka, sa] of nets) {
      const net = parseCIDR(sa);
      if (!net) return undefined;
      for (const [kb, sb] of xs) {
        const p = cidrOrIP(sb);
        if (!p) return undefined;
        if (contains(net, p)) out.push([ka, kb]);
      }
    }
    return regoSet(out);
  },
};
