// IP addresses and prefixes as bigints, with Go's net.ParseIP / net.ParseCIDR acceptance rules
// (dotted-quad IPv4 without leading zeros, RFC 4291 §2.2 IPv6 text forms, no zones) and Go's
// printing (RFC 5952 §4 compressed IPv6).

export interface Prefix {
  v6: boolean;
  /** Network address (host bits cleared). */
  base: bigint;
  bits: number;
  /** The address as written, before masking (net.ParseCIDR returns both). */
  addr: bigint;
}

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  let text = s;
  let tail: bigint[] = [];
  // An embedded IPv4 address supplies the last 32 bits (RFC 4291 §2.2, form 3).
  if (text.includes('.')) {
    const cut = text.lastIndexOf(':');
    const x = parseV4(text.slice(cut + 1));
    if (cut < 0 || x === undefined) return undefined;
    tail = [x >> 16n, x & 0xffffn];
    text = text.slice(0, cut + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): bigint[] | undefined => {
    if (h === '') return [];
    const out: bigint[] = [];
    for (const g of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(BigInt('0x' + g));
    }
    return out;
  };
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !rest) return undefined;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;
  const all = [...head, ...Array<bigint>(8 - given).fill(0n), ...rest, ...tail];
  return all.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** net.ParseIP; IPv4-mapped IPv6 addresses count as IPv4, as Go's To4 does. */
export function parseIP(s: string): { v6: boolean; addr: bigint } | undefined {
  const v4 = parseV4(s);
  if (v4 !== undefined) return { v6: false, addr: v4 };
  if (!s.includes(':')) return undefined;
  const v6 = parseV6(s);
  if (v6 === undefined) return undefined;
  if (v6 >> 32n === 0xffffn) return { v6: false, addr: v6 & 0xffffffffn };
  return { v6: true, addr: v6 };
}

export function parseCIDR(s: string): Prefix | undefined {
  const slash = s.indexOf('/');
  if (slash < 0) return undefined;
  const ip = parseIP(s.slice(0, slash));
  const bitsText = s.slice(slash + 1);
  if (!ip || !/^(0|[1-9]\d{0,2})$/.test(bitsText)) return undefined;
  // A mapped address with a /96+ prefix is an IPv4 prefix in Go; keep it simple: as written.
  const width = ip.v6 ? 128 : 32;
  const bits = Number(bitsText);
  if (bits > width) return undefined;
  return { v6: ip.v6, base: ip.addr & mask(width, bits), bits, addr: ip.addr };
}

export const width = (p: { v6: boolean }): number => (p.v6 ? 128 : 32);

export function mask(w: number, bits: number): bigint {
  const all = (1n << BigInt(w)) - 1n;
  return all ^ ((1n << BigInt(w - bits)) - 1n);
}

export const lastOf = (p: Prefix): bigint => p.base | ((1n << BigInt(width(p) - p.bits)) - 1n);

export function formatIP(v6: boolean, addr: bigint): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((sh) => String((addr >> sh) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) =>
    Number((addr >> BigInt(112 - 16 * i)) & 0xffffn),
  );
  // RFC 5952 §4.2: shorten the longest run (≥ 2) of zero groups, the first on a tie.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return hex.slice(0, best).join(':') + '::' + hex.slice(best + bestLen).join(':');
}

export const formatCIDR = (v6: boolean, base: bigint, bits: number): string =>
  `${formatIP(v6, base)}/${bits}`;
