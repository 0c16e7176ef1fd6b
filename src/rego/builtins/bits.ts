// bits.* builtins (OPA topdown/bits.go): bitwise operations on arbitrary-precision integers
// with two's-complement semantics for negatives (Go's big.Int, like JS bigint).
import { exactInt, intFromDouble, isInt } from './values.ts';

type Fn = (...args: any[]) => unknown;

/** Shifting further than this would build a number the module's heap cannot hold anyway;
 *  refuse it rather than stall the gateway (OPA would grind until cancelled). */
const MAX_SHIFT = 1 << 16;

const binary =
  (op: (a: bigint, b: bigint) => bigint): Fn =>
  (a: unknown, b: unknown) =>
    isInt(a) && isInt(b) ? exactInt(op(intFromDouble(a), intFromDouble(b))) : undefined;

const shift =
  (op: (a: bigint, n: bigint) => bigint): Fn =>
  (a: unknown, n: unknown) =>
    // The shift count must be an unsigned integer (bits.go: "operand 2 must be an unsigned
    // integer number").
    isInt(a) && isInt(n) && n >= 0 && n <= MAX_SHIFT
      ? exactInt(op(intFromDouble(a), BigInt(n)))
      : undefined;

export const bitsBuiltins: Record<string, Fn> = {
  'bits.and': binary((a, b) => a & b),
  'bits.or': binary((a, b) => a | b),
  'bits.xor': binary((a, b) => a ^ b),
  'bits.negate': (a: unknown) => (isInt(a) ? exactInt(~intFromDouble(a)) : undefined),
  'bits.lsh': shift((a, n) => a << n),
  // Arithmetic shift: negatives round toward minus infinity, as big.Int.Rsh does.
  'bits.rsh': shift((a, n) => a >> n),
};
