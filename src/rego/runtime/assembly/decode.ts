// Decodes the policy IR blob (src/rego/ir.ts binary encoding) once, into compact tables and
// one code array the interpreter walks. The linker places the blob at BLOB_ADDR as
// [u32 byteLength][IR bytes]; if the magic is missing the module holds an empty policy.
//
// Code format (u32 words): like the IR stream, except that
//   - a block is [end index] stmt… (so a finished block is skipped in O(1)),
//   - an operand is (local << 1) or (constant value pointer | 1),
//   - `with` path entries are constant value pointers.
import { fail } from './env';
import { parseJSON } from './json';
import { newColl, newString, T_OBJECT, newInt } from './value';
import { objPut } from './compare';
import { nativeId } from './builtins';

export const BLOB_ADDR: usize = 65536;
const IR_MAGIC: u32 = 0x52494752;
const IR_VERSION: u32 = 1;
const CONST_BIT: u32 = 0x80000000;

export const OP_BLOCK: u32 = 1;
export const OP_BREAK: u32 = 2;
export const OP_SCAN: u32 = 3;
export const OP_NOT: u32 = 4;
export const OP_DOT: u32 = 5;
export const OP_LEN: u32 = 6;
export const OP_ASSIGN: u32 = 7;
export const OP_ASSIGN_ONCE: u32 = 8;
export const OP_RESET: u32 = 9;
export const OP_MAKE_ARRAY: u32 = 10;
export const OP_MAKE_OBJECT: u32 = 11;
export const OP_MAKE_SET: u32 = 12;
export const OP_ARRAY_APPEND: u32 = 13;
export const OP_OBJECT_INSERT: u32 = 14;
export const OP_OBJECT_INSERT_ONCE: u32 = 15;
export const OP_OBJECT_MERGE: u32 = 16;
export const OP_SET_ADD: u32 = 17;
export const OP_EQUAL: u32 = 18;
export const OP_NOT_EQUAL: u32 = 19;
export const OP_IS_ARRAY: u32 = 20;
export const OP_IS_OBJECT: u32 = 21;
export const OP_IS_SET: u32 = 22;
export const OP_IS_DEFINED: u32 = 23;
export const OP_IS_UNDEFINED: u32 = 24;
export const OP_CALL: u32 = 25;
export const OP_CALL_BUILTIN: u32 = 26;
export const OP_WITH: u32 = 27;
export const OP_IS_TRUTHY: u32 = 28;
export const OP_OBJECT_INSERT_PATH: u32 = 29;
export const OP_NOP: u32 = 31;

export let code: usize = 0; // u32 words
export let nfuncs: u32 = 0;
/** Per function: [params, locals, result, memoize, body index] as 5 u32 words. */
export let funcs: usize = 0;
export let nbuiltins: u32 = 0;
/** Per builtin: [native id (-1 = host), arity] as 2 u32 words. */
export let builtinTab: usize = 0;
export let entryFuncs: usize = 0;
export let nentries: u32 = 0;
export let entrypointsValue: usize = 0; // {"a/b": id}
export let builtinsValue: usize = 0; // {"name": id} for host builtins
export let stackWords: u32 = 0; // total locals of all functions: bounds any call chain

let rp: usize = 0;
let rend: usize = 0;
let ccap: u32 = 0;
let clen: u32 = 0;
let consts: usize = 0;
let nconsts: u32 = 0;
let curLocals: u32 = 0;

function bad(): void {
  fail('invalid policy IR');
}

// @ts-ignore: decorator
@inline function rd(): u32 {
  if (rp + 4 > rend) bad();
  let w = load<u32>(rp);
  rp += 4;
  return w;
}

/** Reads a length-prefixed, zero-padded string; returns its address, length in `strLen`. */
let strLen: u32 = 0;
function rdStr(): usize {
  let n = rd();
  let p = rp;
  rp += (<usize>n + 3) & ~3;
  if (rp > rend) bad();
  strLen = n;
  return p;
}

function emit(w: u32): void {
  if (clen == ccap) {
    let ncap = ccap * 2;
    code = rtRealloc(code, <usize>ccap << 2, <usize>ncap << 2);
    ccap = ncap;
  }
  store<u32>(code + (<usize>(clen++) << 2), w);
}

function local(): void {
  let w = rd();
  if (w >= curLocals) bad();
  emit(w);
}

function operand(): void {
  let w = rd();
  if (w & CONST_BIT) {
    let i = w & ~CONST_BIT;
    if (i >= nconsts) bad();
    emit(load<u32>(consts + (<usize>i << 2)) | 1);
  } else {
    if (w >= curLocals) bad();
    emit(w << 1);
  }
}

function block(): void {
  let at = clen;
  emit(0);
  let n = rd();
  for (let i: u32 = 0; i < n; i++) stmt();
  store<u32>(code + (<usize>at << 2), clen);
}

function stmt(): void {
  let op = rd();
  emit(op);
  switch (op) {
    case OP_BLOCK: { let n = rd(); emit(n); for (let i: u32 = 0; i < n; i++) block(); break; }
    case OP_BREAK: emit(rd()); break;
    case OP_SCAN: local(); local(); local(); block(); break;
    case OP_NOT: block(); break;
    case OP_DOT: operand(); operand(); local(); break;
    case OP_LEN: case OP_ASSIGN: case OP_ASSIGN_ONCE: operand(); local(); break;
    case OP_RESET: case OP_MAKE_OBJECT: case OP_MAKE_SET: local(); break;
    case OP_MAKE_ARRAY: emit(rd()); local(); break;
    case OP_ARRAY_APPEND: case OP_SET_ADD: local(); operand(); break;
    case OP_OBJECT_INSERT: case OP_OBJECT_INSERT_ONCE: local(); operand(); operand(); break;
    case OP_OBJECT_MERGE: operand(); operand(); local(); break;
    case OP_EQUAL: case OP_NOT_EQUAL: operand(); operand(); break;
    case OP_IS_ARRAY: case OP_IS_OBJECT: case OP_IS_SET: case OP_IS_TRUTHY: operand(); break;
    case OP_IS_DEFINED: case OP_IS_UNDEFINED: local(); break;
    case OP_CALL: case OP_CALL_BUILTIN: {
      let f = rd();
      if (f >= (op == OP_CALL ? nfuncs : nbuiltins)) bad();
      emit(f);
      let n = rd();
      emit(n);
      for (let i: u32 = 0; i < n; i++) operand();
      local();
      if (op == OP_CALL_BUILTIN && n != load<u32>(builtinTab + (<usize>f << 3), 4)) bad();
      break;
    }
    case OP_WITH: {
      local();
      let n = rd();
      emit(n);
      for (let i: u32 = 0; i < n; i++) {
        let c = rd() & ~CONST_BIT; // a const index, with or without the operand bit
        if (c >= nconsts) bad();
        emit(load<u32>(consts + (<usize>c << 2)));
      }
      operand();
      block();
      break;
    }
    case OP_OBJECT_INSERT_PATH: {
      local();
      let n = rd();
      if (n == 0) bad();
      emit(n);
      for (let i: u32 = 0; i < n; i++) operand();
      operand();
      emit(rd());
      break;
    }
    case OP_NOP: break;
    default: bad();
  }
}

/** Locates the blob without allocating; returns the first address after it, or 0 when the
 *  module holds no policy. The heap must start there before anything is allocated. */
export function locateBlob(): usize {
  rend = 0;
  if (memory.size() < 2) return 0;
  let blen = <usize>load<u32>(BLOB_ADDR);
  let end = BLOB_ADDR + 4 + blen;
  if (blen < 8 || end > (<usize>memory.size() << 16) || load<u32>(BLOB_ADDR + 4) != IR_MAGIC) return 0;
  rend = end;
  return end;
}

export function decode(): void {
  entrypointsValue = newColl(T_OBJECT, 0);
  builtinsValue = newColl(T_OBJECT, 0);
  if (rend == 0) return;
  rp = BLOB_ADDR + 8;
  if (rd() != IR_VERSION) fail('unsupported policy IR version');
  nconsts = rd();
  consts = rtAlloc(<usize>nconsts << 2);
  for (let i: u32 = 0; i < nconsts; i++) {
    let p = rdStr();
    let v = parseJSON(p, strLen, false);
    if (v == 0) fail('invalid constant in policy IR');
    store<u32>(consts + (<usize>i << 2), <u32>v);
  }
  nbuiltins = rd();
  builtinTab = rtAlloc(<usize>nbuiltins << 3);
  for (let i: u32 = 0; i < nbuiltins; i++) {
    let arity = rd();
    let p = rdStr();
    let id = nativeId(p, strLen);
    if (id < 0) {
      if (arity > 4) fail('builtin with more than 4 arguments cannot be called through the host');
      objPut(builtinsValue, newString(p, strLen), newInt(i));
    }
    store<i32>(builtinTab + (<usize>i << 3), id);
    store<u32>(builtinTab + (<usize>i << 3), arity, 4);
  }
  nfuncs = rd();
  funcs = rtAlloc(<usize>nfuncs * 20);
  ccap = 1024;
  code = rtAlloc(<usize>ccap << 2);
  for (let i: u32 = 0; i < nfuncs; i++) {
    let f = funcs + <usize>i * 20;
    let params = rd();
    curLocals = rd();
    let result = rd();
    if (params > curLocals || result >= curLocals) bad();
    stackWords += curLocals;
    store<u32>(f, params);
    store<u32>(f, curLocals, 4);
    store<u32>(f, result, 8);
    store<u32>(f, rd(), 12);
    store<u32>(f, clen, 16);
    block();
  }
  nentries = rd();
  entryFuncs = rtAlloc(<usize>nentries << 2);
  for (let i: u32 = 0; i < nentries; i++) {
    let fi = rd();
    if (fi >= nfuncs || load<u32>(funcs + <usize>fi * 20, 4) < 2) bad();
    store<u32>(entryFuncs + (<usize>i << 2), fi);
    let p = rdStr();
    objPut(entrypointsValue, newString(p, strLen), newInt(i));
  }
}
