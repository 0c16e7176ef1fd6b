// Custom AssemblyScript runtime: ONE bump allocator for everything (values, scratch buffers and
// the few managed objects the AS standard library creates). Its pointer is exactly what
// opa_heap_ptr_get/opa_heap_ptr_set read and write, so the OPA SDK heap protocol ("record the
// pointer after loading data, reset to it before each evaluation") frees a whole evaluation at
// once. Nothing is ever freed individually. Compiled in with `asc --runtime <this file>`.

// @ts-ignore: decorator
@external("env", "opa_abort")
declare function rt_opa_abort(msg: usize): void;

/** 1 GiB: an evaluation that needs more is stopped with a controlled abort, not a trap. */
// @ts-ignore: decorator
@inline const HEAP_LIMIT: usize = 1 << 30;

// @ts-ignore: decorator
@lazy let heapTop: usize = (__heap_base + 7) & ~7;

// @ts-ignore: decorator
@global @inline
function rtHeapGet(): usize {
  return heapTop;
}

// @ts-ignore: decorator
@global
function rtHeapSet(p: usize): void {
  heapTop = (p + 7) & ~7;
}

// @ts-ignore: decorator
@lazy const OOM_MSG = memory.data<u8>([
  111, 117, 116, 32, 111, 102, 32, 109, 101, 109, 111, 114, 121, 32, 40, 104, 101, 97, 112, 32,
  108, 105, 109, 105, 116, 32, 49, 32, 71, 105, 66, 41, 0,
]); // "out of memory (heap limit 1 GiB)"

// @ts-ignore: decorator
@global
function rtGrow(end: usize): void {
  if (end > HEAP_LIMIT) rt_opa_abort(OOM_MSG);
  let have = <usize>memory.size() << 16;
  if (end > have) {
    let need = <i32>((end - have + 0xffff) >>> 16);
    let want = max(need, memory.size() >> 1); // grow geometrically to keep grow calls rare
    if (memory.grow(want) < 0 && memory.grow(need) < 0) rt_opa_abort(OOM_MSG);
  }
}

/** Allocates `size` bytes, 8-byte aligned, uninitialised. */
// @ts-ignore: decorator
@global @inline
function rtAlloc(size: usize): usize {
  let p = heapTop;
  let end = (p + size + 7) & ~7;
  if (end > (<usize>memory.size() << 16)) rtGrow(end);
  heapTop = end;
  return p;
}

/** Extends the block [p, p+oldSize) to newSize bytes; in place when it is the last block. */
// @ts-ignore: decorator
@global
function rtRealloc(p: usize, oldSize: usize, newSize: usize): usize {
  if (((p + oldSize + 7) & ~7) == heapTop) {
    let end = (p + newSize + 7) & ~7;
    if (end > (<usize>memory.size() << 16)) rtGrow(end);
    heapTop = end;
    return p;
  }
  let q = rtAlloc(newSize);
  memory.copy(q, p, oldSize);
  return q;
}

// ---- the hooks the AS compiler expects from a runtime (same contract as std/rt/stub.ts) ----
// Block layout: [u32 size][gcInfo][gcInfo2][rtId][rtSize] payload, header 20 bytes + 4 pad.

// @ts-ignore: decorator
@unsafe @global
function __alloc(size: usize): usize {
  let p = rtAlloc(size + 8);
  store<u32>(p + 4, <u32>size);
  return p + 8;
}

// @ts-ignore: decorator
@unsafe @global
function __realloc(ptr: usize, size: usize): usize {
  let old = <usize>load<u32>(ptr - 4);
  let p = rtRealloc(ptr - 8, old + 8, size + 8);
  store<u32>(p + 4, <u32>size);
  return p + 8;
}

// @ts-ignore: decorator
@unsafe @global
function __free(ptr: usize): void {}

// @ts-ignore: decorator
@unsafe @global
function __reset(): void {}

// @ts-ignore: decorator
@unsafe @global
function __new(size: usize, id: u32): usize {
  let p = rtAlloc(size + 24) + 24;
  store<u32>(p - 20, <u32>(size + 20));
  store<u32>(p - 16, 0);
  store<u32>(p - 12, 0);
  store<u32>(p - 8, id);
  store<u32>(p - 4, <u32>size);
  return p;
}

// @ts-ignore: decorator
@unsafe @global
function __renew(oldPtr: usize, size: usize): usize {
  let old = <usize>load<u32>(oldPtr - 4);
  let p = rtRealloc(oldPtr - 24, old + 24, size + 24) + 24;
  store<u32>(p - 20, <u32>(size + 20));
  store<u32>(p - 4, <u32>size);
  return p;
}

// @ts-ignore: decorator
@global @unsafe
function __link(parentPtr: usize, childPtr: usize, expectMultiple: bool): void {}

// @ts-ignore: decorator
@global @unsafe
function __pin(ptr: usize): usize {
  return ptr;
}

// @ts-ignore: decorator
@global @unsafe
function __unpin(ptr: usize): void {}

// @ts-ignore: decorator
@global @unsafe
function __visit(ptr: usize, cookie: u32): void {}

// @ts-ignore: decorator
@global @unsafe
function __collect(): void {}
