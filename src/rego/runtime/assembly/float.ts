// Shortest round-trip formatting of doubles, choosing the closest of the shortest digit
// strings — JavaScript's Number::toString (ECMA-262 §6.1.6.1.20) and Go's
// strconv.FormatFloat(f, 'g', -1, 64) pick the same digits. Uses Steele & White / Burger &
// Dybvig free-format digit generation with exact big-integer arithmetic: slow-ish (µs), but
// only computed non-integral floats ever get here. AssemblyScript's Grisu2 dtoa is not used:
// it often returns a 17-digit string that is not the closest one.

const LIMBS = 48; // 1536 bits: r, s and m± never exceed ~1200 bits for finite doubles
const BYTES: usize = LIMBS * 4 + 4;

// @ts-ignore: decorator
@lazy const R = memory.data(BYTES);
// @ts-ignore: decorator
@lazy const S = memory.data(BYTES);
// @ts-ignore: decorator
@lazy const MP = memory.data(BYTES);
// @ts-ignore: decorator
@lazy const MM = memory.data(BYTES);
// @ts-ignore: decorator
@lazy const T = memory.data(BYTES);

// big integer: [u32 limb count][limbs, least significant first]
// @ts-ignore: decorator
@inline function limbs(b: usize): u32 {
  return load<u32>(b);
}
// @ts-ignore: decorator
@inline function limb(b: usize, i: u32): u64 {
  return i < load<u32>(b) ? <u64>load<u32>(b + 4 + (<usize>i << 2)) : 0;
}

function setU64(b: usize, v: u64): void {
  store<u32>(b + 4, <u32>v);
  store<u32>(b + 8, <u32>(v >> 32));
  store<u32>(b, v >> 32 ? 2 : v ? 1 : 0);
}

function mulSmall(b: usize, k: u32): void {
  let carry: u64 = 0;
  let n = limbs(b);
  for (let i: u32 = 0; i < n; i++) {
    let p = b + 4 + (<usize>i << 2);
    let x = <u64>load<u32>(p) * k + carry;
    store<u32>(p, <u32>x);
    carry = x >> 32;
  }
  if (carry) {
    store<u32>(b + 4 + (<usize>n << 2), <u32>carry);
    store<u32>(b, n + 1);
  }
}

function mulPow2(b: usize, n: i32): void {
  while (n >= 31) {
    mulSmall(b, <u32>1 << 31);
    n -= 31;
  }
  if (n > 0) mulSmall(b, <u32>1 << <u32>n);
}

function mulPow10(b: usize, n: i32): void {
  while (n >= 9) {
    mulSmall(b, 1000000000);
    n -= 9;
  }
  while (n-- > 0) mulSmall(b, 10);
}

function cmp(a: usize, b: usize): i32 {
  let n = max(limbs(a), limbs(b));
  for (let i = <i32>n - 1; i >= 0; i--) {
    let x = limb(a, i);
    let y = limb(b, i);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

/** dst = a + b */
function add(dst: usize, a: usize, b: usize): void {
  let n = max(limbs(a), limbs(b));
  let carry: u64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let x = limb(a, i) + limb(b, i) + carry;
    store<u32>(dst + 4 + (<usize>i << 2), <u32>x);
    carry = x >> 32;
  }
  if (carry) {
    store<u32>(dst + 4 + (<usize>n << 2), <u32>carry);
    n++;
  }
  store<u32>(dst, n);
}

/** a -= b (a ≥ b) */
function sub(a: usize, b: usize): void {
  let n = limbs(a);
  let borrow: i64 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let x = <i64>limb(a, i) - <i64>limb(b, i) - borrow;
    borrow = x < 0 ? 1 : 0;
    store<u32>(a + 4 + (<usize>i << 2), <u32>(x + (borrow << 32)));
  }
  while (n > 0 && load<u32>(a + (<usize>n << 2)) == 0) n--;
  store<u32>(a, n);
}

/** Writes the decimal digits of finite f > 0 (ASCII) to `out`; returns the digit count and
 *  sets `decExp` so that f ≈ 0.d1d2… × 10^decExp. */
export let decExp: i32 = 0;
export function shortestDigits(f: f64, out: usize): i32 {
  let bits = reinterpret<u64>(f);
  let be = <i32>((bits >> 52) & 0x7ff);
  let m = bits & 0xfffffffffffff;
  let e: i32;
  if (be == 0) e = -1074;
  else {
    m |= 1 << 52;
    e = be - 1075;
  }
  let even = (m & 1) == 0;
  let unequal = m == 1 << 52 && be > 1; // the gap below is half the gap above
  // f = r / s, gap to the neighbours = mp / s and mm / s (all doubled to stay integral)
  setU64(R, m);
  setU64(S, 1);
  setU64(MP, 1);
  setU64(MM, 1);
  if (e >= 0) {
    mulPow2(R, e + (unequal ? 2 : 1));
    mulPow2(MP, e + (unequal ? 1 : 0));
    mulPow2(MM, e);
    mulSmall(S, unequal ? 4 : 2);
  } else {
    mulSmall(R, unequal ? 4 : 2);
    mulPow2(S, -e + (unequal ? 2 : 1));
    if (unequal) mulSmall(MP, 2);
  }
  let k = <i32>Math.ceil(Math.log10(f) - 1e-10);
  if (k >= 0) mulPow10(S, k);
  else {
    mulPow10(R, -k);
    mulPow10(MP, -k);
    mulPow10(MM, -k);
  }
  // fix the estimate: r + mp must be < s (≤ for even m) for 0.d1… × 10^k
  while (true) {
    add(T, R, MP);
    let c = cmp(T, S);
    if (c > 0 || (even && c == 0)) {
      mulSmall(S, 10);
      k++;
    } else break;
  }
  let n = 0;
  while (true) {
    mulSmall(R, 10);
    mulSmall(MP, 10);
    mulSmall(MM, 10);
    let d = 0;
    while (cmp(R, S) >= 0) {
      sub(R, S);
      d++;
    }
    let cl = cmp(R, MM);
    let low = cl < 0 || (even && cl == 0);
    add(T, R, MP);
    let ch = cmp(T, S);
    let high = ch > 0 || (even && ch == 0);
    if (!low && !high) {
      store<u8>(out + <usize>n, <u8>(48 + d));
      n++;
      continue;
    }
    if (low && high) {
      // both d and d + 1 identify f: take the closer (2r vs s)
      add(T, R, R);
      let c = cmp(T, S);
      if (c > 0 || (c == 0 && (d & 1) == 1)) d++;
    } else if (high) d++;
    store<u8>(out + <usize>n, <u8>(48 + d));
    n++;
    break;
  }
  decExp = k;
  return n;
}
