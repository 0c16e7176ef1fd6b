// Number builtins: rounding, casts and ranges (OPA topdown/arithmetic.go, casts.go, numbers.go).
import { isInt, isNum, isStr } from './values.ts';
import { evaluationCache } from './evaluation.ts';

type Fn = (...args: any[]) => unknown;

/** The decimal syntax strconv.ParseFloat accepts (hex floats and underscores aside). */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Ranges are materialised as arrays; refuse sizes that would exhaust the module's heap rather
 *  than hang the gateway (OPA would run until the query's cancellation fires). */
const MAX_RANGE = 10_000_000;

function range(a: number, b: number, step: number): number[] | undefined {
  if (Math.floor(Math.abs(b - a) / step) + 1 > MAX_RANGE) return undefined;
  const out: number[] = [];
  if (a <= b) for (let i = a; i <= b; i += step) out.push(i);
  else for (let i = a; i >= b; i -= step) out.push(i);
  return out;
}

export const numberBuiltins: Record<string, Fn> = {
  // Go's math.Round: half away from zero (JS Math.round goes half up: -1.5 → -1).
  round: (x: unknown) => (isNum(x) ? Math.sign(x) * Math.round(Math.abs(x)) + 0 : undefined),
  ceil: (x: unknown) => (isNum(x) ? Math.ceil(x) + 0 : undefined),
  floor: (x: unknown) => (isNum(x) ? Math.floor(x) + 0 : undefined),
  abs: (x: unknown) => (isNum(x) ? Math.abs(x) : undefined),
  to_number: (x: unknown) => {
    if (x === null) return 0;
    if (typeof x === 'boolean') return x ? 1 : 0;
    if (isNum(x)) return x;
    if (!isStr(x) || !DECIMAL.test(x)) return undefined;
    const n = Number(x);
    // ParseFloat fails on overflow (ErrRange); "inf"/"nan" never match DECIMAL.
    return Number.isFinite(n) ? n : undefined;
  },
  'numbers.range': (a: unknown, b: unknown) => (isInt(a) && isInt(b) ? range(a, b, 1) : undefined),
  'numbers.range_step': (a: unknown, b: unknown, step: unknown) =>
    isInt(a) && isInt(b) && isInt(step) && step > 0 ? range(a, b, step) : undefined,
  /** rand.intn(key, n): one random value per (key, n) within an evaluation, as OPA caches it. */
  'rand.intn': (key: unknown, n: unknown) => {
    if (!isStr(key) || !isInt(n)) return undefined;
    if (n === 0) return 0;
    const m = Math.abs(n);
    return evaluationCache(`rand.intn:${key}-${m}`, () => Math.floor(Math.random() * m));
  },
};
