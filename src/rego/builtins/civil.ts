// Calendar arithmetic on exact nanosecond instants (bigint), proleptic Gregorian, and time-zone
// offsets from the platform's IANA database (Intl), replacing Go's time package for the time.*
// builtins. Days-from-civil conversion follows H. Hinnant, "chrono-Compatible Low-Level Date
// Algorithms" (public domain).

export const NS_PER_SEC = 1_000_000_000n;
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

export interface Civil {
  year: number;
  month: number; // 1..12
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  /** Seconds east of UTC. */
  offset: number;
  /** Zone abbreviation as Go prints it for "MST" ("UTC", "PST", or "+0530" when none);
   *  computed on demand since only layouts with "MST" need it. */
  zone: () => string;
  weekday: number; // 0 = Sunday
  yday: number; // 1..366
}

export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z: number): { year: number; month: number; day: number } {
  z += 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp + (mp < 10 ? 3 : -9);
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

export function daysIn(month: number, year: number): number {
  return month === 2 ? (isLeap(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const floorDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? a / b : -((-a + b - 1n) / b));

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Validates an IANA zone name ("" and "UTC" mean UTC, "Local" the host's zone). */
export function resolveZone(name: string): string | undefined {
  if (name === '' || name === 'UTC') return 'UTC';
  const zone = name === 'Local' ? Intl.DateTimeFormat().resolvedOptions().timeZone : name;
  try {
    zoneFormatter(zone);
    return zone;
  } catch {
    return undefined;
  }
}

function zoneFormatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Offset (seconds east of UTC) of `zone` at the given Unix second. */
export function zoneAt(zone: string, unixSec: number): { offset: number } {
  // Beyond the range of a JS Date (±8.64e12 s) the database has no answer anyway.
  if (zone === 'UTC' || Math.abs(unixSec) > 8.64e12) return { offset: 0 };
  const parts = zoneFormatter(zone).formatToParts(new Date(unixSec * 1000));
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? '';
  let year = Number(get('year'));
  if (get('era') === 'BC' || get('era') === 'B') year = 1 - year;
  const wall =
    daysFromCivil(year, Number(get('month')), Number(get('day'))) * 86400 +
    Number(get('hour')) * 3600 +
    Number(get('minute')) * 60 +
    Number(get('second'));
  const offset = wall - unixSec;
  return { offset };
}

/** English locales whose CLDR data carries the common zone abbreviations (BST, CEST, IST, AEST,
 *  SAST); where none has one, tzdata (and so Go) mostly uses the numeric form. */
const ABBR_LOCALES = ['en-US', 'en-GB', 'en-IN', 'en-AU', 'en-ZA'];
/** tzdata abbreviations CLDR lacks in English, for zones without daylight saving. */
const FIXED_ABBR: Record<string, string> = {
  'Asia/Shanghai': 'CST',
  'Asia/Tokyo': 'JST',
  'Asia/Seoul': 'KST',
  'Asia/Hong_Kong': 'HKT',
  'Asia/Dubai': '+04',
  'Asia/Singapore': '+08',
};
const abbrFormatters = new Map<string, Intl.DateTimeFormat>();

function abbreviation(zone: string, unixSec: number, offset: number): string {
  if (zone === 'UTC') return 'UTC';
  if (FIXED_ABBR[zone]) return FIXED_ABBR[zone];
  for (const locale of ABBR_LOCALES) {
    const key = `${zone}|${locale}`;
    let f = abbrFormatters.get(key);
    if (!f) {
      f = new Intl.DateTimeFormat(locale, { timeZone: zone, timeZoneName: 'short' });
      abbrFormatters.set(key, f);
    }
    const name =
      f.formatToParts(new Date(unixSec * 1000)).find((p) => p.type === 'timeZoneName')?.value ?? '';
    if (/^[A-Z]{2,5}$/.test(name) && !(name === 'GMT' && offset !== 0)) return name;
  }
  // No abbreviation: like tzdata, the numeric offset ("+04", "+0530").
  const a = Math.abs(offset);
  const hh = String(Math.floor(a / 3600)).padStart(2, '0');
  const mm = String(Math.floor((a % 3600) / 60)).padStart(2, '0');
  return (offset < 0 ? '-' : '+') + hh + (mm === '00' ? '' : mm);
}

/** Broken-down time of an instant in a zone. */
export function toCivil(ns: bigint, zone: string): Civil {
  const sec = floorDiv(ns, NS_PER_SEC);
  const nanos = Number(ns - sec * NS_PER_SEC);
  const { offset } = zoneAt(zone, Number(sec));
  const local = Number(sec) + offset;
  const days = Math.floor(local / 86400);
  const rem = local - days * 86400;
  const { year, month, day } = civilFromDays(days);
  return {
    year,
    month,
    day,
    hour: Math.floor(rem / 3600),
    minute: Math.floor((rem % 3600) / 60),
    second: rem % 60,
    nanos,
    offset,
    zone: () => abbreviation(zone, Number(sec), offset),
    weekday: (((days + 4) % 7) + 7) % 7,
    yday: days - daysFromCivil(year, 1, 1) + 1,
  };
}

/** Calendar date and time of day, as Go's time.Date takes them. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
}

/** The instant of a wall-clock time in a zone (fields may be out of range: Go normalises). */
export function fromWall(f: WallClock, zone: string): bigint {
  // Normalise month first, then everything else through a count of seconds.
  const m0 = f.month - 1;
  const year = f.year + Math.floor(m0 / 12);
  const month = (((m0 % 12) + 12) % 12) + 1;
  const wall =
    BigInt(daysFromCivil(year, month, 1) + f.day - 1) * 86400n +
    BigInt(f.hour * 3600 + f.minute * 60 + f.second);
  // Two rounds settle the offset except inside a DST gap, as Go's Date does.
  let offset = zoneAt(zone, Number(wall)).offset;
  offset = zoneAt(zone, Number(wall) - offset).offset;
  return (wall - BigInt(offset)) * NS_PER_SEC + BigInt(f.nanos);
}
