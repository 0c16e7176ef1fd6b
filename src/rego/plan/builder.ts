// Mutable helpers for emitting IR (src/rego/ir.ts): a constant pool shared by the whole
// policy, a builtin table, and per-function local allocation with a "current block"
// pointer. Planning appends to the current block; a statement that opens a nested block
// (scan, not, with, block) moves the pointer into it, so whatever is planned afterwards —
// the rest of a rule body — runs inside, once per solution. That is how iteration nests
// without any backtracking at run time (the shape of OPA's own planner).

import {
  type Block,
  type BuiltinDecl,
  type Func,
  type Local,
  type Operand,
  type Policy,
  type Stmt,
  CONST_BIT,
  Op,
  constOperand,
} from '../ir.ts';

export class PolicyBuilder {
  private readonly constIndex = new Map<string, number>();
  readonly consts: string[] = [];
  private readonly builtinIndex = new Map<string, number>();
  readonly builtins: BuiltinDecl[] = [];
  readonly funcs: Func[] = [];
  readonly entrypoints: { name: string; func: number }[] = [];

  /** A constant operand for a JSON text (numbers keep their literal text). */
  constJson(json: string): Operand {
    let i = this.constIndex.get(json);
    if (i === undefined) {
      i = this.consts.length;
      this.consts.push(json);
      this.constIndex.set(json, i);
    }
    return constOperand(i);
  }

  constValue(v: unknown): Operand {
    return this.constJson(JSON.stringify(v));
  }

  /** Index of a constant (for With paths, which name constants directly). */
  constIndexOf(v: unknown): number {
    return (this.constValue(v) & ~CONST_BIT) >>> 0;
  }

  builtin(name: string, arity: number): number {
    let i = this.builtinIndex.get(name);
    if (i === undefined) {
      i = this.builtins.length;
      this.builtins.push({ name, arity });
      this.builtinIndex.set(name, i);
    }
    return i;
  }

  /** Reserves a function slot so that callers can refer to it before it is planned. */
  reserveFunc(name: string, params: number, memoize: boolean): number {
    this.funcs.push({ name, params, locals: params, result: 0, memoize, body: { stmts: [] } });
    return this.funcs.length - 1;
  }

  policy(): Policy {
    return {
      consts: this.consts,
      builtins: this.builtins,
      funcs: this.funcs,
      entrypoints: this.entrypoints,
    };
  }
}

export const isConst = (o: Operand): boolean => (o & CONST_BIT) !== 0;

/** Emission state for one function being planned. */
export class FuncBuilder {
  private nextLocal: number;
  readonly body: Block = { stmts: [] };
  curr: Block = this.body;

  constructor(readonly params: number) {
    this.nextLocal = params;
  }

  local(): Local {
    return this.nextLocal++;
  }

  get localCount(): number {
    return this.nextLocal;
  }

  emit(s: Stmt): void {
    this.curr.stmts.push(s);
  }

  /** Emits a statement owning a fresh block and moves into that block. */
  enter(make: (b: Block) => Stmt): Block {
    const b: Block = { stmts: [] };
    this.emit(make(b));
    this.curr = b;
    return b;
  }

  /** Runs `fn` with the current block set to `b`, then restores the pointer. */
  within<T>(b: Block, fn: () => T): T {
    const saved = this.curr;
    this.curr = b;
    try {
      return fn();
    } finally {
      this.curr = saved;
    }
  }

  /** A `block` statement with one fresh block: planning inside it can fail or iterate
   *  without ending the enclosing block. Returns the inner block. */
  subBlock(): Block {
    const b: Block = { stmts: [] };
    this.emit({ op: Op.Block, blocks: [b] });
    return b;
  }

  fail(): void {
    this.emit({ op: Op.Break, index: 0 });
  }

  finish(pb: PolicyBuilder, index: number, result: Local): void {
    const f = pb.funcs[index];
    f.locals = this.nextLocal;
    f.result = result;
    f.body = this.body;
  }
}
