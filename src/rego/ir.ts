// The intermediate representation between the planner (TypeScript, at build time) and the
// evaluator compiled into the WASM runtime (src/rego/runtime/assembly, AssemblyScript).
//
// It is shaped after OPA's own planner IR (internal/ir in OPA): a policy is a set of
// functions; a function body is a block of statements over numbered locals; iteration is an
// explicit loop (`scan`) and failure is structured control flow, so evaluation needs no
// backtracking machinery:
//
//   - A block runs its statements in order. A statement that is *undefined* (a failed
//     comparison, a missing key, an undefined call result) ends the block early; execution
//     continues after the statement that contains the block.
//   - `block` runs its blocks one after the other; each is ended independently.
//   - `break n` ends the innermost n+1 enclosing blocks (counting every Block value:
//     the blocks of `block`, `scan`, `not` and `with` statements); `break 0` ends the current one.
//   - `scan` runs its block once per element of a collection (array: key = index;
//     object: key, value; set: key = value = element), in OPA's sort order for objects and
//     sets; a block ended early just moves on to the next element. `scan` over a
//     non-collection is undefined.
//   - `not` runs its block: if the block runs to its end, `not` is undefined; if the block
//     was ended early, `not` holds.
//   - `with` replaces a local (input or data) by a copy with `value` upserted at `path`
//     while its block runs, then restores it; whether the block ended early propagates
//     like a nested `block` (it never makes the `with` itself undefined).
//
// A function call runs the callee's body once; the result is the callee's `result` local
// (undefined if unset, and then the `call` statement is undefined). Locals start undefined
// on every call. Locals 0 and 1 of every rule function and entrypoint are `input` and `data`.
//
// Errors that OPA reports at evaluation time abort the evaluation with a message (the SDK
// throws it): "var assignment conflict" (complete rule / function with two values),
// "object insert conflict" (object rule with two values for one key).
// Builtin errors (wrong types, division by zero) make the call undefined, as in OPA's WASM
// target (no strict builtin errors).

export const IR_MAGIC = 0x52494752; // "RGIR" little-endian
export const IR_VERSION = 1;

/** Operands name a local (0 ≤ n < 2^31) or a constant (CONST_BIT | index into consts). */
export const CONST_BIT = 0x80000000;
export type Local = number;
export type Operand = number;
export const constOperand = (index: number): Operand => (CONST_BIT | index) >>> 0;

export interface Block {
  stmts: Stmt[];
}

export enum Op {
  Block = 1, // blocks: Block[]
  Break = 2, // index
  Scan = 3, // source(local) key(local) value(local) block
  Not = 4, // block
  Dot = 5, // source(operand) key(operand) target(local): target = source[key]; undefined if absent or source not a collection
  Len = 6, // source(operand) target(local): length of array/object/set/string (in code points); undefined otherwise
  Assign = 7, // source(operand) target(local)
  AssignOnce = 8, // source(operand) target(local): if target is defined and ≠ source → abort "var assignment conflict"
  Reset = 9, // target(local): make undefined
  MakeArray = 10, // capacity(u32) target(local)
  MakeObject = 11, // target(local)
  MakeSet = 12, // target(local)
  ArrayAppend = 13, // array(local) value(operand)
  ObjectInsert = 14, // object(local) key(operand) value(operand): overwrite
  ObjectInsertOnce = 15, // object(local) key(operand) value(operand): existing different value → abort "object insert conflict"
  ObjectMerge = 16, // a(operand) b(operand) target(local): deep merge of two objects, a wins on non-object conflicts
  SetAdd = 17, // set(local) value(operand)
  Equal = 18, // a(operand) b(operand): undefined unless equal (1 == 1.0 is equal)
  NotEqual = 19, // a(operand) b(operand)
  IsArray = 20, // source(operand)
  IsObject = 21, // source(operand)
  IsSet = 22, // source(operand)
  IsDefined = 23, // source(local)
  IsUndefined = 24, // source(local)
  Call = 25, // func(u32) nargs(u32) args(operand…) target(local)
  CallBuiltin = 26, // builtin(u32) nargs(u32) args(operand…) target(local)
  With = 27, // local(local) npath(u32) path(const index of each key…) value(operand) block
  IsTruthy = 28, // source(operand): undefined if source is undefined or `false` (an expression that is a bare term)
  ObjectInsertPath = 29, // object(local) npath(u32) path(operand…) value(operand) mode(u32): nested insert, creating objects on the way (ref-head rules); mode 0 overwrites, 1 = once (a different existing value aborts "object insert conflict"), 2 = the leaf is a set and value is added to it (multi-value rules with a ref head)
  MakeNumberRef = 30, // reserved
  Nop = 31,
}

export type Stmt =
  | { op: Op.Block; blocks: Block[] }
  | { op: Op.Break; index: number }
  | { op: Op.Scan; source: Local; key: Local; value: Local; block: Block }
  | { op: Op.Not; block: Block }
  | { op: Op.Dot; source: Operand; key: Operand; target: Local }
  | { op: Op.Len; source: Operand; target: Local }
  | { op: Op.Assign | Op.AssignOnce; source: Operand; target: Local }
  | { op: Op.Reset; target: Local }
  | { op: Op.MakeArray; capacity: number; target: Local }
  | { op: Op.MakeObject | Op.MakeSet; target: Local }
  | { op: Op.ArrayAppend; array: Local; value: Operand }
  | { op: Op.ObjectInsert | Op.ObjectInsertOnce; object: Local; key: Operand; value: Operand }
  | { op: Op.ObjectMerge; a: Operand; b: Operand; target: Local }
  | { op: Op.SetAdd; set: Local; value: Operand }
  | { op: Op.Equal | Op.NotEqual; a: Operand; b: Operand }
  | { op: Op.IsArray | Op.IsObject | Op.IsSet | Op.IsTruthy; source: Operand }
  | { op: Op.IsDefined | Op.IsUndefined; source: Local }
  | { op: Op.Call; func: number; args: Operand[]; target: Local }
  | { op: Op.CallBuiltin; builtin: number; args: Operand[]; target: Local }
  | { op: Op.With; local: Local; path: number[]; value: Operand; block: Block }
  | {
      op: Op.ObjectInsertPath;
      object: Local;
      path: Operand[];
      value: Operand;
      once: boolean;
      /** The leaf is a set the value is added to (`p[x] contains y`). */
      setLeaf?: boolean;
    }
  | { op: Op.Nop };

export interface Func {
  name: string; // for diagnostics: "data.a.b" or "data.a.f"
  params: number; // locals 0..params-1 are the arguments (0 = input, 1 = data for rule functions)
  locals: number; // total locals, ≥ params
  result: Local;
  /** A function whose only params are input and data may be memoized per evaluation
   *  (the memo is saved and emptied when a `with` block starts, and restored after). */
  memoize: boolean;
  body: Block;
}

export interface BuiltinDecl {
  name: string; // OPA name: "count", "object.get", "plus"
  arity: number;
}

export interface Policy {
  /** Constant values as JSON text (numbers keep their literal text, so big integers and
   *  decimals are exact). Sets cannot be written in JSON: a set constant is never emitted;
   *  the planner builds sets with MakeSet/SetAdd. */
  consts: string[];
  builtins: BuiltinDecl[];
  funcs: Func[];
  /** Entrypoint name ("a/b") → index of a function with params = 2 (input, data). */
  entrypoints: { name: string; func: number }[];
}

// ---------------------------------------------------------------------------------------------
// Binary encoding: a stream of little-endian u32 words. Strings are a byte length followed by
// the UTF-8 bytes, zero-padded to a multiple of 4.
//
//   magic version
//   nconsts   { string }…
//   nbuiltins { arity string }…
//   nfuncs    { params locals result memoize(0|1) block }…
//   nentry    { func string }…
//   block  := nstmts stmt…
//   stmt   := op fields… (in the order given in the Op comments; Block fields encode as
//             `block`, `blocks` as count then blocks, `path`/`args` as count then items)
// ---------------------------------------------------------------------------------------------

class Writer {
  private buf = new Uint32Array(1024);
  private n = 0;
  u32(v: number): void {
    if (this.n === this.buf.length) {
      const next = new Uint32Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v >>> 0;
  }
  str(s: string): void {
    const bytes = new TextEncoder().encode(s);
    this.u32(bytes.length);
    const words = Math.ceil(bytes.length / 4);
    const padded = new Uint8Array(words * 4);
    padded.set(bytes);
    const view = new DataView(padded.buffer);
    for (let i = 0; i < words; i++) this.u32(view.getUint32(i * 4, true));
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.n * 4);
    const view = new DataView(out.buffer);
    for (let i = 0; i < this.n; i++) view.setUint32(i * 4, this.buf[i], true);
    return out;
  }
}

function writeBlock(w: Writer, b: Block): void {
  w.u32(b.stmts.length);
  for (const s of b.stmts) writeStmt(w, s);
}

function writeStmt(w: Writer, s: Stmt): void {
  w.u32(s.op);
  switch (s.op) {
    case Op.Block:
      w.u32(s.blocks.length);
      for (const b of s.blocks) writeBlock(w, b);
      return;
    case Op.Break:
      w.u32(s.index);
      return;
    case Op.Scan:
      w.u32(s.source);
      w.u32(s.key);
      w.u32(s.value);
      writeBlock(w, s.block);
      return;
    case Op.Not:
      writeBlock(w, s.block);
      return;
    case Op.Dot:
      w.u32(s.source);
      w.u32(s.key);
      w.u32(s.target);
      return;
    case Op.Len:
    case Op.Assign:
    case Op.AssignOnce:
      w.u32(s.source);
      w.u32(s.target);
      return;
    case Op.Reset:
    case Op.MakeObject:
    case Op.MakeSet:
      w.u32(s.target);
      return;
    case Op.MakeArray:
      w.u32(s.capacity);
      w.u32(s.target);
      return;
    case Op.ArrayAppend:
      w.u32(s.array);
      w.u32(s.value);
      return;
    case Op.ObjectInsert:
    case Op.ObjectInsertOnce:
      w.u32(s.object);
      w.u32(s.key);
      w.u32(s.value);
      return;
    case Op.ObjectMerge:
      w.u32(s.a);
      w.u32(s.b);
      w.u32(s.target);
      return;
    case Op.SetAdd:
      w.u32(s.set);
      w.u32(s.value);
      return;
    case Op.Equal:
    case Op.NotEqual:
      w.u32(s.a);
      w.u32(s.b);
      return;
    case Op.IsArray:
    case Op.IsObject:
    case Op.IsSet:
    case Op.IsTruthy:
    case Op.IsDefined:
    case Op.IsUndefined:
      w.u32(s.source);
      return;
    case Op.Call:
      w.u32(s.func);
      w.u32(s.args.length);
      for (const a of s.args) w.u32(a);
      w.u32(s.target);
      return;
    case Op.CallBuiltin:
      w.u32(s.builtin);
      w.u32(s.args.length);
      for (const a of s.args) w.u32(a);
      w.u32(s.target);
      return;
    case Op.With:
      w.u32(s.local);
      w.u32(s.path.length);
      for (const p of s.path) w.u32(p);
      w.u32(s.value);
      writeBlock(w, s.block);
      return;
    case Op.ObjectInsertPath:
      w.u32(s.object);
      w.u32(s.path.length);
      for (const p of s.path) w.u32(p);
      w.u32(s.value);
      w.u32(s.setLeaf ? 2 : s.once ? 1 : 0);
      return;
    case Op.Nop:
      return;
  }
}

export function encodePolicy(p: Policy): Uint8Array {
  const w = new Writer();
  w.u32(IR_MAGIC);
  w.u32(IR_VERSION);
  w.u32(p.consts.length);
  for (const c of p.consts) w.str(c);
  w.u32(p.builtins.length);
  for (const b of p.builtins) {
    w.u32(b.arity);
    w.str(b.name);
  }
  w.u32(p.funcs.length);
  for (const f of p.funcs) {
    w.u32(f.params);
    w.u32(f.locals);
    w.u32(f.result);
    w.u32(f.memoize ? 1 : 0);
    writeBlock(w, f.body);
  }
  w.u32(p.entrypoints.length);
  for (const e of p.entrypoints) {
    w.u32(e.func);
    w.str(e.name);
  }
  return w.bytes();
}
