// The OPA WASM ABI 1.3 exports (OPA docs/wasm.md). Every export first makes sure the policy
// blob has been decoded, so that everything decoding allocates lies below the heap mark the
// SDK records after loading.
import { fail } from './env';
import {
  initValues, T_ARRAY, T_OBJECT, newColl, arrayPush, len, elems, tag, newString,
} from './value';
import { objGet, objPut, search } from './compare';
import { parseJSON } from './json';
import { dumpToCString, begin, dumpValue, finish, appendBytes } from './dump';
import { initBuiltins } from './builtins';
import * as D from './decode';
import { initInterp, resetEval, runEntry } from './interp';

export const opa_wasm_abi_version: i32 = 1;
export const opa_wasm_abi_minor_version: i32 = 3;

let ready = false;
let resultKey: usize = 0; // the string "result"

function ensureInit(): void {
  if (ready) return;
  ready = true;
  // the heap starts after the blob (when there is one), before the first allocation
  let blobEnd = D.locateBlob();
  if (blobEnd > rtHeapGet()) rtHeapSet(blobEnd);
  initValues();
  initBuiltins();
  D.decode();
  initInterp();
  let p = rtAlloc(6);
  store<u32>(p, 0x75736572); // "resu"
  store<u16>(p + 4, 0x746c); // "lt"
  resultKey = newString(p, 6);
}

export function opa_malloc(size: usize): usize {
  ensureInit();
  return rtAlloc(size);
}

export function opa_free(ptr: usize): void {}

export function opa_value_free(ptr: usize): void {}

export function opa_heap_ptr_get(): usize {
  ensureInit();
  return rtHeapGet();
}

export function opa_heap_ptr_set(p: usize): void {
  ensureInit();
  rtHeapSet(p);
}

/** ABI 1.3 heap stash: a bump allocator keeps no free blocks below the heap pointer, so
 *  there is nothing to stash or restore; resetting the pointer is the whole protocol. */
export function opa_heap_blocks_stash(): void {}
export function opa_heap_blocks_restore(): void {}
export function opa_heap_stash_clear(): void {}

export function opa_json_parse(p: usize, n: usize): usize {
  ensureInit();
  return parseJSON(p, n, false);
}

export function opa_value_parse(p: usize, n: usize): usize {
  ensureInit();
  return parseJSON(p, n, true);
}

export function opa_json_dump(v: usize): usize {
  ensureInit();
  return dumpToCString(v, false);
}

export function opa_value_dump(v: usize): usize {
  ensureInit();
  return dumpToCString(v, true);
}

export function builtins(): usize {
  ensureInit();
  return D.builtinsValue;
}

export function entrypoints(): usize {
  ensureInit();
  return D.entrypointsValue;
}

// ---- evaluation context (ABI < 1.2 path): [input, data, entrypoint, result] ----

export function opa_eval_ctx_new(): usize {
  ensureInit();
  let c = rtAlloc(16);
  memory.fill(c, 0, 16);
  return c;
}
export function opa_eval_ctx_set_input(ctx: usize, v: usize): void {
  store<u32>(ctx, <u32>v);
}
export function opa_eval_ctx_set_data(ctx: usize, v: usize): void {
  store<u32>(ctx, <u32>v, 4);
}
export function opa_eval_ctx_set_entrypoint(ctx: usize, e: i32): void {
  store<i32>(ctx, e, 8);
}
export function opa_eval_ctx_get_result(ctx: usize): usize {
  return <usize>load<u32>(ctx, 12);
}

/** Result set of one entrypoint: [{"result": v}] or [] when undefined. */
function evalEntry(e: i32, input: usize, data: usize): usize {
  if (e < 0 || <u32>e >= D.nentries) fail('invalid entrypoint id');
  resetEval();
  let f = load<u32>(D.entryFuncs + (<usize>e << 2));
  let v = runEntry(f, input, data);
  let rs = newColl(T_ARRAY, 1);
  if (v != 0) {
    let o = newColl(T_OBJECT, 1);
    objPut(o, resultKey, v);
    arrayPush(rs, o);
  }
  return rs;
}

export function eval(ctx: usize): i32 {
  ensureInit();
  let rs = evalEntry(load<i32>(ctx, 8), <usize>load<u32>(ctx), <usize>load<u32>(ctx, 4));
  store<u32>(ctx, <u32>rs, 12);
  return 0;
}

/** ABI 1.2 one-shot evaluation; the input text sits at inputAddr, the heap restarts at heapPtr. */
export function opa_eval(
  reserved: i32,
  entrypoint: i32,
  data: usize,
  inputAddr: usize,
  inputLen: usize,
  heapPtr: usize,
  format: i32,
): usize {
  ensureInit();
  rtHeapSet(heapPtr);
  resetEval();
  let input: usize = 0;
  if (inputLen > 0) {
    input = parseJSON(inputAddr, inputLen, false);
    if (input == 0) fail('invalid input JSON');
  }
  let rs = evalEntry(entrypoint, input, data);
  if (len(rs) == 0) {
    begin();
    appendBytes(EMPTY_RS, 2);
    return finish();
  }
  let v = <usize>load<u32>(elems(<usize>load<u32>(elems(rs))), 4);
  begin();
  appendBytes(RS_OPEN, 11);
  dumpValue(v, format == 1);
  appendBytes(RS_CLOSE, 2);
  return finish();
}

// @ts-ignore: decorator
@lazy const EMPTY_RS = memory.data<u8>([91, 93]); // []
// @ts-ignore: decorator
@lazy const RS_OPEN = memory.data<u8>([91, 123, 34, 114, 101, 115, 117, 108, 116, 34, 58]); // [{"result":
// @ts-ignore: decorator
@lazy const RS_CLOSE = memory.data<u8>([125, 93]); // }]

/** Sets base[path…] = value, creating objects on the way (mutates base in place). */
export function opa_value_add_path(base: usize, path: usize, value: usize): i32 {
  ensureInit();
  if (base == 0 || path == 0 || value == 0) return 1;
  if (tag(base) != T_OBJECT || tag(path) != T_ARRAY) return 2;
  let n = len(path);
  if (n == 0) return 3;
  let cur = base;
  for (let i: u32 = 0; i + 1 < n; i++) {
    let k = <usize>load<u32>(elems(path) + (<usize>i << 2));
    let child = objGet(cur, k);
    if (child == 0) {
      child = newColl(T_OBJECT, 4);
      objPut(cur, k, child);
    } else if (tag(child) != T_OBJECT) return 3;
    cur = child;
  }
  objPut(cur, <usize>load<u32>(elems(path) + (<usize>(n - 1) << 2)), value);
  return 0;
}

/** Deletes base[path…]; 3 when the path does not exist. */
export function opa_value_remove_path(base: usize, path: usize): i32 {
  ensureInit();
  if (base == 0 || path == 0) return 1;
  if (tag(base) != T_OBJECT || tag(path) != T_ARRAY) return 2;
  let n = len(path);
  if (n == 0) return 3;
  let cur = base;
  for (let i: u32 = 0; i + 1 < n; i++) {
    let child = objGet(cur, <usize>load<u32>(elems(path) + (<usize>i << 2)));
    if (child == 0 || tag(child) != T_OBJECT) return 3;
    cur = child;
  }
  let at = search(cur, <usize>load<u32>(elems(path) + (<usize>(n - 1) << 2)));
  if (at < 0) return 3;
  let e = elems(cur);
  let m = len(cur);
  memory.copy(e + (<usize>at << 3), e + ((<usize>at + 1) << 3), <usize>(m - <u32>at - 1) << 3);
  store<u32>(cur, m - 1, 4);
  return 0;
}
