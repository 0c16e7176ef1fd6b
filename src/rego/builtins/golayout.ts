// Go reference-time layouts ("2006-01-02T15:04:05Z07:00") for time.format and time.parse_ns:
// the layout is split into the same chunks as Go's time.nextStdChunk, then printed or parsed.
import type { Civil } from './civil.ts';

export const NAMED_LAYOUTS: Record<string, string> = {
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
};

export const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
export const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export type Chunk = { lit: string } | { std: string; digits?: number };

// Longest first within each leading character, as Go's nextStdChunk checks them.
const STD = [
  'January',
  'Jan',
  'Monday',
  'Mon',
  'MST',
  '01',
  '02',
  '03',
  '04',
  '05',
  '06',
  '002',
  '15',
  '1',
  '2006',
  '2',
  '__2',
  '_2',
  '3',
  '4',
  '5',
  'PM',
  'pm',
  '-07:00:00',
  '-070000',
  '-07:00',
  '-0700',
  '-07',
  'Z07:00:00',
  'Z070000',
  'Z07:00',
  'Z0700',
  'Z07',
].sort((a, b) => b.length - a.length);

export function chunks(layout: string): Chunk[] {
  const out: Chunk[] = [];
  let lit = '';
  let i = 0;
  const flush = (): void => {
    if (lit) out.push({ lit });
    lit = '';
  };
  while (i < layout.length) {
    const rest = layout.slice(i);
    // ".000" / ".999" (or with ','): fractional seconds, when not followed by another digit.
    const frac = /^[.,](0+|9+)(?!\d)/.exec(rest);
    if (frac) {
      flush();
      out.push({ std: frac[1][0] === '0' ? 'frac0' : 'frac9', digits: frac[1].length });
      i += frac[0].length;
      continue;
    }
    let std = STD.find((s) => rest.startsWith(s));
    // "Jan"/"Mon" only count when not followed by a lowercase letter (Go: "January" vs "Janet").
    if (std === 'Mon' && /^Mon[a-z]/.test(rest) && !rest.startsWith('Monday')) std = undefined;
    if (std === 'Jan' && /^Jan[a-z]/.test(rest) && !rest.startsWith('January')) std = undefined;
    if (std === '_2' && rest.startsWith('_2006')) std = undefined;
    if (std) {
      flush();
      out.push({ std });
      i += std.length;
    } else lit += layout[i++];
  }
  flush();
  return out;
}

const p2 = (n: number): string => String(n).padStart(2, '0');

function tz(offset: number, std: string): string {
  if (std.startsWith('Z') && offset === 0) return 'Z';
  const a = Math.abs(offset);
  const sign = offset < 0 ? '-' : '+';
  const hh = p2(Math.floor(a / 3600));
  const mm = p2(Math.floor((a % 3600) / 60));
  const ss = p2(a % 60);
  const shape = std.slice(1);
  if (shape === '07') return sign + hh;
  if (shape === '0700') return sign + hh + mm;
  if (shape === '07:00') return `${sign}${hh}:${mm}`;
  if (shape === '070000') return sign + hh + mm + ss;
  return `${sign}${hh}:${mm}:${ss}`;
}

export function format(t: Civil, layout: string): string {
  let out = '';
  for (const c of chunks(layout)) {
    if ('lit' in c) {
      out += c.lit;
      continue;
    }
    const h12 = t.hour % 12 === 0 ? 12 : t.hour % 12;
    switch (c.std) {
      case 'January':
        out += MONTHS[t.month - 1];
        break;
      case 'Jan':
        out += MONTHS[t.month - 1].slice(0, 3);
        break;
      case 'Monday':
        out += DAYS[t.weekday];
        break;
      case 'Mon':
        out += DAYS[t.weekday].slice(0, 3);
        break;
      case 'MST':
        out += t.zone();
        break;
      case '01':
        out += p2(t.month);
        break;
      case '1':
        out += t.month;
        break;
      case '02':
        out += p2(t.day);
        break;
      case '_2':
        out += String(t.day).padStart(2, ' ');
        break;
      case '2':
        out += t.day;
        break;
      case '002':
        out += String(t.yday).padStart(3, '0');
        break;
      case '__2':
        out += String(t.yday).padStart(3, ' ');
        break;
      case '06':
        out += p2(((t.year % 100) + 100) % 100);
        break;
      case '2006':
        out +=
          t.year < 0 ? '-' + String(-t.year).padStart(4, '0') : String(t.year).padStart(4, '0');
        break;
      case '15':
        out += p2(t.hour);
        break;
      case '3':
        out += h12;
        break;
      case '03':
        out += p2(h12);
        break;
      case '4':
        out += t.minute;
        break;
      case '04':
        out += p2(t.minute);
        break;
      case '5':
        out += t.second;
        break;
      case '05':
        out += p2(t.second);
        break;
      case 'PM':
        out += t.hour >= 12 ? 'PM' : 'AM';
        break;
      case 'pm':
        out += t.hour >= 12 ? 'pm' : 'am';
        break;
      case 'frac0':
        out += '.' + String(t.nanos).padStart(9, '0').slice(0, c.digits);
        break;
      case 'frac9': {
        const digits = String(t.nanos).padStart(9, '0').slice(0, c.digits).replace(/0+$/, '');
        if (digits) out += '.' + digits;
        break;
      }
      default:
        out += tz(t.offset, c.std);
    }
  }
  return out;
}
