// Total order of OPA values (ast/compare.go): by type, then numbers numerically, strings
// bytewise (UTF-8 byte order = code point order), arrays/sets element-wise then by length,
// objects pair by pair over their sorted keys (key, then value), then by size.
// Sorted collections make object lookup and set membership a binary search.
import {
  T_BOOL, T_NUMBER, T_STRING, T_ARRAY, T_OBJECT, T_SET, N_INT, N_BIG,
  tag, len, elems, strPtr, numKind, numInt, numF64, numText, numTextLen, collGrow,
} from './value';

function cmpF64(a: f64, b: f64): i32 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Magnitude order of two exact integer texts (no leading zeros), honouring sign. */
function cmpBigText(a: usize, an: u32, b: usize, bn: u32): i32 {
  let aneg = load<u8>(a) == 45;
  let bneg = load<u8>(b) == 45;
  if (aneg != bneg) return aneg ? -1 : 1;
  let s: i32 = aneg ? -1 : 1;
  if (an != bn) return an < bn ? -s : s;
  for (let i: usize = 0; i < <usize>an; i++) {
    let x = load<u8>(a + i);
    let y = load<u8>(b + i);
    if (x != y) return x < y ? -s : s;
  }
  return 0;
}

export function cmpNum(a: usize, b: usize): i32 {
  let ka = numKind(a);
  let kb = numKind(b);
  if (ka == N_INT && kb == N_INT) {
    let x = numInt(a);
    let y = numInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (ka == N_BIG && kb == N_BIG) return cmpBigText(numText(a), numTextLen(a), numText(b), numTextLen(b));
  // a big integer lies outside the i64 range, so its sign decides against any i64
  if (ka == N_BIG && kb == N_INT) return load<u8>(numText(a)) == 45 ? -1 : 1;
  if (ka == N_INT && kb == N_BIG) return load<u8>(numText(b)) == 45 ? 1 : -1;
  return cmpF64(toF64(a), toF64(b));
}

// @ts-ignore: decorator
@inline export function toF64(n: usize): f64 {
  return numKind(n) == N_INT ? <f64>numInt(n) : numF64(n);
}

export function cmpBytes(a: usize, an: u32, b: usize, bn: u32): i32 {
  let n = an < bn ? an : bn;
  let i: u32 = 0;
  // 8 bytes at a time while equal (big-endian order matters only at the first difference)
  while (i + 8 <= n && load<u64>(a + <usize>i) == load<u64>(b + <usize>i)) i += 8;
  for (; i < n; i++) {
    let x = load<u8>(a + <usize>i);
    let y = load<u8>(b + <usize>i);
    if (x != y) return x < y ? -1 : 1;
  }
  return an == bn ? 0 : an < bn ? -1 : 1;
}

export function compare(a: usize, b: usize): i32 {
  if (a == b) return 0;
  let ta = tag(a);
  let tb = tag(b);
  if (ta != tb) return ta < tb ? -1 : 1;
  switch (ta) {
    case T_BOOL:
      return <i32>load<u8>(a, 1) - <i32>load<u8>(b, 1);
    case T_NUMBER:
      return cmpNum(a, b);
    case T_STRING:
      return cmpBytes(strPtr(a), len(a), strPtr(b), len(b));
    case T_ARRAY:
    case T_SET: {
      let na = len(a);
      let nb = len(b);
      let n = na < nb ? na : nb;
      let ea = elems(a);
      let eb = elems(b);
      for (let i: u32 = 0; i < n; i++) {
        let c = compare(<usize>load<u32>(ea + (<usize>i << 2)), <usize>load<u32>(eb + (<usize>i << 2)));
        if (c != 0) return c;
      }
      return na == nb ? 0 : na < nb ? -1 : 1;
    }
    case T_OBJECT: {
      let na = len(a);
      let nb = len(b);
      let n = na < nb ? na : nb;
      let ea = elems(a);
      let eb = elems(b);
      for (let i: u32 = 0; i < n * 2; i++) {
        let c = compare(<usize>load<u32>(ea + (<usize>i << 2)), <usize>load<u32>(eb + (<usize>i << 2)));
        if (c != 0) return c;
      }
      return na == nb ? 0 : na < nb ? -1 : 1;
    }
  }
  return 0; // null
}

// @ts-ignore: decorator
@inline export function equal(a: usize, b: usize): bool {
  return compare(a, b) == 0;
}

/** Binary search in a sorted collection: index if found, else -(insertion point) - 1. */
export function search(c: usize, key: usize): i32 {
  let shift: usize = tag(c) == T_OBJECT ? 3 : 2;
  let e = elems(c);
  let lo: i32 = 0;
  let hi: i32 = <i32>len(c) - 1;
  // fast path for strings: the common object key
  let ks = tag(key) == T_STRING;
  while (lo <= hi) {
    let mid = (lo + hi) >>> 1;
    let k = <usize>load<u32>(e + (<usize>mid << shift));
    let c2: i32;
    if (ks && tag(k) == T_STRING) c2 = cmpBytes(strPtr(k), len(k), strPtr(key), len(key));
    else c2 = compare(k, key);
    if (c2 == 0) return mid;
    if (c2 < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

/** Object lookup; 0 if absent. */
export function objGet(o: usize, key: usize): usize {
  let i = search(o, key);
  return i < 0 ? 0 : <usize>load<u32>(elems(o) + (<usize>i << 3), 4);
}

/** Inserts or overwrites; returns the previous value or 0. */
export function objPut(o: usize, key: usize, val: usize): usize {
  let i = search(o, key);
  if (i >= 0) {
    let slot = elems(o) + (<usize>i << 3) + 4;
    let old = <usize>load<u32>(slot);
    store<u32>(slot, <u32>val);
    return old;
  }
  let at = <u32>(-i - 1);
  let n = collGrow(o);
  let e = elems(o);
  if (at < n) memory.copy(e + ((<usize>at + 1) << 3), e + (<usize>at << 3), <usize>(n - at) << 3);
  store<u32>(e + (<usize>at << 3), <u32>key);
  store<u32>(e + (<usize>at << 3), <u32>val, 4);
  return 0;
}

export function setHas(s: usize, v: usize): bool {
  return search(s, v) >= 0;
}

export function setAdd(s: usize, v: usize): void {
  let i = search(s, v);
  if (i >= 0) return;
  let at = <u32>(-i - 1);
  let n = collGrow(s);
  let e = elems(s);
  if (at < n) memory.copy(e + ((<usize>at + 1) << 2), e + (<usize>at << 2), <usize>(n - at) << 2);
  store<u32>(e + (<usize>at << 2), <u32>v);
}

/** Sorts a freshly parsed object/set in place and drops duplicates.
 *  Bottom-up merge sort: stable, O(n log n). */
export function sortColl(c: usize): void {
  let n = len(c);
  if (n < 2) return;
  let obj = tag(c) == T_OBJECT;
  let shift: usize = obj ? 3 : 2;
  let src = elems(c);
  let sorted = true;
  for (let i: u32 = 1; i < n && sorted; i++)
    if (compare(load<u32>(src + (<usize>(i - 1) << shift)), load<u32>(src + (<usize>i << shift))) >= 0) sorted = false;
  if (!sorted) {
    let tmp = rtAlloc(<usize>n << shift);
    let a = src;
    let b = tmp;
    for (let w: u32 = 1; w < n; w <<= 1) {
      for (let lo: u32 = 0; lo < n; lo += 2 * w) {
        let mid = min(lo + w, n);
        let hi = min(lo + 2 * w, n);
        let i = lo, j = mid, k = lo;
        while (i < mid && j < hi) {
          // `<=` keeps equal keys in input order so the later duplicate stays later
          if (compare(load<u32>(a + (<usize>i << shift)), load<u32>(a + (<usize>j << shift))) <= 0) {
            memory.copy(b + (<usize>k << shift), a + (<usize>i << shift), 1 << shift); i++;
          } else {
            memory.copy(b + (<usize>k << shift), a + (<usize>j << shift), 1 << shift); j++;
          }
          k++;
        }
        if (i < mid) memory.copy(b + (<usize>k << shift), a + (<usize>i << shift), <usize>(mid - i) << shift);
        k += mid - i;
        if (j < hi) memory.copy(b + (<usize>k << shift), a + (<usize>j << shift), <usize>(hi - j) << shift);
      }
      let t = a; a = b; b = t;
    }
    if (a != src) memory.copy(src, a, <usize>n << shift);
  }
  // drop duplicates: an object keeps the last value of a key (Go's encoding/json), a set
  // keeps the first element (as adding to a set that already holds an equal one)
  let out: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let j = obj ? i + 1 : i - 1;
    if (j < n && compare(load<u32>(src + (<usize>i << shift)), load<u32>(src + (<usize>j << shift))) == 0) continue;
    if (out != i) memory.copy(src + (<usize>out << shift), src + (<usize>i << shift), 1 << shift);
    out++;
  }
  store<u32>(c, out, 4);
}
