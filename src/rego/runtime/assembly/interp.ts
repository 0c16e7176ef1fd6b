// The IR interpreter (semantics in src/rego/ir.ts). Blocks return a "break count": 0 = ran to
// the end; r ≥ 1 = this block ended early and r - 1 more enclosing blocks end too. An
// undefined statement ends its block (1); `break n` yields n + 1. Locals live in one flat
// stack of u32 value pointers (0 = undefined), one frame per call, allocated once at init.
import { fail } from './env';
import {
  T_ARRAY, T_OBJECT, T_SET, T_STRING, TRUE, FALSE, tag, len, elems, newInt, newColl, arrayPush,
  collCopy, arrayGet, objKey, objVal, isTrue,
} from './value';
import { compare, objGet, objPut, setAdd, setHas } from './compare';
import { countOf, callNative, indexOf } from './builtins';
import { setInBuiltinCall } from './json';
import { opa_builtin0, opa_builtin1, opa_builtin2, opa_builtin3, opa_builtin4 } from './env';
import * as D from './decode';

let stack: usize = 0;
let stackEnd: usize = 0;
let sp: usize = 0;
/** Heap mark at the start of the evaluation: collections below it (constants, data, input)
 *  are shared and must never be written; Append/Add/Insert copy them first. */
let evalBase: usize = 0;
let memo: usize = 0; // per function: 0 = not computed, 1 = computed undefined, else the value

export function initInterp(): void {
  let words = D.stackWords + 64;
  stack = rtAlloc(<usize>words << 2);
  stackEnd = stack + (<usize>words << 2);
  memo = rtAlloc(<usize>D.nfuncs << 2);
  resetEval();
}

/** Forgets all per-evaluation state (an aborted evaluation may have left any of it). */
export function resetEval(): void {
  evalBase = rtHeapGet();
  sp = stack;
  memory.fill(memo, 0, <usize>D.nfuncs << 2);
  setInBuiltinCall(false);
}

// @ts-ignore: decorator
@inline function W(pc: u32): u32 {
  return load<u32>(D.code + (<usize>pc << 2));
}

// @ts-ignore: decorator
@inline function opnd(w: u32, fp: usize): usize {
  return w & 1 ? <usize>(w & ~1) : <usize>load<u32>(fp + (<usize>w << 1));
}

// @ts-ignore: decorator
@inline function setLocal(fp: usize, l: u32, v: usize): void {
  store<u32>(fp + (<usize>l << 2), <u32>v);
}

// @ts-ignore: decorator
@inline function getLocal(fp: usize, l: u32): usize {
  return <usize>load<u32>(fp + (<usize>l << 2));
}

/** Runs function `f` with `nargs` arguments taken from operand words at `argPc` in `cfp`. */
export function callFunc(f: u32, argPc: u32, nargs: u32, cfp: usize): usize {
  let fd = D.funcs + <usize>f * 20;
  let memoize = load<u32>(fd, 12) != 0;
  if (memoize) {
    let m = <usize>load<u32>(memo + (<usize>f << 2));
    if (m != 0) return m == 1 ? 0 : m;
  }
  let nlocals = load<u32>(fd, 4);
  if (nargs > nlocals) fail('invalid policy IR');
  let fp = sp;
  let top = fp + (<usize>nlocals << 2);
  if (top > stackEnd) fail('call stack overflow');
  for (let i: u32 = 0; i < nargs; i++) setLocal(fp, i, opnd(W(argPc + i), cfp));
  memory.fill(fp + (<usize>nargs << 2), 0, <usize>(nlocals - nargs) << 2);
  sp = top;
  execBlock(load<u32>(fd, 16), fp);
  let r = getLocal(fp, load<u32>(fd, 8));
  sp = fp;
  if (memoize) store<u32>(memo + (<usize>f << 2), r == 0 ? 1 : <u32>r);
  return r;
}

/** Entry point: runs function `f` with locals 0 and 1 = input and data. */
export function runEntry(f: u32, input: usize, data: usize): usize {
  let fd = D.funcs + <usize>f * 20;
  let nlocals = load<u32>(fd, 4);
  let fp = sp;
  let top = fp + (<usize>nlocals << 2);
  if (top > stackEnd) fail('call stack overflow');
  memory.fill(fp, 0, <usize>nlocals << 2);
  setLocal(fp, 0, input);
  setLocal(fp, 1, data);
  sp = top;
  execBlock(load<u32>(fd, 16), fp);
  let r = getLocal(fp, load<u32>(fd, 8));
  sp = fp;
  return r;
}

function callHost(b: u32, argPc: u32, n: u32, fp: usize): usize {
  let a0: usize = n > 0 ? opnd(W(argPc), fp) : 1;
  let a1: usize = n > 1 ? opnd(W(argPc + 1), fp) : 1;
  let a2: usize = n > 2 ? opnd(W(argPc + 2), fp) : 1;
  let a3: usize = n > 3 ? opnd(W(argPc + 3), fp) : 1;
  if (a0 == 0 || a1 == 0 || a2 == 0 || a3 == 0) return 0;
  setInBuiltinCall(true);
  let r: usize;
  switch (n) {
    case 0: r = opa_builtin0(b, 0); break;
    case 1: r = opa_builtin1(b, 0, a0); break;
    case 2: r = opa_builtin2(b, 0, a0, a1); break;
    case 3: r = opa_builtin3(b, 0, a0, a1, a2); break;
    default: r = opa_builtin4(b, 0, a0, a1, a2, a3);
  }
  setInBuiltinCall(false);
  return r;
}

function callBuiltin(b: u32, argPc: u32, n: u32, fp: usize): usize {
  let id = load<i32>(D.builtinTab + (<usize>b << 3));
  if (id < 0) return callHost(b, argPc, n, fp);
  let a0: usize = n > 0 ? opnd(W(argPc), fp) : 1;
  let a1: usize = n > 1 ? opnd(W(argPc + 1), fp) : 1;
  let a2: usize = n > 2 ? opnd(W(argPc + 2), fp) : 1;
  if (a0 == 0 || a1 == 0 || a2 == 0) return 0;
  return callNative(id, a0, a1, a2);
}

/** `with`: a copy of `root` with `v` at path (copy-on-write along the path). */
function upsert(root: usize, path: usize, i: u32, n: u32, v: usize): usize {
  if (i == n) return v;
  let o = root != 0 && tag(root) == T_OBJECT ? collCopy(root) : newColl(T_OBJECT, 1);
  let k = <usize>load<u32>(path + (<usize>i << 2));
  objPut(o, k, upsert(objGet(o, k), path, i + 1, n, v));
  return o;
}

/** Deep merge; `a` wins where both hold a non-object under one key. */
function merge(a: usize, b: usize): usize {
  let r = collCopy(a);
  for (let i: u32 = 0; i < len(b); i++) {
    let k = objKey(b, i);
    let vb = objVal(b, i);
    let va = objGet(r, k);
    if (va == 0) objPut(r, k, vb);
    else if (tag(va) == T_OBJECT && tag(vb) == T_OBJECT) objPut(r, k, merge(va, vb));
  }
  return r;
}

/** The collection in local `l`, copied into this evaluation first if it is shared. */
// @ts-ignore: decorator
@inline function owned(fp: usize, l: u32, c: usize): usize {
  if (c >= evalBase) return c;
  let d = collCopy(c);
  setLocal(fp, l, d);
  return d;
}

function insertPath(fp: usize, pc: u32): i32 {
  let obj = getLocal(fp, W(pc));
  let n = W(pc + 1);
  let mode = W(pc + 3 + n); // 0 overwrite, 1 once (conflict aborts), 2 add to a set at the leaf
  let once = mode != 0;
  let v = opnd(W(pc + 2 + n), fp);
  if (v == 0) return 1;
  if (obj == 0 || tag(obj) != T_OBJECT) {
    obj = newColl(T_OBJECT, 4);
    setLocal(fp, W(pc), obj);
  } else obj = owned(fp, W(pc), obj);
  for (let i: u32 = 0; i < n - 1; i++) {
    let k = opnd(W(pc + 2 + i), fp);
    if (k == 0) return 1;
    let child = objGet(obj, k);
    if (child != 0 && tag(child) != T_OBJECT && once) fail('object insert conflict');
    // copy an existing child before writing into it: it may be shared with another value
    child = child != 0 && tag(child) == T_OBJECT ? collCopy(child) : newColl(T_OBJECT, 4);
    objPut(obj, k, child);
    obj = child;
  }
  let k = opnd(W(pc + 1 + n), fp);
  if (k == 0) return 1;
  if (mode == 2) {
    // multi-value rule with a ref head (`p[x] contains y`): the leaf is a set of values
    let leaf = objGet(obj, k);
    if (leaf != 0 && tag(leaf) != T_SET) fail('object insert conflict');
    leaf = leaf != 0 ? collCopy(leaf) : newColl(T_SET, 4);
    setAdd(leaf, v);
    objPut(obj, k, leaf);
    return 0;
  }
  let old = objPut(obj, k, v);
  if (once && old != 0 && compare(old, v) != 0) fail('object insert conflict');
  return 0;
}

/** Runs the block whose header word is at `pc` (its end index); returns the break count. */
export function execBlock(pc: u32, fp: usize): i32 {
  let end = W(pc++);
  while (pc < end) {
    let op = W(pc);
    switch (op) {
      case D.OP_ASSIGN: {
        let v = opnd(W(pc + 1), fp);
        if (v == 0) return 1;
        setLocal(fp, W(pc + 2), v);
        pc += 3;
        break;
      }
      case D.OP_DOT: {
        let s = opnd(W(pc + 1), fp);
        let k = opnd(W(pc + 2), fp);
        if (s == 0 || k == 0) return 1;
        let t = tag(s);
        let r: usize = 0;
        if (t == T_OBJECT) r = objGet(s, k);
        else if (t == T_ARRAY) {
          let i = indexOf(k, len(s));
          if (i >= 0) r = arrayGet(s, <u32>i);
        } else if (t == T_SET) r = setHas(s, k) ? k : 0;
        if (r == 0) return 1;
        setLocal(fp, W(pc + 3), r);
        pc += 4;
        break;
      }
      case D.OP_EQUAL:
      case D.OP_NOT_EQUAL: {
        let a = opnd(W(pc + 1), fp);
        let b = opnd(W(pc + 2), fp);
        if (a == 0 || b == 0) return 1;
        if ((compare(a, b) == 0) != (op == D.OP_EQUAL)) return 1;
        pc += 3;
        break;
      }
      case D.OP_IS_TRUTHY: {
        let v = opnd(W(pc + 1), fp);
        if (v == 0 || v == FALSE) return 1;
        pc += 2;
        break;
      }
      case D.OP_IS_DEFINED:
        if (getLocal(fp, W(pc + 1)) == 0) return 1;
        pc += 2;
        break;
      case D.OP_IS_UNDEFINED:
        if (getLocal(fp, W(pc + 1)) != 0) return 1;
        pc += 2;
        break;
      case D.OP_CALL:
      case D.OP_CALL_BUILTIN: {
        let n = W(pc + 2);
        let r = op == D.OP_CALL ? callFunc(W(pc + 1), pc + 3, n, fp) : callBuiltin(W(pc + 1), pc + 3, n, fp);
        if (r == 0) return 1;
        setLocal(fp, W(pc + 3 + n), r);
        pc += 4 + n;
        break;
      }
      case D.OP_SCAN: {
        let src = getLocal(fp, W(pc + 1));
        let kl = W(pc + 2);
        let vl = W(pc + 3);
        let body = pc + 4;
        if (src == 0) return 1;
        let t = tag(src);
        if (t != T_ARRAY && t != T_OBJECT && t != T_SET) return 1;
        let n = len(src);
        for (let i: u32 = 0; i < n; i++) {
          if (t == T_ARRAY) {
            setLocal(fp, kl, newInt(i));
            setLocal(fp, vl, arrayGet(src, i));
          } else if (t == T_OBJECT) {
            setLocal(fp, kl, objKey(src, i));
            setLocal(fp, vl, objVal(src, i));
          } else {
            let e = arrayGet(src, i);
            setLocal(fp, kl, e);
            setLocal(fp, vl, e);
          }
          let r = execBlock(body, fp);
          if (r >= 2) return r - 1;
        }
        pc = W(body);
        break;
      }
      case D.OP_BLOCK: {
        let n = W(pc + 1);
        pc += 2;
        for (let i: u32 = 0; i < n; i++) {
          let r = execBlock(pc, fp);
          if (r >= 2) return r - 1;
          pc = W(pc);
        }
        break;
      }
      case D.OP_NOT: {
        let r = execBlock(pc + 1, fp);
        if (r == 0) return 1;
        if (r >= 2) return r - 1;
        pc = W(pc + 1);
        break;
      }
      case D.OP_BREAK:
        return <i32>W(pc + 1) + 1;
      case D.OP_LEN: {
        let v = opnd(W(pc + 1), fp);
        if (v == 0) return 1;
        let c = countOf(v);
        if (c == 0) return 1;
        setLocal(fp, W(pc + 2), c);
        pc += 3;
        break;
      }
      case D.OP_ASSIGN_ONCE: {
        let v = opnd(W(pc + 1), fp);
        if (v == 0) return 1;
        let old = getLocal(fp, W(pc + 2));
        if (old != 0 && compare(old, v) != 0) fail('var assignment conflict');
        setLocal(fp, W(pc + 2), v);
        pc += 3;
        break;
      }
      case D.OP_RESET:
        setLocal(fp, W(pc + 1), 0);
        pc += 2;
        break;
      case D.OP_MAKE_ARRAY:
        setLocal(fp, W(pc + 2), newColl(T_ARRAY, W(pc + 1)));
        pc += 3;
        break;
      case D.OP_MAKE_OBJECT:
      case D.OP_MAKE_SET:
        setLocal(fp, W(pc + 1), newColl(op == D.OP_MAKE_SET ? T_SET : T_OBJECT, 4));
        pc += 2;
        break;
      case D.OP_ARRAY_APPEND: {
        let a = getLocal(fp, W(pc + 1));
        let v = opnd(W(pc + 2), fp);
        if (a == 0 || v == 0 || tag(a) != T_ARRAY) return 1;
        arrayPush(owned(fp, W(pc + 1), a), v);
        pc += 3;
        break;
      }
      case D.OP_SET_ADD: {
        let s = getLocal(fp, W(pc + 1));
        let v = opnd(W(pc + 2), fp);
        if (s == 0 || v == 0 || tag(s) != T_SET) return 1;
        setAdd(owned(fp, W(pc + 1), s), v);
        pc += 3;
        break;
      }
      case D.OP_OBJECT_INSERT:
      case D.OP_OBJECT_INSERT_ONCE: {
        let o = getLocal(fp, W(pc + 1));
        let k = opnd(W(pc + 2), fp);
        let v = opnd(W(pc + 3), fp);
        if (o == 0 || k == 0 || v == 0 || tag(o) != T_OBJECT) return 1;
        let old = objPut(owned(fp, W(pc + 1), o), k, v);
        if (op == D.OP_OBJECT_INSERT_ONCE && old != 0 && compare(old, v) != 0) {
          fail('object insert conflict');
        }
        pc += 4;
        break;
      }
      case D.OP_OBJECT_MERGE: {
        let a = opnd(W(pc + 1), fp);
        let b = opnd(W(pc + 2), fp);
        if (a == 0 || b == 0 || tag(a) != T_OBJECT || tag(b) != T_OBJECT) return 1;
        setLocal(fp, W(pc + 3), merge(a, b));
        pc += 4;
        break;
      }
      case D.OP_IS_ARRAY:
      case D.OP_IS_OBJECT:
      case D.OP_IS_SET: {
        let v = opnd(W(pc + 1), fp);
        let want = op == D.OP_IS_ARRAY ? T_ARRAY : op == D.OP_IS_OBJECT ? T_OBJECT : T_SET;
        if (v == 0 || tag(v) != want) return 1;
        pc += 2;
        break;
      }
      case D.OP_WITH: {
        let l = W(pc + 1);
        let n = W(pc + 2);
        let v = opnd(W(pc + 3 + n), fp);
        let body = pc + 4 + n;
        // An undefined value is legal only for a whole-local replacement: the planner
        // restores an input that was undefined before a `with` that way.
        if (v == 0 && n > 0) return 1;
        let old = getLocal(fp, l);
        setLocal(fp, l, upsert(old, D.code + ((<usize>pc + 3) << 2), 0, n, v));
        // the memo holds results computed against the old input/data: hide it meanwhile
        let bytes = <usize>D.nfuncs << 2;
        let saved = rtAlloc(bytes);
        memory.copy(saved, memo, bytes);
        memory.fill(memo, 0, bytes);
        let r = execBlock(body, fp);
        memory.copy(memo, saved, bytes);
        setLocal(fp, l, old);
        if (r >= 2) return r - 1;
        pc = W(body);
        break;
      }
      case D.OP_OBJECT_INSERT_PATH: {
        if (insertPath(fp, pc + 1) != 0) return 1;
        pc += 5 + W(pc + 2);
        break;
      }
      case D.OP_NOP:
        pc += 1;
        break;
      default:
        fail('invalid policy IR');
    }
  }
  return 0;
}
