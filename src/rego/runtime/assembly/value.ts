// Value representation. Every value is a pointer to an 8-aligned record whose first byte is
// the type tag; tag order is OPA's sort order (null < boolean < number < string < array <
// object < set), so comparing different types is comparing tags.
//
//   number  [3][kind][_ _][textLen u32][i64|f64 @8][textPtr u32 @16]   kind: INT, FLOAT, BIG
//   string  [4][_ _ _][len u32 @4][bytes ptr @8]                         UTF-8, may point into
//                                                                        the input/IR text
//   array   [5][_ _ _][len @4][cap @8][elems ptr @12]                    u32 value pointers
//   object  [6][_ _ _][len @4][cap @8][entries ptr @12]                  (key, value) pairs,
//                                                                        sorted by key
//   set     [7][_ _ _][len @4][cap @8][elems ptr @12]                    sorted, unique
// Pointer 0 is "undefined" throughout.

export const T_NULL: u8 = 1;
export const T_BOOL: u8 = 2;
export const T_NUMBER: u8 = 3;
export const T_STRING: u8 = 4;
export const T_ARRAY: u8 = 5;
export const T_OBJECT: u8 = 6;
export const T_SET: u8 = 7;

export const N_INT: u8 = 0;
export const N_FLOAT: u8 = 1;
export const N_BIG: u8 = 2; // integer beyond i64: exact decimal text, f64 approximation @8

export let NULL: usize = 0;
export let TRUE: usize = 0;
export let FALSE: usize = 0;
let smallInts: usize = 0; // cached numbers 0..SMALL-1 (scan keys, counts)
const SMALL: i64 = 256;

export function initValues(): void {
  NULL = rtAlloc(8);
  store<u8>(NULL, T_NULL);
  TRUE = rtAlloc(8);
  store<u8>(TRUE, T_BOOL);
  store<u8>(TRUE, 1, 1);
  FALSE = rtAlloc(8);
  store<u8>(FALSE, T_BOOL);
  store<u8>(FALSE, 0, 1);
  smallInts = rtAlloc(<usize>SMALL * 24);
  for (let i: i64 = 0; i < SMALL; i++) {
    let p = smallInts + <usize>i * 24;
    store<u32>(p, T_NUMBER); // tag, kind INT
    store<u32>(p, 0, 4);
    store<i64>(p, i, 8);
    store<u32>(p, 0, 16);
  }
}

// @ts-ignore: decorator
@inline export function tag(v: usize): u8 {
  return load<u8>(v);
}
// @ts-ignore: decorator
@inline export function len(v: usize): u32 {
  return load<u32>(v, 4);
}
// @ts-ignore: decorator
@inline export function elems(v: usize): usize {
  return <usize>load<u32>(v, 12);
}
// @ts-ignore: decorator
@inline export function strPtr(v: usize): usize {
  return <usize>load<u32>(v, 8);
}
// @ts-ignore: decorator
@inline export function numKind(v: usize): u8 {
  return load<u8>(v, 1);
}
// @ts-ignore: decorator
@inline export function numInt(v: usize): i64 {
  return load<i64>(v, 8);
}
// @ts-ignore: decorator
@inline export function numF64(v: usize): f64 {
  return load<f64>(v, 8);
}
// @ts-ignore: decorator
@inline export function numText(v: usize): usize {
  return <usize>load<u32>(v, 16);
}
// @ts-ignore: decorator
@inline export function numTextLen(v: usize): u32 {
  return load<u32>(v, 4);
}
// @ts-ignore: decorator
@inline export function boolOf(b: bool): usize {
  return b ? TRUE : FALSE;
}
// @ts-ignore: decorator
@inline export function isTrue(v: usize): bool {
  return load<u8>(v) == T_BOOL && load<u8>(v, 1) != 0;
}

export function newInt(i: i64): usize {
  if (<u64>i < <u64>SMALL) return smallInts + <usize>i * 24;
  let p = rtAlloc(24);
  store<u32>(p, T_NUMBER);
  store<u32>(p, 0, 4);
  store<i64>(p, i, 8);
  store<u32>(p, 0, 16);
  return p;
}

/** A float; integral results within ±2^53 become integers (OPA prints 1.5 + 1.5 as 3). */
export function newFloat(f: f64): usize {
  if (Math.floor(f) == f && Math.abs(f) <= 9007199254740992.0) return newInt(<i64>f);
  let p = rtAlloc(24);
  store<u32>(p, T_NUMBER | (<u32>N_FLOAT << 8));
  store<u32>(p, 0, 4);
  store<f64>(p, f, 8);
  store<u32>(p, 0, 16);
  return p;
}

/** A number that keeps its literal text (JSON/IR constants): exact dump of 13.37, 1e3, big ints. */
export function newNumText(kind: u8, bits: u64, text: usize, n: u32): usize {
  let p = rtAlloc(24);
  store<u32>(p, T_NUMBER | (<u32>kind << 8));
  store<u32>(p, n, 4);
  store<u64>(p, bits, 8);
  store<u32>(p, <u32>text, 16);
  return p;
}

export function newString(bytes: usize, n: u32): usize {
  let p = rtAlloc(16);
  store<u32>(p, T_STRING);
  store<u32>(p, n, 4);
  store<u32>(p, <u32>bytes, 8);
  return p;
}

/** A string whose bytes are copied from scratch memory. */
export function newStringCopy(bytes: usize, n: u32): usize {
  let p = rtAlloc(16 + <usize>n);
  memory.copy(p + 16, bytes, n);
  store<u32>(p, T_STRING);
  store<u32>(p, n, 4);
  store<u32>(p, <u32>(p + 16), 8);
  return p;
}

/** Array, object and set share a header; `width` is 1 word per element or 2 per entry. */
export function newColl(t: u8, cap: u32): usize {
  if (cap < 4) cap = 4;
  let width: usize = t == T_OBJECT ? 8 : 4;
  let p = rtAlloc(16);
  store<u32>(p, t);
  store<u32>(p, 0, 4);
  store<u32>(p, cap, 8);
  store<u32>(p, <u32>rtAlloc(<usize>cap * width), 12);
  return p;
}

/** Makes room for one more element and returns the index of the new slot (at the end). */
export function collGrow(c: usize): u32 {
  let n = len(c);
  let cap = load<u32>(c, 8);
  if (n == cap) {
    let width: usize = tag(c) == T_OBJECT ? 8 : 4;
    let ncap = cap * 2;
    store<u32>(c, <u32>rtRealloc(elems(c), <usize>cap * width, <usize>ncap * width), 12);
    store<u32>(c, ncap, 8);
  }
  store<u32>(c, n + 1, 4);
  return n;
}

export function arrayPush(a: usize, v: usize): void {
  let i = collGrow(a);
  store<u32>(elems(a) + (<usize>i << 2), <u32>v);
}

// @ts-ignore: decorator
@inline export function arrayGet(a: usize, i: u32): usize {
  return <usize>load<u32>(elems(a) + (<usize>i << 2));
}
// @ts-ignore: decorator
@inline export function objKey(o: usize, i: u32): usize {
  return <usize>load<u32>(elems(o) + (<usize>i << 3));
}
// @ts-ignore: decorator
@inline export function objVal(o: usize, i: u32): usize {
  return <usize>load<u32>(elems(o) + (<usize>i << 3), 4);
}

/** Shallow copy of a collection (copy-on-write for `with` and object merges). */
export function collCopy(c: usize): usize {
  let n = len(c);
  let t = tag(c);
  let width: usize = t == T_OBJECT ? 8 : 4;
  let d = newColl(t, n);
  memory.copy(elems(d), elems(c), <usize>n * width);
  store<u32>(d, n, 4);
  return d;
}
