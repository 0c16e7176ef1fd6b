// units.parse and units.parse_bytes (OPA topdown/parse_units.go, parse_bytes.go). Amounts are
// computed exactly on rationals (Go uses big.Rat / big.Float) and integral results beyond 2^53
// are returned exactly.
import { exactInt, isStr } from './values.ts';

type Fn = (...args: any[]) => unknown;

const MAX_EXPONENT_DIGITS = 6;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Splits "10.5Mi" into "10.5" and "Mi" the way OPA does (an 'e' only starts an exponent when a
 *  digit or sign follows); undefined when the exponent has too many digits. */
function splitAmount(s: string): [string, string] | undefined {
  const digit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  let i = 0;
  for (; i < s.length; i++) {
    const c = s[i];
    if (!(digit(c) || c === '.' || c === 'e' || c === 'E' || c === '+' || c === '-')) break;
    if (c === 'e' || c === 'E') {
      const n = s[i + 1];
      if (!(digit(n) || n === '+' || n === '-')) break;
      if (n === '+' || n === '-') i++;
      let j = i + 1;
      while (digit(s[j])) j++;
      if (j - (i + 1) > MAX_EXPONENT_DIGITS) return undefined;
    }
  }
  return [s.slice(0, i), s.slice(i)];
}

/** A decimal string as the exact fraction num / den. */
function rational(s: string): { num: bigint; den: bigint } | undefined {
  const m = DECIMAL.exec(s);
  if (!m) return undefined;
  const [mant, exp] = s.toLowerCase().split('e');
  const neg = mant.startsWith('-');
  const [ip, fp = ''] = mant.replace(/^[+-]/, '').split('.');
  let num = BigInt((ip || '0') + fp) * (neg ? -1n : 1n);
  let den = 10n ** BigInt(fp.length);
  const e = Number(exp ?? 0);
  if (e >= 0) num *= 10n ** BigInt(e);
  else den *= 10n ** BigInt(-e);
  return { num, den };
}

/** big.Rat.FloatString(10): rounded half away from zero to 10 decimals. */
function toNumber(num: bigint, den: bigint): number | bigint {
  if (num % den === 0n) return exactInt(num / den);
  const scale = 10n ** 10n;
  const neg = num < 0n;
  const a = neg ? -num : num;
  const q = (a * scale * 2n + den) / (den * 2n);
  const ip = q / scale;
  const fp = (q % scale).toString().padStart(10, '0');
  return Number(`${neg ? '-' : ''}${ip}.${fp}`);
}

const K = 1000n;
const Ki = 1024n;

const SI: Record<string, bigint> = {
  k: K,
  K: K,
  M: K ** 2n,
  g: K ** 3n,
  G: K ** 3n,
  t: K ** 4n,
  T: K ** 4n,
  p: K ** 5n,
  P: K ** 5n,
  e: K ** 6n,
  E: K ** 6n,
};
const BIN: Record<string, bigint> = {
  ki: Ki,
  mi: Ki ** 2n,
  gi: Ki ** 3n,
  ti: Ki ** 4n,
  pi: Ki ** 5n,
  ei: Ki ** 6n,
};

function unitsParse(raw: unknown): number | bigint | undefined {
  if (!isStr(raw)) return undefined;
  const s = raw.replaceAll('"', '');
  if (s.includes(' ')) return undefined;
  const split = splitAmount(s);
  if (!split || split[0] === '') return undefined;
  const amount = split[0];
  let unit = split[1];
  // Only the letters after the first are case-folded, keeping 'm' (milli) apart from 'M'.
  if (unit.length > 1) unit = unit[0] + unit.slice(1).toLowerCase();
  const r = rational(amount);
  if (!r) return undefined;
  if (unit === 'm') return toNumber(r.num, r.den * 1000n);
  let mult: bigint | undefined;
  if (unit === '') mult = 1n;
  else if (unit.length === 1) mult = SI[unit];
  else if (unit.length === 2 && unit[1] === 'i') mult = BIN[unit.toLowerCase()];
  if (mult === undefined) return undefined;
  return toNumber(r.num * mult, r.den);
}

function parseBytes(raw: unknown): number | bigint | undefined {
  if (!isStr(raw)) return undefined;
  const s = raw.toLowerCase().replaceAll('"', '');
  if (s.includes(' ')) return undefined;
  const split = splitAmount(s);
  if (!split || split[0] === '') return undefined;
  const [amount, unit] = split;
  const table: Record<string, bigint> = { '': 1n };
  for (const [i, p] of ['k', 'm', 'g', 't', 'p', 'e'].entries()) {
    table[p] = table[p + 'b'] = K ** BigInt(i + 1);
    table[p + 'i'] = table[p + 'ib'] = Ki ** BigInt(i + 1);
  }
  const mult = table[unit];
  const r = rational(amount);
  if (mult === undefined || !r) return undefined;
  // big.Float.Int truncates toward zero.
  return exactInt((r.num * mult) / r.den);
}

export const unitBuiltins: Record<string, Fn> = {
  'units.parse': unitsParse,
  'units.parse_bytes': parseBytes,
};
