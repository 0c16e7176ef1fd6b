// Builtins evaluated inside the module (never through the host). Errors (wrong types,
// division by zero) make the call undefined (0), as in OPA's WASM target.
import {
  T_NULL,
  T_BOOL,
  T_NUMBER,
  T_STRING,
  T_ARRAY,
  T_OBJECT,
  T_SET,
  N_INT,
  N_FLOAT,
  N_BIG,
  tag,
  len,
  elems,
  strPtr,
  numKind,
  numInt,
  numF64,
  numText,
  numTextLen,
  boolOf,
  newInt,
  newFloat,
  newNumText,
  newString,
  newColl,
  collGrow,
  arrayGet,
  objVal,
} from './value';
import { compare, equal, objGet, setHas, toF64 } from './compare';
import { begin, dumpValue, appendBytes, outPtr, outLen } from './dump';

export const B_EQUAL = 0,
  B_NEQ = 1,
  B_LT = 2,
  B_LTE = 3,
  B_GT = 4,
  B_GTE = 5;
export const B_PLUS = 6,
  B_MINUS = 7,
  B_MUL = 8,
  B_DIV = 9,
  B_REM = 10,
  B_AND = 11,
  B_OR = 12;
export const B_COUNT = 13,
  B_MEMBER2 = 14,
  B_MEMBER3 = 15,
  B_IS_NUMBER = 16,
  B_IS_STRING = 17;
export const B_IS_BOOLEAN = 18,
  B_IS_ARRAY = 19,
  B_IS_SET = 20,
  B_IS_OBJECT = 21,
  B_IS_NULL = 22;
export const B_TYPE_NAME = 23,
  B_ABS = 24,
  B_TEMPLATE = 25;

function is(p: usize, n: u32, name: string): bool {
  if (<i32>n != name.length) return false;
  for (let i = 0; i < name.length; i++)
    if (load<u8>(p + <usize>i) != <u8>name.charCodeAt(i)) return false;
  return true;
}

export function nativeId(p: usize, n: u32): i32 {
  if (is(p, n, 'equal')) return B_EQUAL;
  if (is(p, n, 'neq')) return B_NEQ;
  if (is(p, n, 'lt')) return B_LT;
  if (is(p, n, 'lte')) return B_LTE;
  if (is(p, n, 'gt')) return B_GT;
  if (is(p, n, 'gte')) return B_GTE;
  if (is(p, n, 'plus')) return B_PLUS;
  if (is(p, n, 'minus')) return B_MINUS;
  if (is(p, n, 'mul')) return B_MUL;
  if (is(p, n, 'div')) return B_DIV;
  if (is(p, n, 'rem')) return B_REM;
  if (is(p, n, 'and')) return B_AND;
  if (is(p, n, 'or')) return B_OR;
  if (is(p, n, 'count')) return B_COUNT;
  if (is(p, n, 'internal.member_2')) return B_MEMBER2;
  if (is(p, n, 'internal.member_3')) return B_MEMBER3;
  if (is(p, n, 'is_number')) return B_IS_NUMBER;
  if (is(p, n, 'is_string')) return B_IS_STRING;
  if (is(p, n, 'is_boolean')) return B_IS_BOOLEAN;
  if (is(p, n, 'is_array')) return B_IS_ARRAY;
  if (is(p, n, 'is_set')) return B_IS_SET;
  if (is(p, n, 'is_object')) return B_IS_OBJECT;
  if (is(p, n, 'is_null')) return B_IS_NULL;
  if (is(p, n, 'type_name')) return B_TYPE_NAME;
  if (is(p, n, 'abs')) return B_ABS;
  if (is(p, n, 'internal.template_string')) return B_TEMPLATE;
  return -1;
}

let typeNames: usize = 0; // string values indexed by tag

function staticString(s: string): usize {
  let p = rtAlloc(<usize>s.length);
  for (let i = 0; i < s.length; i++) store<u8>(p + <usize>i, <u8>s.charCodeAt(i));
  return newString(p, s.length);
}

export function initBuiltins(): void {
  typeNames = rtAlloc(32);
  store<u32>(typeNames + 4 * T_NULL, <u32>staticString('null'));
  store<u32>(typeNames + 4 * T_BOOL, <u32>staticString('boolean'));
  store<u32>(typeNames + 4 * T_NUMBER, <u32>staticString('number'));
  store<u32>(typeNames + 4 * T_STRING, <u32>staticString('string'));
  store<u32>(typeNames + 4 * T_ARRAY, <u32>staticString('array'));
  store<u32>(typeNames + 4 * T_OBJECT, <u32>staticString('object'));
  store<u32>(typeNames + 4 * T_SET, <u32>staticString('set'));
}

/** Number of code points of a UTF-8 string (bytes that are not continuation bytes). */
export function codePoints(p: usize, n: u32): u32 {
  let c: u32 = 0;
  for (let i: usize = 0; i < <usize>n; i++) if ((load<u8>(p + i) & 0xc0) != 0x80) c++;
  return c;
}

export function countOf(v: usize): usize {
  let t = tag(v);
  if (t == T_ARRAY || t == T_OBJECT || t == T_SET) return newInt(len(v));
  if (t == T_STRING) return newInt(codePoints(strPtr(v), len(v)));
  return 0;
}

function floatResult(f: f64): usize {
  return isFinite(f) ? newFloat(f) : 0;
}

function arith(op: i32, a: usize, b: usize): usize {
  if (tag(a) != T_NUMBER || tag(b) != T_NUMBER) return 0;
  if (numKind(a) == N_INT && numKind(b) == N_INT) {
    let x = numInt(a);
    let y = numInt(b);
    switch (op) {
      case B_PLUS: {
        let r = x + y;
        if (((x ^ r) & (y ^ r)) >= 0) return newInt(r);
        break;
      }
      case B_MINUS: {
        let r = x - y;
        if (((x ^ y) & (x ^ r)) >= 0) return newInt(r);
        break;
      }
      case B_MUL: {
        if ((x == -1 && y == i64.MIN_VALUE) || (y == -1 && x == i64.MIN_VALUE)) break;
        let r = x * y;
        if (x == 0 || r / x == y) return newInt(r);
        break;
      }
      case B_DIV: {
        if (y == 0) return 0;
        if (!(x == i64.MIN_VALUE && y == -1) && x % y == 0) return newInt(x / y);
        break;
      }
      case B_REM: {
        if (y == 0) return 0;
        return newInt(x % y);
      }
    }
    // overflow or inexact quotient: fall back to f64
  }
  if (op == B_REM) return 0; // modulo needs integers
  let fx = toF64(a);
  let fy = toF64(b);
  switch (op) {
    case B_PLUS:
      return floatResult(fx + fy);
    case B_MINUS:
      return floatResult(fx - fy);
    case B_MUL:
      return floatResult(fx * fy);
    case B_DIV:
      return fy == 0 ? 0 : floatResult(fx / fy);
  }
  return 0;
}

/** Sorted-merge set operations: 0 difference, 1 intersection, 2 union. */
function setOp(kind: i32, a: usize, b: usize): usize {
  let na = len(a);
  let nb = len(b);
  let r = newColl(T_SET, kind == 2 ? na + nb : na);
  let ea = elems(a);
  let eb = elems(b);
  let i: u32 = 0,
    j: u32 = 0,
    k: u32 = 0;
  let out = elems(r);
  while (i < na || j < nb) {
    let c: i32;
    if (i == na) c = 1;
    else if (j == nb) c = -1;
    else c = compare(load<u32>(ea + ((<usize>i) << 2)), load<u32>(eb + ((<usize>j) << 2)));
    let take: usize = 0;
    if (c < 0) {
      if (kind != 1) take = load<u32>(ea + ((<usize>i) << 2));
      i++;
    } else if (c > 0) {
      if (kind == 2) take = load<u32>(eb + ((<usize>j) << 2));
      j++;
    } else {
      if (kind != 0) take = load<u32>(ea + ((<usize>i) << 2));
      i++;
      j++;
    }
    if (take) {
      store<u32>(out + (<usize>k << 2), <u32>take);
      k++;
    }
  }
  store<u32>(r, k, 4);
  return r;
}

function abs(a: usize): usize {
  if (tag(a) != T_NUMBER) return 0;
  let k = numKind(a);
  if (k == N_INT) {
    let x = numInt(a);
    if (x == i64.MIN_VALUE) return newFloat(9223372036854775808.0);
    return x < 0 ? newInt(-x) : a;
  }
  let t = numText(a);
  if (t != 0 && load<u8>(t) == 45) {
    return newNumText(k, reinterpret<u64>(Math.abs(numF64(a))), t + 1, numTextLen(a) - 1);
  }
  if (t != 0) return a;
  return newFloat(Math.abs(numF64(a)));
}

function member2(x: usize, c: usize): usize {
  let t = tag(c);
  if (t == T_SET) return boolOf(setHas(c, x));
  if (t == T_ARRAY) {
    for (let i: u32 = 0; i < len(c); i++) if (equal(arrayGet(c, i), x)) return boolOf(true);
  } else if (t == T_OBJECT) {
    for (let i: u32 = 0; i < len(c); i++) if (equal(objVal(c, i), x)) return boolOf(true);
  }
  return boolOf(false);
}

/** Array index from a number that is an integer (1.0 counts, as 1 == 1.0); -1 otherwise. */
export function indexOf(k: usize, n: u32): i64 {
  if (tag(k) != T_NUMBER) return -1;
  let kind = numKind(k);
  let i: i64 = -1;
  if (kind == N_INT) i = numInt(k);
  else if (kind == N_FLOAT) {
    let f = numF64(k);
    if (Math.floor(f) == f && f >= 0 && f < 4294967296.0) i = <i64>f;
  }
  return i >= 0 && i < <i64>n ? i : -1;
}

function member3(k: usize, v: usize, c: usize): usize {
  let t = tag(c);
  if (t == T_ARRAY) {
    let i = indexOf(k, len(c));
    return boolOf(i >= 0 && equal(arrayGet(c, <u32>i), v));
  }
  if (t == T_OBJECT) {
    let x = objGet(c, k);
    return boolOf(x != 0 && equal(x, v));
  }
  if (t == T_SET) return boolOf(setHas(c, k) && equal(k, v));
  return boolOf(false);
}

/** `$"…{x}…"`: strings are appended raw, other values in Rego syntax (OPA's Term.String()). */
function template(parts: usize): usize {
  if (tag(parts) != T_ARRAY) return 0;
  begin();
  for (let i: u32 = 0; i < len(parts); i++) {
    let v = arrayGet(parts, i);
    if (tag(v) == T_STRING) appendBytes(strPtr(v), len(v));
    else dumpValue(v, true);
  }
  return newString(outPtr(), outLen());
}

export function callNative(id: i32, a: usize, b: usize, c: usize): usize {
  switch (id) {
    case B_EQUAL:
      return boolOf(compare(a, b) == 0);
    case B_NEQ:
      return boolOf(compare(a, b) != 0);
    case B_LT:
      return boolOf(compare(a, b) < 0);
    case B_LTE:
      return boolOf(compare(a, b) <= 0);
    case B_GT:
      return boolOf(compare(a, b) > 0);
    case B_GTE:
      return boolOf(compare(a, b) >= 0);
    case B_MINUS:
      if (tag(a) == T_SET && tag(b) == T_SET) return setOp(0, a, b);
      return arith(id, a, b);
    case B_PLUS:
    case B_MUL:
    case B_DIV:
    case B_REM:
      return arith(id, a, b);
    case B_AND:
      return tag(a) == T_SET && tag(b) == T_SET ? setOp(1, a, b) : 0;
    case B_OR:
      return tag(a) == T_SET && tag(b) == T_SET ? setOp(2, a, b) : 0;
    case B_COUNT:
      return countOf(a);
    case B_MEMBER2:
      return member2(a, b);
    case B_MEMBER3:
      return member3(a, b, c);
    case B_IS_NUMBER:
      return boolOf(tag(a) == T_NUMBER);
    case B_IS_STRING:
      return boolOf(tag(a) == T_STRING);
    case B_IS_BOOLEAN:
      return boolOf(tag(a) == T_BOOL);
    case B_IS_ARRAY:
      return boolOf(tag(a) == T_ARRAY);
    case B_IS_SET:
      return boolOf(tag(a) == T_SET);
    case B_IS_OBJECT:
      return boolOf(tag(a) == T_OBJECT);
    case B_IS_NULL:
      return boolOf(tag(a) == T_NULL);
    case B_TYPE_NAME:
      return <usize>load<u32>(typeNames + 4 * <usize>tag(a));
    case B_ABS:
      return abs(a);
    case B_TEMPLATE:
      return template(a);
  }
  return 0;
}
