// Helpers to build IR by hand and run it on the real runtime through the unmodified JS SDK.
// Used by the runtime tests; handy for the planner's tests too.
import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import {
  encodePolicy,
  constOperand,
  type Policy,
  type Stmt,
  type Func,
  type Operand,
} from '../ir.ts';
import { linkPolicy } from '../link.ts';
import { runtimeWasm } from './index.ts';

/** Interns constants (JSON text) and builtins while a test writes IR. */
export class IRBuilder {
  readonly consts: string[] = [];
  readonly builtins: { name: string; arity: number }[] = [];
  readonly funcs: Func[] = [];
  readonly entrypoints: { name: string; func: number }[] = [];

  /** A constant operand for a JSON-able value, or for raw JSON text with `raw`. */
  k(value: unknown, raw = false): Operand {
    const text = raw ? String(value) : JSON.stringify(value);
    let i = this.consts.indexOf(text);
    if (i < 0) i = this.consts.push(text) - 1;
    return constOperand(i);
  }
  /** Index of a constant (for `with` paths). */
  ki(value: unknown): number {
    return this.k(value) & 0x7fffffff;
  }
  builtin(name: string, arity: number): number {
    let i = this.builtins.findIndex((b) => b.name === name);
    if (i < 0) i = this.builtins.push({ name, arity }) - 1;
    return i;
  }
  func(f: Omit<Func, 'name'> & { name?: string }): number {
    return this.funcs.push({ name: f.name ?? `f${this.funcs.length}`, ...f }) - 1;
  }
  /** An entrypoint function with params (input, data) and `locals` locals. */
  entry(name: string, stmts: Stmt[], opts: { locals?: number; result?: number } = {}): number {
    const func = this.func({
      params: 2,
      locals: opts.locals ?? 16,
      result: opts.result ?? 2,
      memoize: false,
      body: { stmts },
    });
    this.entrypoints.push({ name, func });
    return func;
  }
  policy(): Policy {
    return {
      consts: this.consts,
      builtins: this.builtins,
      funcs: this.funcs,
      entrypoints: this.entrypoints,
    };
  }
  link(): { wasm: Uint8Array<ArrayBuffer>; minPages: number } {
    return linkPolicy(runtimeWasm(), encodePolicy(this.policy()));
  }
  async load(
    customBuiltins: Record<string, (...args: never[]) => unknown> = {},
  ): Promise<LoadedPolicy> {
    const { wasm, minPages } = this.link();
    return loadPolicy(wasm, { initial: minPages }, customBuiltins as never);
  }
}

/** The `result` of the first entry of a result set, or undefined for []. */
export function resultOf(rs: unknown): unknown {
  const arr = rs as { result: unknown }[];
  return arr.length === 0 ? undefined : arr[0].result;
}

export interface RawExports {
  opa_malloc(n: number): number;
  opa_json_parse(p: number, n: number): number;
  opa_value_parse(p: number, n: number): number;
  opa_json_dump(v: number): number;
  opa_value_dump(v: number): number;
  opa_heap_ptr_get(): number;
  opa_heap_ptr_set(p: number): void;
  opa_eval_ctx_new(): number;
  opa_eval_ctx_set_input(c: number, v: number): void;
  opa_eval_ctx_set_data(c: number, v: number): void;
  opa_eval_ctx_set_entrypoint(c: number, e: number): void;
  opa_eval_ctx_get_result(c: number): number;
  eval(c: number): number;
  opa_eval(r: number, e: number, d: number, ia: number, il: number, hp: number, f: number): number;
  opa_value_add_path(b: number, p: number, v: number): number;
  opa_value_remove_path(b: number, p: number): number;
  builtins(): number;
  entrypoints(): number;
}

/** Direct access to a module's exports (no SDK), with UTF-8 aware helpers. */
export class RawModule {
  readonly x: RawExports;
  readonly memory: WebAssembly.Memory;
  constructor(
    wasm: Uint8Array<ArrayBuffer>,
    minPages: number,
    host?: (id: number, args: number[]) => number,
  ) {
    this.memory = new WebAssembly.Memory({ initial: minPages });
    const call = (id: number, ...args: number[]): number => (host ? host(id, args.slice(1)) : 0);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(wasm), {
      env: {
        memory: this.memory,
        opa_abort: (p: number) => {
          throw new Error(this.cstr(p));
        },
        opa_builtin0: call,
        opa_builtin1: call,
        opa_builtin2: call,
        opa_builtin3: call,
        opa_builtin4: call,
      },
    });
    this.x = inst.exports as unknown as RawExports;
  }
  cstr(p: number): string {
    const m = new Uint8Array(this.memory.buffer);
    let e = p;
    while (m[e] !== 0) e++;
    return new TextDecoder().decode(m.subarray(p, e));
  }
  write(text: string): [number, number] {
    const bytes = new TextEncoder().encode(text);
    const p = this.x.opa_malloc(bytes.length);
    new Uint8Array(this.memory.buffer).set(bytes, p);
    return [p, bytes.length];
  }
  /** Parses JSON (or Rego value syntax); 0 when invalid. */
  parse(text: string, rego = false): number {
    const [p, n] = this.write(text);
    return rego ? this.x.opa_value_parse(p, n) : this.x.opa_json_parse(p, n);
  }
  json(v: number): string {
    return this.cstr(this.x.opa_json_dump(v));
  }
  rego(v: number): string {
    return this.cstr(this.x.opa_value_dump(v));
  }
}
