// Host imports of the OPA WASM ABI (docs/wasm.md "Imports"). Nothing else may be imported.

// @ts-ignore: decorator
@external("env", "opa_abort")
export declare function opa_abort(msg: usize): void;

// @ts-ignore: decorator
@external("env", "opa_builtin0")
export declare function opa_builtin0(id: i32, ctx: i32): usize;
// @ts-ignore: decorator
@external("env", "opa_builtin1")
export declare function opa_builtin1(id: i32, ctx: i32, a: usize): usize;
// @ts-ignore: decorator
@external("env", "opa_builtin2")
export declare function opa_builtin2(id: i32, ctx: i32, a: usize, b: usize): usize;
// @ts-ignore: decorator
@external("env", "opa_builtin3")
export declare function opa_builtin3(id: i32, ctx: i32, a: usize, b: usize, c: usize): usize;
// @ts-ignore: decorator
@external("env", "opa_builtin4")
export declare function opa_builtin4(
  id: i32,
  ctx: i32,
  a: usize,
  b: usize,
  c: usize,
  d: usize,
): usize;

/** Aborts the evaluation with an ASCII message (copied NUL-terminated onto the heap). */
export function fail(msg: string): void {
  let n = msg.length;
  let p = rtAlloc(<usize>n + 1);
  for (let i = 0; i < n; i++) store<u8>(p + <usize>i, <u8>msg.charCodeAt(i));
  store<u8>(p + <usize>n, 0);
  opa_abort(p);
  unreachable();
}

/** The target of asc's `--use abort=`: assertion failures become OPA aborts too. */
export function asAbort(msg: string | null, file: string | null, line: u32, col: u32): void {
  fail('internal error');
}
