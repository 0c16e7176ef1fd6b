// sprintf with Go's fmt semantics, as OPA calls fmt.Sprintf (topdown/strings.go): integral
// numbers are passed as Go ints (or *big.Int), other numbers as float64, strings as strings and
// every other value as its Rego text ("[1, 2]", "{\"a\": 1}"). Mistakes render inline the way Go
// does ("%!d(string=x)", "%!s(MISSING)", "%!(EXTRA int=1)") rather than failing.
// Note: the opa-wasm SDK ships its own `sprintf` (sprintf-js), which takes precedence over the
// custom builtins passed to loadPolicy; this one serves other hosts and keeps semantics in one place.
import { compareStrings, intFromDouble, isArr, isObj, isStr } from './values.ts';

type Arg =
  | { kind: 'int'; v: bigint; go: 'int' | 'big.Int' }
  | { kind: 'float'; v: number }
  | { kind: 'string'; v: string };

/** Rego's text form of a value (ast.Term.String()). */
export function regoText(v: unknown): string {
  if (v === null) return 'null';
  if (isStr(v)) return goQuote(v);
  if (isArr(v)) return '[' + v.map(regoText).join(', ') + ']';
  if (isObj(v)) {
    const keys = Object.keys(v).sort(compareStrings);
    return '{' + keys.map((k) => `${goQuote(k)}: ${regoText(v[k])}`).join(', ') + '}';
  }
  return String(v);
}

function toArg(v: unknown): Arg {
  if (typeof v === 'number' && Number.isInteger(v)) {
    const b = intFromDouble(v);
    const fits = b >= -(2n ** 63n) && b < 2n ** 63n;
    return { kind: 'int', v: b, go: fits ? 'int' : 'big.Int' };
  }
  if (typeof v === 'number') return { kind: 'float', v };
  if (isStr(v)) return { kind: 'string', v };
  return { kind: 'string', v: regoText(v) };
}

/** strconv.Quote: printable runes kept, others escaped Go-style. */
export function goQuote(s: string): string {
  let out = '"';
  for (const c of s) {
    const cp = c.codePointAt(0)!;
    const esc: Record<number, string> = {
      7: '\\a',
      8: '\\b',
      9: '\\t',
      10: '\\n',
      11: '\\v',
      12: '\\f',
      13: '\\r',
      34: '\\"',
      92: '\\\\',
    };
    if (esc[cp]) out += esc[cp];
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (/[\p{C}\p{Zl}\p{Zp}]/u.test(c) || (/\p{Zs}/u.test(c) && cp !== 0x20)) {
      out +=
        cp > 0xffff
          ? '\\U' + cp.toString(16).padStart(8, '0')
          : '\\u' + cp.toString(16).padStart(4, '0');
    } else out += c;
  }
  return out + '"';
}

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width?: number;
  prec?: number;
}

function pad(s: string, f: Spec, numeric: boolean): string {
  if (f.width === undefined) return s;
  const len = Array.from(s).length;
  if (len >= f.width) return s;
  const fill = f.width - len;
  if (f.minus) return s + ' '.repeat(fill);
  if (f.zero) {
    // Zeros go after the sign (and any 0x prefix is already part of s for Go only with '#').
    const m = numeric ? /^[+\- ]/.exec(s) : null;
    return m ? m[0] + '0'.repeat(fill) + s.slice(1) : '0'.repeat(fill) + s;
  }
  return ' '.repeat(fill) + s;
}

function sign(neg: boolean, f: Spec): string {
  return neg ? '-' : f.plus ? '+' : f.space ? ' ' : '';
}

/** Decimal digits and exponent of the shortest round-tripping representation. */
function shortest(x: number): { digits: string; exp: number } {
  const [m, e] = Math.abs(x).toExponential().split('e');
  return { digits: m.replace('.', ''), exp: Number(e) };
}

function expForm(mant: string, exp: number, upper: boolean): string {
  const e = `${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return mant + (upper ? 'E' : 'e') + e;
}

function fmtFloat(x: number, verb: string, f: Spec): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return sign(x < 0, f) + 'Inf';
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  let body: string;
  if (verb === 'f' || verb === 'F') body = a.toFixed(f.prec ?? 6);
  else if (verb === 'e' || verb === 'E') {
    const [m, e] = a.toExponential(f.prec ?? 6).split('e');
    body = expForm(m, Number(e), verb === 'E');
  } else {
    // %g / %v: shortest digits unless a precision is given; %e form when exp < -4 || exp >= P.
    let digits: string;
    let exp: number;
    let eprec: number;
    if (f.prec === undefined) {
      ({ digits, exp } = shortest(a));
      eprec = 6;
    } else {
      const p = f.prec === 0 ? 1 : f.prec;
      const [m, e] = a.toExponential(p - 1).split('e');
      digits = m.replace('.', '').replace(/0+$/, '') || '0';
      exp = Number(e);
      eprec = p;
      if (eprec > digits.length && digits.length >= exp + 1) eprec = digits.length;
    }
    if (exp < -4 || exp >= eprec) {
      const mant = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
      body = expForm(mant, exp, verb === 'G');
    } else if (exp < 0) body = '0.' + '0'.repeat(-exp - 1) + digits;
    else if (digits.length <= exp + 1) body = digits + '0'.repeat(exp + 1 - digits.length);
    else body = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
  }
  return sign(neg, f) + body;
}

function fmtInt(v: bigint, verb: string, f: Spec): string | undefined {
  const neg = v < 0n;
  const a = neg ? -v : v;
  let body: string;
  let prefix = '';
  switch (verb) {
    case 'v':
    case 'd':
      body = a.toString(10);
      break;
    case 'b':
      body = a.toString(2);
      break;
    case 'o':
    case 'O':
      body = a.toString(8);
      if (verb === 'O') prefix = '0o';
      else if (f.sharp) prefix = '0';
      break;
    case 'x':
    case 'X':
      body = a.toString(16);
      if (verb === 'X') body = body.toUpperCase();
      if (f.sharp) prefix = verb === 'x' ? '0x' : '0X';
      break;
    case 'c':
      return String.fromCodePoint(Number(v));
    case 'q':
      return "'" + goQuote(String.fromCodePoint(Number(v))).slice(1, -1) + "'";
    case 'U':
      return 'U+' + a.toString(16).toUpperCase().padStart(4, '0');
    default:
      return undefined;
  }
  if (f.prec !== undefined) body = f.prec === 0 && a === 0n ? '' : body.padStart(f.prec, '0');
  return sign(neg, f) + prefix + body;
}

function fmtString(s: string, verb: string, f: Spec): string | undefined {
  const cut = f.prec === undefined ? s : Array.from(s).slice(0, f.prec).join('');
  switch (verb) {
    case 'v':
    case 's':
      return cut;
    case 'q':
      return goQuote(cut);
    case 'x':
    case 'X': {
      const hex = Array.from(new TextEncoder().encode(cut), (b) => b.toString(16).padStart(2, '0'));
      const out = hex.join(f.space ? ' ' : '');
      return verb === 'X' ? out.toUpperCase() : out;
    }
    default:
      return undefined;
  }
}

function typeName(a: Arg): string {
  return a.kind === 'int' ? a.go : a.kind === 'float' ? 'float64' : 'string';
}

function plain(a: Arg): string {
  return a.kind === 'int' ? a.v.toString() : a.kind === 'float' ? fmtFloat(a.v, 'v', blank()) : a.v;
}

const blank = (): Spec => ({ minus: false, plus: false, sharp: false, space: false, zero: false });

function formatOne(a: Arg, verb: string, f: Spec): string {
  let out: string | undefined;
  let numeric = false;
  if (a.kind === 'int') {
    // *big.Int formats itself and also accepts %s.
    out = fmtInt(a.v, verb === 's' && a.go === 'big.Int' ? 'd' : verb, f);
    numeric = true;
  } else if (a.kind === 'float') {
    numeric = true;
    out = 'vgGeEfF'.includes(verb) ? fmtFloat(a.v, verb, f) : undefined;
  } else out = fmtString(a.v, verb, f);
  if (out === undefined) return `%!${verb}(${typeName(a)}=${plain(a)})`;
  return pad(out, f, numeric);
}

export function sprintf(format: unknown, values: unknown): string | undefined {
  if (!isStr(format) || !isArr(values)) return undefined;
  const args = values.map(toArg);
  let argi = 0;
  let out = '';
  let i = 0;
  while (i < format.length) {
    const c = format[i];
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    i++;
    const f = blank();
    for (; i < format.length; i++) {
      const fl = format[i];
      if (fl === '-') f.minus = true;
      else if (fl === '+') f.plus = true;
      else if (fl === '#') f.sharp = true;
      else if (fl === ' ') f.space = true;
      else if (fl === '0') f.zero = !f.minus;
      else break;
    }
    const num = (): number | undefined => {
      if (format[i] === '*') {
        i++;
        const a = args[argi++];
        return a?.kind === 'int' ? Number(a.v) : undefined;
      }
      const m = /^\d+/.exec(format.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      return Number(m[0]);
    };
    f.width = num();
    if (format[i] === '.') {
      i++;
      f.prec = num() ?? 0;
    }
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    const a = args[argi++];
    out += a === undefined ? `%!${verb}(MISSING)` : formatOne(a, verb, f);
  }
  if (argi < args.length) {
    const extra = args.slice(argi).map((a) => `${typeName(a)}=${plain(a)}`);
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}
