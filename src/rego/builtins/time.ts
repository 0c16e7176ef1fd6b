// time.* builtins (OPA topdown/time.go). Instants are int64 nanoseconds since the Unix epoch;
// results beyond 2^53 are returned exactly (see exactInt). Arguments arrive as JS numbers, so
// an input timestamp keeps only double precision (about 0.25 µs today).
import {
  type Civil,
  INT64_MAX,
  INT64_MIN,
  NS_PER_SEC,
  daysIn,
  fromWall,
  resolveZone,
  toCivil,
} from './civil.ts';
import { evaluationNowNs } from './evaluation.ts';
import { NAMED_LAYOUTS, format } from './golayout.ts';
import { parse } from './goparse.ts';
import { exactInt, intFromDouble, isArr, isInt, isStr } from './values.ts';

type Fn = (...args: any[]) => unknown;

const inRange = (ns: bigint): boolean => ns >= INT64_MIN && ns <= INT64_MAX;
const safeNs = (ns: bigint): number | bigint | undefined =>
  inRange(ns) ? exactInt(ns) : undefined;

/** OPA's tzTime: `ns`, `[ns]`, `[ns, tz]` or `[ns, tz, layout]`; ns must be an int64. */
function tzTime(x: unknown): { t: Civil; ns: bigint; zone: string; layout: string } | undefined {
  let n: unknown = x;
  let zone = 'UTC';
  let layout = '';
  if (isArr(x)) {
    if (x.length === 0) return undefined;
    n = x[0];
    if (x.length > 1) {
      if (!isStr(x[1])) return undefined;
      const z = resolveZone(x[1]);
      if (!z) return undefined;
      zone = z;
    }
    if (x.length > 2) {
      if (!isStr(x[2])) return undefined;
      layout = x[2];
    }
  }
  if (!isInt(n)) return undefined;
  const ns = intFromDouble(n);
  if (!inRange(ns)) return undefined; // "timestamp too big"
  return { t: toCivil(ns, zone), ns, zone, layout };
}

/** Go's time.ParseDuration: a sequence of decimal numbers with units, optionally signed. */
export function parseDuration(s: string): bigint | undefined {
  const units: Record<string, bigint> = {
    ns: 1n,
    us: 1000n,
    µs: 1000n,
    μs: 1000n,
    ms: 1_000_000n,
    s: NS_PER_SEC,
    m: 60n * NS_PER_SEC,
    h: 3600n * NS_PER_SEC,
  };
  let rest = s;
  let neg = false;
  if (rest[0] === '-' || rest[0] === '+') {
    neg = rest[0] === '-';
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') return undefined;
  let total = 0n;
  while (rest !== '') {
    const m = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/.exec(rest);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) return undefined;
    const unit = units[m[3]];
    const frac = m[2] ?? '';
    total += BigInt(m[1] || '0') * unit;
    if (frac) total += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    rest = rest.slice(m[0].length);
  }
  if (total > INT64_MAX + (neg ? 1n : 0n)) return undefined;
  return neg ? -total : total;
}

function parseWith(layout: string, value: string): number | bigint | undefined {
  const p = parse(NAMED_LAYOUTS[layout] ?? layout, value);
  if (!p) return undefined;
  const wall = fromWall(p, 'UTC');
  return safeNs(wall - BigInt(p.offset ?? 0) * NS_PER_SEC);
}

/** icza/gox's calendar difference, as OPA's time.diff uses it. */
function diff(a: ReturnType<typeof tzTime>, b: ReturnType<typeof tzTime>): number[] | undefined {
  if (!a || !b) return undefined;
  let t1 = a.t;
  let t2 = toCivil(b.ns, a.zone);
  if (a.ns > b.ns) [t1, t2] = [t2, t1];
  let year = t2.year - t1.year;
  let month = t2.month - t1.month;
  let day = t2.day - t1.day;
  let hour = t2.hour - t1.hour;
  let min = t2.minute - t1.minute;
  let sec = t2.second - t1.second;
  if (sec < 0) {
    sec += 60;
    min--;
  }
  if (min < 0) {
    min += 60;
    hour--;
  }
  if (hour < 0) {
    hour += 24;
    day--;
  }
  if (day < 0) {
    day += daysIn(t1.month, t1.year);
    month--;
  }
  if (month < 0) {
    month += 12;
    year--;
  }
  return [year, month, day, hour, min, sec];
}

export const timeBuiltins: Record<string, Fn> = {
  'time.now_ns': () => exactInt(evaluationNowNs()),
  'time.parse_rfc3339_ns': (s: unknown) => (isStr(s) ? parseWith('RFC3339', s) : undefined),
  'time.parse_ns': (layout: unknown, s: unknown) =>
    isStr(layout) && isStr(s) ? parseWith(layout, s) : undefined,
  'time.parse_duration_ns': (s: unknown) => {
    const d = isStr(s) ? parseDuration(s) : undefined;
    return d === undefined ? undefined : exactInt(d);
  },
  'time.date': (x: unknown) => {
    const r = tzTime(x);
    return r && [r.t.year, r.t.month, r.t.day];
  },
  'time.clock': (x: unknown) => {
    const r = tzTime(x);
    return r && [r.t.hour, r.t.minute, r.t.second];
  },
  'time.weekday': (x: unknown) => {
    const r = tzTime(x);
    return (
      r &&
      ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][r.t.weekday]
    );
  },
  'time.add_date': (x: unknown, y: unknown, m: unknown, d: unknown) => {
    const r = tzTime(x);
    if (!r || !isInt(y) || !isInt(m) || !isInt(d)) return undefined;
    const t = r.t;
    const ns = fromWall({ ...t, year: t.year + y, month: t.month + m, day: t.day + d }, r.zone);
    return safeNs(ns);
  },
  'time.diff': (a: unknown, b: unknown) => diff(tzTime(a), tzTime(b)),
  'time.format': (x: unknown) => {
    const r = tzTime(x);
    if (!r) return undefined;
    const layout =
      r.layout === '' ? NAMED_LAYOUTS.RFC3339Nano : (NAMED_LAYOUTS[r.layout] ?? r.layout);
    return format(r.t, layout);
  },
};
