// time.Parse with a Go reference-time layout (time.parse_ns, time.parse_rfc3339_ns): the layout
// is chunked as for formatting, and each chunk consumes its part of the value.
import { daysIn, type WallClock } from './civil.ts';
import { DAYS, MONTHS, chunks } from './golayout.ts';

export interface Parsed extends WallClock {
  /** Seconds east of UTC, when the value names one. */
  offset?: number;
}

class LayoutParseError extends Error {}
const bad = (): never => {
  throw new LayoutParseError('cannot parse');
};

/** time.Parse: undefined when the value does not fit the layout or a field is out of range. */
export function parse(layout: string, value: string): Parsed | undefined {
  try {
    return parseOrThrow(layout, value);
  } catch (e) {
    if (e instanceof LayoutParseError) return undefined;
    throw e;
  }
}

function parseOrThrow(layout: string, value: string): Parsed {
  // Go: fields missing from the layout are zero, or one where zero is impossible (year 0).
  const r: Parsed = { year: 0, month: 1, day: 1, hour: 0, minute: 0, second: 0, nanos: 0 };
  let v = value;
  let pm: boolean | undefined;
  let yday = -1;
  const num = (min: number, max: number): number => {
    const m = new RegExp(`^\\d{${min},${max}}`).exec(v) ?? bad();
    v = v.slice(m[0].length);
    return Number(m[0]);
  };
  const word = (names: string[], len?: number): number => {
    const i = names.findIndex((n) =>
      v.toLowerCase().startsWith((len ? n.slice(0, len) : n).toLowerCase()),
    );
    if (i < 0) bad();
    v = v.slice(len ?? names[i].length);
    return i;
  };
  const cs = chunks(layout);
  for (let k = 0; k < cs.length; k++) {
    const c = cs[k];
    if ('lit' in c) {
      if (!v.startsWith(c.lit)) bad();
      v = v.slice(c.lit.length);
      continue;
    }
    switch (c.std) {
      case 'January':
        r.month = word(MONTHS) + 1;
        break;
      case 'Jan':
        r.month = word(MONTHS, 3) + 1;
        break;
      case 'Monday':
        word(DAYS);
        break;
      case 'Mon':
        word(DAYS, 3);
        break;
      case '01':
        r.month = num(2, 2);
        break;
      case '1':
        r.month = num(1, 2);
        break;
      case '02':
        r.day = num(2, 2);
        break;
      case '_2':
        if (v.startsWith(' ')) v = v.slice(1);
        r.day = num(1, 2);
        break;
      case '2':
        r.day = num(1, 2);
        break;
      case '002':
        yday = num(3, 3);
        break;
      case '__2':
        v = v.replace(/^ {0,2}/, '');
        yday = num(1, 3);
        break;
      case '06': {
        const y = num(2, 2);
        r.year = y >= 69 ? 1900 + y : 2000 + y;
        break;
      }
      case '2006':
        r.year = num(4, 4);
        break;
      case '15':
        r.hour = num(1, 2);
        if (r.hour > 23) bad();
        break;
      case '3':
      case '03':
        r.hour = num(c.std === '3' ? 1 : 2, 2);
        if (r.hour < 1 || r.hour > 12) bad();
        break;
      case '4':
      case '04':
        r.minute = num(c.std === '4' ? 1 : 2, 2);
        if (r.minute > 59) bad();
        break;
      case '5':
      case '05': {
        r.second = num(c.std === '5' ? 1 : 2, 2);
        if (r.second > 59) bad();
        // Go accepts a fraction after the seconds even when the layout has none.
        const next = cs[k + 1];
        const m = /^[.,](\d+)/.exec(v);
        if (m && !(next && 'std' in next && next.std.startsWith('frac'))) {
          r.nanos = Number(m[1].slice(0, 9).padEnd(9, '0'));
          v = v.slice(m[0].length);
        }
        break;
      }
      case 'PM':
      case 'pm': {
        const ap = v.slice(0, 2);
        const want = c.std === 'PM' ? ['AM', 'PM'] : ['am', 'pm'];
        if (!want.includes(ap)) bad();
        pm = ap === want[1];
        v = v.slice(2);
        break;
      }
      case 'frac0': {
        const m = new RegExp(`^[.,](\\d{${c.digits}})`).exec(v) ?? bad();
        r.nanos = Number(m[1].slice(0, 9).padEnd(9, '0'));
        v = v.slice(m[0].length);
        break;
      }
      case 'frac9': {
        const m = /^[.,](\d+)/.exec(v);
        if (m) {
          r.nanos = Number(m[1].slice(0, 9).padEnd(9, '0'));
          v = v.slice(m[0].length);
        }
        break;
      }
      case 'MST': {
        // Go: "UTC", or 3-5 letters (a zone it may not know: offset 0 then), or GMT±h.
        const m = /^(UTC|GMT[+-]\d{1,2}|[A-Z][A-Za-z]{2,4})/.exec(v) ?? bad();
        const g = /^GMT([+-]\d{1,2})$/.exec(m[1]);
        r.offset = g ? Number(g[1]) * 3600 : 0;
        v = v.slice(m[0].length);
        break;
      }
      default: {
        if (c.std.startsWith('Z') && v.startsWith('Z')) {
          r.offset = 0;
          v = v.slice(1);
          break;
        }
        const shape = c.std.slice(1).replace(/\d/g, '\\d');
        const m = new RegExp(`^[+-]${shape}`).exec(v) ?? bad();
        const digits = m[0].slice(1).replace(/:/g, '');
        const secs =
          Number(digits.slice(0, 2)) * 3600 +
          Number(digits.slice(2, 4) || 0) * 60 +
          Number(digits.slice(4, 6) || 0);
        r.offset = m[0][0] === '-' ? -secs : secs;
        v = v.slice(m[0].length);
      }
    }
  }
  if (v !== '') bad();
  if (pm !== undefined) r.hour = (r.hour % 12) + (pm ? 12 : 0);
  if (yday >= 0) {
    // Day of year sets month and day (Go also cross-checks them if both were given).
    let d = yday;
    let m = 1;
    while (m <= 12 && d > daysIn(m, r.year)) d -= daysIn(m++, r.year);
    if (m > 12 || d < 1) bad();
    r.month = m;
    r.day = d;
  }
  if (r.month < 1 || r.month > 12 || r.day < 1 || r.day > daysIn(r.month, r.year)) bad();
  return r;
}
