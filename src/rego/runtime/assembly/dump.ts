// Serialisation: JSON (opa_json_dump: sets as arrays, non-string object keys as the JSON text
// of the key, floats shortest round-trip, big integers exact) and Rego value syntax
// (opa_value_dump, template strings: `{1, 2}`, `set()`, `{"a": 1}` like OPA's Term.String()).
import { shortestDigits, decExp } from './float';
import { inBuiltinCall } from './json';
import {
  T_NULL, T_BOOL, T_NUMBER, T_STRING, T_ARRAY, T_OBJECT, T_SET, N_INT,
  tag, len, elems, strPtr, numKind, numInt, numF64, numText, numTextLen,
} from './value';

let buf: usize = 0;
let blen: u32 = 0;
let bcap: u32 = 0;

function reserve(n: u32): void {
  if (blen + n <= bcap) return;
  let ncap = max(bcap * 2, blen + n + 64);
  buf = rtRealloc(buf, bcap, ncap);
  bcap = ncap;
}

// @ts-ignore: decorator
@inline function put(c: u8): void {
  if (blen == bcap) reserve(1);
  store<u8>(buf + <usize>(blen++), c);
}

function putBytes(p: usize, n: u32): void {
  reserve(n);
  memory.copy(buf + <usize>blen, p, n);
  blen += n;
}

function putAscii(s: string): void {
  for (let i = 0; i < s.length; i++) put(<u8>s.charCodeAt(i));
}

/** Starts a new output buffer on the heap. */
export function begin(): void {
  bcap = 64;
  buf = rtAlloc(bcap);
  blen = 0;
}
/** NUL-terminates the output and returns its address. */
export function finish(): usize {
  put(0);
  return buf;
}
export function outPtr(): usize {
  return buf;
}
export function outLen(): u32 {
  return blen;
}
export function appendBytes(p: usize, n: u32): void {
  putBytes(p, n);
}

// @ts-ignore: decorator
@lazy const DIGITS = memory.data(24);

function putI64(v: i64): void {
  if (v < 0) {
    put(45);
    if (v == i64.MIN_VALUE) {
      putAscii('9223372036854775808');
      return;
    }
    v = -v;
  }
  let tmp = DIGITS;
  let n = 0;
  do {
    store<u8>(tmp + <usize>(n++), <u8>(48 + <i32>(v % 10)));
    v /= 10;
  } while (v != 0);
  reserve(<u32>n);
  while (n > 0) put(load<u8>(tmp + <usize>(--n)));
}

// @ts-ignore: decorator
@lazy const F64BUF = memory.data(32);

/** Shortest round-trip text of a finite double, laid out as JavaScript does (ECMA-262
 *  Number::toString): plain decimals for 1e-7 < |f| < 1e21, else d.ddde±x. */
function putF64(f: f64): void {
  if (f == 0) {
    put(48);
    return;
  }
  if (f < 0) {
    put(45);
    f = -f;
  }
  // integral results of integer overflow: print the exact integer the double holds
  // (2^63 rather than 9223372036854776000), nearer to OPA's exact big-number arithmetic
  if (Math.floor(f) == f && f < 18446744073709551616.0) {
    putU64(<u64>f);
    return;
  }
  let n = shortestDigits(f, F64BUF);
  let k = decExp; // f = 0.d1…dn × 10^k
  if (k >= n && k <= 21) {
    putBytes(F64BUF, n);
    for (let i = n; i < k; i++) put(48);
  } else if (k > 0 && k <= 21) {
    putBytes(F64BUF, k);
    put(46);
    putBytes(F64BUF + <usize>k, n - k);
  } else if (k > -6 && k <= 0) {
    put(48);
    put(46);
    for (let i = k; i < 0; i++) put(48);
    putBytes(F64BUF, n);
  } else {
    put(load<u8>(F64BUF));
    if (n > 1) {
      put(46);
      putBytes(F64BUF + 1, n - 1);
    }
    put(101);
    let x = k - 1;
    put(x < 0 ? 45 : 43);
    putU64(<u64>(x < 0 ? -x : x));
  }
}

function putU64(v: u64): void {
  let n = 0;
  do {
    store<u8>(DIGITS + <usize>(n++), <u8>(48 + <i32>(v % 10)));
    v /= 10;
  } while (v != 0);
  reserve(<u32>n);
  while (n > 0) put(load<u8>(DIGITS + <usize>(--n)));
}

function putNumber(v: usize): void {
  let k = numKind(v);
  if (k == N_INT) putI64(numInt(v));
  else if (numText(v) != 0) putBytes(numText(v), numTextLen(v));
  else putF64(numF64(v));
}

const HEX = '0123456789abcdef';

function putJsonString(p: usize, n: u32): void {
  reserve(n + 2);
  put(34);
  let runStart: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let c = load<u8>(p + <usize>i);
    if (c >= 0x20 && c != 34 && c != 92) continue;
    putBytes(p + <usize>runStart, i - runStart);
    runStart = i + 1;
    put(92);
    if (c == 34 || c == 92) put(c);
    else if (c == 10) put(110);
    else if (c == 13) put(114);
    else if (c == 9) put(116);
    else if (c == 8) put(98);
    else if (c == 12) put(102);
    else {
      putAscii('u00');
      put(<u8>HEX.charCodeAt(c >> 4));
      put(<u8>HEX.charCodeAt(c & 15));
    }
  }
  putBytes(p + <usize>runStart, n - runStart);
  put(34);
}

/** Go's strconv.Quote for the Rego syntax: printable UTF-8 stays, control bytes are escaped. */
function putGoString(p: usize, n: u32): void {
  put(34);
  for (let i: u32 = 0; i < n; i++) {
    let c = load<u8>(p + <usize>i);
    if (c >= 0x20 && c != 34 && c != 92 && c != 0x7f) {
      put(c);
      continue;
    }
    put(92);
    if (c == 34 || c == 92) put(c);
    else if (c == 7) put(97);
    else if (c == 8) put(98);
    else if (c == 12) put(102);
    else if (c == 10) put(110);
    else if (c == 13) put(114);
    else if (c == 9) put(116);
    else if (c == 11) put(118);
    else {
      put(120);
      put(<u8>HEX.charCodeAt(c >> 4));
      put(<u8>HEX.charCodeAt(c & 15));
    }
  }
  put(34);
}

export function dumpValue(v: usize, regoSyntax: bool): void {
  switch (tag(v)) {
    case T_NULL:
      putAscii('null');
      return;
    case T_BOOL:
      putAscii(load<u8>(v, 1) ? 'true' : 'false');
      return;
    case T_NUMBER:
      putNumber(v);
      return;
    case T_STRING:
      if (regoSyntax) putGoString(strPtr(v), len(v));
      else putJsonString(strPtr(v), len(v));
      return;
    case T_ARRAY:
    case T_SET: {
      let n = len(v);
      if (regoSyntax && tag(v) == T_SET && n == 0) {
        putAscii('set()');
        return;
      }
      // A set handed to a host builtin keeps its type: the project's TS builtins read
      // {"__rego_set__": [...]} (src/rego/builtins/values.ts) and return sets the same way.
      let tagged = !regoSyntax && inBuiltinCall && tag(v) == T_SET;
      if (tagged) putAscii('{"__rego_set__":');
      put(regoSyntax && tag(v) == T_SET ? 123 : 91);
      let e = elems(v);
      for (let i: u32 = 0; i < n; i++) {
        if (i > 0) {
          put(44);
          if (regoSyntax) put(32);
        }
        dumpValue(<usize>load<u32>(e + (<usize>i << 2)), regoSyntax);
      }
      put(regoSyntax && tag(v) == T_SET ? 125 : 93);
      if (tagged) put(125);
      return;
    }
    case T_OBJECT: {
      let n = len(v);
      let e = elems(v);
      // An object with a key that is not a string, handed to a host builtin, keeps its keys:
      // {"__rego_object__": [[k, v], ...]} (src/rego/builtins/values.ts reads and writes it).
      if (!regoSyntax && inBuiltinCall && hasNonStringKey(v)) {
        putAscii('{"__rego_object__":[');
        for (let i: u32 = 0; i < n; i++) {
          if (i > 0) put(44);
          put(91);
          dumpValue(<usize>load<u32>(e + (<usize>i << 3)), false);
          put(44);
          dumpValue(<usize>load<u32>(e + (<usize>i << 3), 4), false);
          put(93);
        }
        putAscii(']}');
        return;
      }
      put(123);
      for (let i: u32 = 0; i < n; i++) {
        if (i > 0) {
          put(44);
          if (regoSyntax) put(32);
        }
        let k = <usize>load<u32>(e + (<usize>i << 3));
        if (regoSyntax || tag(k) == T_STRING) dumpValue(k, regoSyntax);
        else {
          // JSON keys must be strings: write the key's JSON text as a string
          let start = blen;
          dumpValue(k, false);
          let klen = blen - start;
          let copy = rtAlloc(klen);
          memory.copy(copy, buf + <usize>start, klen);
          blen = start;
          putJsonString(copy, klen);
        }
        put(58);
        if (regoSyntax) put(32);
        dumpValue(<usize>load<u32>(e + (<usize>i << 3), 4), regoSyntax);
      }
      put(125);
      return;
    }
  }
}

function hasNonStringKey(o: usize): bool {
  let e = elems(o);
  for (let i: u32 = 0; i < len(o); i++) {
    if (tag(<usize>load<u32>(e + (<usize>i << 3))) != T_STRING) return true;
  }
  return false;
}

/** A whole value as a NUL-terminated string. */
export function dumpToCString(v: usize, regoSyntax: bool): usize {
  begin();
  dumpValue(v, regoSyntax);
  return finish();
}
