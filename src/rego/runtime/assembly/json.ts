// Strict JSON parser (RFC 8259) producing values, plus the Rego value syntax for
// opa_value_parse (sets `{1, 2}`, `set()`, non-string object keys). Strings without escapes
// point straight into the source text (the SDK keeps it alive below the heap mark); escaped
// strings are decoded into fresh bytes. Invalid input yields 0.
import { fail } from './env';
import {
  NULL, TRUE, FALSE, T_OBJECT, T_SET, T_ARRAY, T_STRING, N_FLOAT, N_BIG,
  newInt, newNumText, newString, newColl, collGrow, len, elems, objKey, objVal, strPtr,
} from './value';
import { sortColl } from './compare';

let pos: usize = 0;
let end: usize = 0;
let depth: i32 = 0;
let rego = false;
let bad = false;
/** Set while a host builtin call is in flight: `{"__rego_set__": [...]}` then means a set. */
export let inBuiltinCall = false;
export function setInBuiltinCall(b: bool): void {
  inBuiltinCall = b;
}

const MAX_DEPTH = 1000;

export function parseJSON(p: usize, n: usize, regoSyntax: bool): usize {
  pos = p;
  end = p + n;
  depth = 0;
  rego = regoSyntax;
  bad = false;
  ws();
  let v = value();
  ws();
  if (bad || v == 0 || pos != end) return 0;
  return v;
}

// @ts-ignore: decorator
@inline function ws(): void {
  while (pos < end) {
    let c = load<u8>(pos);
    if (c == 32 || c == 10 || c == 13 || c == 9) pos++;
    else break;
  }
}

function lit(word: string): bool {
  let n = <usize>word.length;
  if (pos + n > end) return false;
  for (let i: usize = 0; i < n; i++) if (load<u8>(pos + i) != <u8>word.charCodeAt(<i32>i)) return false;
  pos += n;
  return true;
}

function value(): usize {
  if (pos >= end) return 0;
  let c = load<u8>(pos);
  if (c == 34) return str();
  if (c == 123 || c == 91) {
    if (++depth > MAX_DEPTH) fail('input too deeply nested');
    let v = c == 91 ? array() : object();
    depth--;
    return v;
  }
  if (c == 45 || (c >= 48 && c <= 57)) return num();
  if (lit('true')) return TRUE;
  if (lit('false')) return FALSE;
  if (lit('null')) return NULL;
  if (rego && lit('set()')) return newColl(T_SET, 0);
  return 0;
}

function array(): usize {
  pos++;
  let a = newColl(T_ARRAY, 4);
  ws();
  if (pos < end && load<u8>(pos) == 93) {
    pos++;
    return a;
  }
  while (true) {
    ws();
    let v = value();
    if (v == 0) return 0;
    let i = collGrow(a);
    store<u32>(elems(a) + (<usize>i << 2), <u32>v);
    ws();
    if (pos >= end) return 0;
    let c = load<u8>(pos++);
    if (c == 93) return a;
    if (c != 44) return 0;
  }
  return 0;
}

function object(): usize {
  pos++;
  ws();
  if (pos < end && load<u8>(pos) == 125) {
    pos++;
    return newColl(T_OBJECT, 0);
  }
  let first = value();
  if (first == 0 || (!rego && load<u8>(first) != T_STRING)) return 0;
  ws();
  if (rego && pos < end && load<u8>(pos) != 58) return setRest(first);
  let o = newColl(T_OBJECT, 4);
  let k = first;
  while (true) {
    ws();
    if (pos >= end || load<u8>(pos) != 58) return 0;
    pos++;
    ws();
    let v = value();
    if (v == 0) return 0;
    let i = collGrow(o);
    store<u32>(elems(o) + (<usize>i << 3), <u32>k);
    store<u32>(elems(o) + (<usize>i << 3), <u32>v, 4);
    ws();
    if (pos >= end) return 0;
    let c = load<u8>(pos++);
    if (c == 125) break;
    if (c != 44) return 0;
    ws();
    k = value();
    if (k == 0 || (!rego && load<u8>(k) != T_STRING)) return 0;
  }
  sortColl(o);
  if (inBuiltinCall && len(o) == 1) return maybeSet(o);
  return o;
}

/** `{"__rego_set__": [..]}` from a host builtin is the project's JSON encoding of a set. */
function maybeSet(o: usize): usize {
  let k = objKey(o, 0);
  let v = objVal(o, 0);
  if (load<u8>(k) != T_STRING || load<u8>(v) != T_ARRAY) return o;
  if (len(k) == 15) return maybeObject(o);
  if (len(k) != 12) return o;
  let p = strPtr(k);
  let name = '__rego_set__';
  for (let i = 0; i < 12; i++) if (load<u8>(p + <usize>i) != <u8>name.charCodeAt(i)) return o;
  let s = newColl(T_SET, len(v));
  memory.copy(elems(s), elems(v), <usize>len(v) << 2);
  store<u32>(s, len(v), 4);
  sortColl(s);
  return s;
}

/** `{"__rego_object__": [[k, v], ..]}` from a host builtin: an object with keys of any type. */
function maybeObject(o: usize): usize {
  let k = objKey(o, 0);
  let v = objVal(o, 0);
  let p = strPtr(k);
  let name = '__rego_object__';
  for (let i = 0; i < 15; i++) if (load<u8>(p + <usize>i) != <u8>name.charCodeAt(i)) return o;
  let n = len(v);
  let e = elems(v);
  for (let i: u32 = 0; i < n; i++) {
    let pair = <usize>load<u32>(e + (<usize>i << 2));
    if (load<u8>(pair) != T_ARRAY || len(pair) != 2) return o;
  }
  let out = newColl(T_OBJECT, n);
  for (let i: u32 = 0; i < n; i++) {
    let pair = <usize>load<u32>(e + (<usize>i << 2));
    let pe = elems(pair);
    store<u32>(elems(out) + (<usize>i << 3), load<u32>(pe));
    store<u32>(elems(out) + (<usize>i << 3), load<u32>(pe + 4), 4);
  }
  store<u32>(out, n, 4);
  sortColl(out);
  return out;
}

function setRest(first: usize): usize {
  let s = newColl(T_SET, 4);
  let v = first;
  while (true) {
    let i = collGrow(s);
    store<u32>(elems(s) + (<usize>i << 2), <u32>v);
    ws();
    if (pos >= end) return 0;
    let c = load<u8>(pos++);
    if (c == 125) break;
    if (c != 44) return 0;
    ws();
    v = value();
    if (v == 0) return 0;
  }
  sortColl(s);
  return s;
}

// @ts-ignore: decorator
@inline function digit(): bool {
  return pos < end && load<u8>(pos) >= 48 && load<u8>(pos) <= 57;
}

function num(): usize {
  let start = pos;
  let neg = load<u8>(pos) == 45;
  if (neg) pos++;
  if (!digit()) return 0;
  if (load<u8>(pos) == 48) pos++;
  else while (digit()) pos++;
  let isInt = true;
  if (pos < end && load<u8>(pos) == 46) {
    pos++;
    if (!digit()) return 0;
    while (digit()) pos++;
    isInt = false;
  }
  if (pos < end && (load<u8>(pos) | 32) == 101) {
    pos++;
    if (pos < end && (load<u8>(pos) == 43 || load<u8>(pos) == 45)) pos++;
    if (!digit()) return 0;
    while (digit()) pos++;
    isInt = false;
  }
  let n = <u32>(pos - start);
  if (isInt) {
    // up to 18 digits always fit in i64; longer ones are checked digit by digit
    let digits = n - (neg ? 1 : 0);
    let p = start + (neg ? 1 : 0);
    if (digits <= 18 || (digits == 19 && fitsI64(p, neg))) {
      let acc: u64 = 0;
      for (let i: u32 = 0; i < digits; i++) acc = acc * 10 + <u64>(load<u8>(p + <usize>i) - 48);
      return newInt(neg ? -<i64>acc : <i64>acc);
    }
    return newNumText(N_BIG, reinterpret<u64>(textToF64(start, n)), start, n);
  }
  return newNumText(N_FLOAT, reinterpret<u64>(textToF64(start, n)), start, n);
}

function fitsI64(p: usize, neg: bool): bool {
  let lim = neg ? '9223372036854775808' : '9223372036854775807';
  for (let i = 0; i < 19; i++) {
    let c = load<u8>(p + <usize>i);
    let l = <u8>lim.charCodeAt(i);
    if (c != l) return c < l;
  }
  return true;
}

// @ts-ignore: decorator
@lazy const POW10 = memory.data<f64>([
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
  1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
]);

/** Decimal text (already validated JSON number syntax) to the nearest double. Clinger's fast
 *  path is exact: ≤ 15 significant digits and a power of ten ≤ 22 are both exact doubles, so
 *  one IEEE multiplication or division rounds correctly. Other inputs use AssemblyScript's
 *  parseFloat, which may be off by one ulp. */
export function textToF64(p: usize, n: u32): f64 {
  let i: usize = 0;
  let neg = load<u8>(p) == 45;
  if (neg) i++;
  let mant: u64 = 0;
  let sig = 0;
  let scale: i32 = 0;
  let seenDot = false;
  for (; i < <usize>n; i++) {
    let c = load<u8>(p + i);
    if (c == 46) {
      seenDot = true;
      continue;
    }
    if (c < 48 || c > 57) break;
    if (mant == 0 && c == 48) {
      if (seenDot) scale--;
      continue;
    }
    if (sig < 19) {
      mant = mant * 10 + <u64>(c - 48);
      sig++;
      if (seenDot) scale--;
    } else {
      sig++;
      if (!seenDot) scale++;
    }
  }
  if (i < <usize>n) {
    // exponent
    i++;
    let eneg = false;
    let c = load<u8>(p + i);
    if (c == 43 || c == 45) {
      eneg = c == 45;
      i++;
    }
    let e: i32 = 0;
    for (; i < <usize>n; i++) if (e < 100000) e = e * 10 + <i32>(load<u8>(p + i) - 48);
    scale += eneg ? -e : e;
  }
  if (mant == 0) return neg ? -0.0 : 0.0;
  if (sig <= 15 && scale >= -22 && scale <= 22) {
    let f = <f64>mant;
    f = scale >= 0 ? f * load<f64>(POW10 + (<usize>scale << 3)) : f / load<f64>(POW10 + (<usize>-scale << 3));
    return neg ? -f : f;
  }
  return parseFloat(String.UTF8.decodeUnsafe(p, n));
}

function hex4(): i32 {
  if (pos + 4 > end) return -1;
  let v: i32 = 0;
  for (let i = 0; i < 4; i++) {
    let c = <i32>load<u8>(pos++);
    let d: i32;
    if (c >= 48 && c <= 57) d = c - 48;
    else if ((c | 32) >= 97 && (c | 32) <= 102) d = (c | 32) - 87;
    else return -1;
    v = (v << 4) | d;
  }
  return v;
}

/** Validates one UTF-8 sequence at pos (RFC 3629: no overlongs, no surrogates, ≤ U+10FFFF). */
function utf8(): bool {
  let c = <u32>load<u8>(pos);
  let n: u32;
  let minCp: u32;
  if (c < 0xc2) return false;
  else if (c < 0xe0) { n = 1; minCp = 0x80; c &= 0x1f; }
  else if (c < 0xf0) { n = 2; minCp = 0x800; c &= 0x0f; }
  else if (c < 0xf5) { n = 3; minCp = 0x10000; c &= 0x07; }
  else return false;
  if (pos + n >= end) return false;
  for (let i: u32 = 1; i <= n; i++) {
    let b = <u32>load<u8>(pos + <usize>i);
    if ((b & 0xc0) != 0x80) return false;
    c = (c << 6) | (b & 0x3f);
  }
  if (c < minCp || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return false;
  pos += n + 1;
  return true;
}

function str(): usize {
  pos++;
  let start = pos;
  let escaped = false;
  while (true) {
    if (pos >= end) return 0;
    let c = load<u8>(pos);
    if (c == 34) break;
    if (c < 0x20) return 0;
    if (c == 92) {
      escaped = true;
      pos += 2;
    } else if (c < 0x80) pos++;
    else if (!utf8()) return 0;
  }
  let stop = pos;
  pos++;
  if (!escaped) return newString(start, <u32>(stop - start));
  // decoded text is never longer than the escaped source
  let out = rtAlloc(stop - start);
  let o = out;
  let save = pos;
  pos = start;
  while (pos < stop) {
    let c = load<u8>(pos);
    if (c != 92) {
      store<u8>(o++, c);
      pos++;
      continue;
    }
    pos++;
    let e = load<u8>(pos++);
    if (e == 34 || e == 92 || e == 47) store<u8>(o++, e);
    else if (e == 98) store<u8>(o++, 8);
    else if (e == 102) store<u8>(o++, 12);
    else if (e == 110) store<u8>(o++, 10);
    else if (e == 114) store<u8>(o++, 13);
    else if (e == 116) store<u8>(o++, 9);
    else if (e == 117) {
      let cp = hex4();
      if (cp < 0) return 0;
      if (cp >= 0xd800 && cp < 0xdc00) {
        // a high surrogate needs a following \uDC00-\uDFFF; lone halves become U+FFFD (as Go)
        let lowOk = false;
        if (pos + 6 <= stop && load<u8>(pos) == 92 && load<u8>(pos + 1) == 117) {
          let back = pos;
          pos += 2;
          let lo = hex4();
          if (lo >= 0xdc00 && lo < 0xe000) {
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            lowOk = true;
          } else pos = back;
        }
        if (!lowOk) cp = 0xfffd;
      } else if (cp >= 0xdc00 && cp < 0xe000) cp = 0xfffd;
      o = putUtf8(o, cp);
    } else return 0;
  }
  pos = save;
  return newString(out, <u32>(o - out));
}

export function putUtf8(o: usize, cp: i32): usize {
  if (cp < 0x80) store<u8>(o++, <u8>cp);
  else if (cp < 0x800) {
    store<u8>(o++, <u8>(0xc0 | (cp >> 6)));
    store<u8>(o++, <u8>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    store<u8>(o++, <u8>(0xe0 | (cp >> 12)));
    store<u8>(o++, <u8>(0x80 | ((cp >> 6) & 0x3f)));
    store<u8>(o++, <u8>(0x80 | (cp & 0x3f)));
  } else {
    store<u8>(o++, <u8>(0xf0 | (cp >> 18)));
    store<u8>(o++, <u8>(0x80 | ((cp >> 12) & 0x3f)));
    store<u8>(o++, <u8>(0x80 | ((cp >> 6) & 0x3f)));
    store<u8>(o++, <u8>(0x80 | (cp & 0x3f)));
  }
  return o;
}
