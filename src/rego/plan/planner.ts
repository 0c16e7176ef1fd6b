// The planner: turns the rule tree into IR functions. One function per rule node (complete,
// multi-value, object or function rules, with their `else` chains and defaults), one per
// package-like node whose virtual document is read as a whole (base data merged with the
// values of the rules below it), and one per entrypoint. Functions are planned on first
// reference; a reference back to a function still being planned is recursion, which Rego
// forbids (OPA: rego_recursion_error).

import type { CallTerm, Module, Term } from '../ast.ts';
import { Op, type Local, type Operand } from '../ir.ts';
import { RegoError } from '../errors.ts';
import { builtinArity, DEPRECATED_BUILTINS, RELATIONAL } from './builtin-table.ts';
import { chainMetadata, ruleMetadata } from '../annotations.ts';
import { hostAlias, SDK_SHADOWED } from '../builtins/index.ts';
import { FuncBuilder, PolicyBuilder, isConst } from './builder.ts';
import { RuleTree, hasDoc, type ModuleCtx, type RuleEntry, type RuleNode } from './tree.ts';
import { type Env, childEnv, planBody, resolveName, outerNames } from './body.ts';
import { planArgs, planPath, planTerm } from './terms.ts';
import { planPrint } from './print.ts';
import { planCoverMark, type CoverableLines } from './coverage.ts';
import { unifyOperand } from './unify.ts';
import { allVarsOfTerm, stripLoc } from './vars.ts';

const NO_MODULE: ModuleCtx = {
  module: {
    file: '',
    package: [],
    packageLoc: { file: '', line: 0, col: 0 },
    imports: [],
    rules: [],
  },
  pkg: [],
  imports: new Map(),
};

export class Planner {
  readonly pb = new PolicyBuilder();
  readonly tree: RuleTree;
  private readonly funcs = new Map<string, number>();
  private readonly inProgress: string[] = [];

  /** Set when the build plans coverage marks (coverage.ts): the lines that carry one. */
  readonly coverable: CoverableLines | undefined;

  constructor(
    private readonly modules: Module[],
    opts: { coverage?: boolean } = {},
  ) {
    this.tree = new RuleTree(modules);
    this.coverable = opts.coverage ? new Map() : undefined;
  }

  addEntrypoint(name: string): void {
    const path = name.split('/').filter((s) => s.length > 0);
    if (path.length > 0 && !this.tree.find(path) && !this.ruleAbove(path)) {
      throw new RegoError(
        'REGO_COMPILE_ERROR',
        `undefined entrypoint: no rule or package data.${path.join('.')}`,
        { file: `entrypoint ${name}`, line: 0, col: 0 },
      );
    }
    const index = this.pb.reserveFunc(`entrypoint ${name}`, 2, false);
    const fb = new FuncBuilder(2);
    const env = this.newEnv(fb, NO_MODULE, [], new Map());
    const result = fb.local();
    const v = this.planRef(env, ['data', ...path], []);
    fb.emit({ op: Op.Assign, source: v, target: result });
    fb.finish(this.pb, index, result);
    this.pb.entrypoints.push({ name, func: index });
  }

  private isInProgress(env: Env, node: RuleNode): boolean {
    const v = this.variantKey(env);
    const p = node.path.join('.');
    return this.inProgress.some((k) => {
      const [, path, variant] = [
        k.slice(0, k.indexOf(':')),
        k.split(':')[1],
        k.split(':').slice(2).join(':'),
      ];
      return variant === v && (path === p || path.startsWith(p + '.'));
    });
  }

  /** True if some prefix of `path` is a rule node (the entrypoint reads into its value). */
  private ruleAbove(path: string[]): boolean {
    for (let i = 1; i < path.length; i++) {
      const n = this.tree.find(path.slice(0, i));
      if (!n) return false;
      if (n.rules.length > 0) return true;
    }
    return false;
  }

  private newEnv(
    fb: FuncBuilder,
    module: ModuleCtx,
    overrides: string[],
    mocks: Map<string, Term>,
  ): Env {
    return {
      planner: this,
      fb,
      module,
      scope: new Map(),
      declared: new Set(),
      input: 0,
      data: 1,
      overrides,
      mocks,
    };
  }

  private overridden(env: Env, path: string[]): boolean {
    const p = path.join('.');
    return env.overrides.some((o) => p === o || p.startsWith(o + '.'));
  }

  /** Reads an absolute ref (["input", …] or ["data", …]) followed by more path terms. */
  planRef(env: Env, abs: string[], rest: Term[]): Operand {
    const pb = this.pb;
    if (abs[0] === 'input') {
      let cur: Operand = env.input;
      for (const k of abs.slice(1)) cur = this.dot(env, cur, pb.constValue(k));
      return planPath(env, cur, rest);
    }
    const stat = abs.slice(1);
    let i = 0;
    for (; i < rest.length && rest[i].type === 'string'; i++) {
      stat.push((rest[i] as Term & { type: 'string' }).value);
    }
    const dyn = rest.slice(i);
    let node: RuleNode | undefined = this.tree.root;
    for (let d = 0; d <= stat.length; d++) {
      if (d > 0) node = node?.children.get(stat[d - 1]);
      if (!node || this.overridden(env, stat.slice(0, d))) break;
      if (node.rules.length > 0) {
        let cur: Operand = this.callNode(env, node);
        for (const k of stat.slice(d)) cur = this.dot(env, cur, pb.constValue(k));
        return planPath(env, cur, dyn);
      }
      if (d === stat.length && hasDoc(node)) {
        return this.planDataPath(env, this.materialize(env, node), dyn);
      }
    }
    let cur: Operand = env.data;
    for (const k of stat) cur = this.dot(env, cur, pb.constValue(k));
    return this.planDataPath(env, cur, dyn);
  }

  /** Base data is JSON: an integer key indexes an array, or names the object key "2" (as
   *  OPA's storage paths do for `data.x[2]`). Other path elements plan as usual. */
  private planDataPath(env: Env, src: Operand, dyn: Term[]): Operand {
    let cur = src;
    let j = 0;
    for (; j < dyn.length; j++) {
      const t = dyn[j];
      if (t.type !== 'number' || !/^\d+$/.test(t.raw)) break;
      cur = this.dotIntOrString(env, cur, t.raw);
    }
    return planPath(env, cur, dyn.slice(j));
  }

  private dotIntOrString(env: Env, src: Operand, raw: string): Local {
    const fb = env.fb;
    const out = fb.local();
    fb.emit({ op: Op.Reset, target: out });
    const byIndex = fb.subBlock();
    fb.within(byIndex, () =>
      fb.emit({ op: Op.Dot, source: src, key: this.pb.constJson(raw), target: out }),
    );
    const byKey = fb.subBlock();
    fb.within(byKey, () => {
      fb.emit({ op: Op.IsUndefined, source: out });
      fb.emit({ op: Op.Dot, source: src, key: this.pb.constValue(raw), target: out });
    });
    fb.emit({ op: Op.IsDefined, source: out });
    return out;
  }

  private dot(env: Env, src: Operand, key: Operand): Local {
    const t = env.fb.local();
    env.fb.emit({ op: Op.Dot, source: src, key, target: t });
    return t;
  }

  private variantKey(env: Env): string {
    if (env.overrides.length === 0 && env.mocks.size === 0) return '';
    const mocks = [...env.mocks].map(([k, v]) => [k, stripLoc(v)]);
    return JSON.stringify([env.overrides.slice().sort(), mocks]);
  }

  private callNode(env: Env, node: RuleNode): Local {
    const f = this.funcFor(env, node, 'rule');
    const t = env.fb.local();
    env.fb.emit({ op: Op.Call, func: f, args: [env.input, env.data], target: t });
    return t;
  }

  private materialize(env: Env, node: RuleNode): Local {
    const f = this.funcFor(env, node, 'doc');
    const t = env.fb.local();
    env.fb.emit({ op: Op.Call, func: f, args: [env.input, env.data], target: t });
    return t;
  }

  /** The function of a node (planning it on first use) in the caller's with-variant. */
  funcFor(env: Env, node: RuleNode, what: 'rule' | 'doc'): number {
    const key = `${what}:${node.path.join('.')}:${this.variantKey(env)}`;
    const known = this.funcs.get(key);
    if (known !== undefined) {
      if (this.inProgress.includes(key)) {
        const cycle = this.inProgress
          .slice(this.inProgress.indexOf(key))
          .map((k) => k.split(':')[1]);
        const loc = node.rules[0]?.rule.loc ?? { file: '', line: 0, col: 0 };
        throw new RegoError(
          'REGO_RECURSION',
          `rule data.${node.path.join('.')} is recursive: ${[...cycle, node.path.join('.')].map((p) => 'data.' + p).join(' -> ')}`,
          loc,
        );
      }
      return known;
    }
    const params = what === 'rule' && node.kind === 'function' ? 2 + funcArity(node) : 2;
    const index = this.pb.reserveFunc(`data.${node.path.join('.')}`, params, params === 2);
    this.funcs.set(key, index);
    this.inProgress.push(key);
    try {
      const fb = new FuncBuilder(params);
      const base = this.newEnv(fb, NO_MODULE, env.overrides, env.mocks);
      const result = fb.local();
      if (what === 'doc') this.planDoc(base, node, result);
      else this.planRules(base, node, result);
      fb.finish(this.pb, index, result);
    } finally {
      this.inProgress.pop();
    }
    return index;
  }

  /** A virtual document: the rule values below `node`, merged over base data. */
  private planDoc(env: Env, node: RuleNode, result: Local): void {
    const fb = env.fb;
    const obj = fb.local();
    fb.emit({ op: Op.MakeObject, target: obj });
    this.insertChildren(env, node, obj, false);
    fb.emit({ op: Op.Assign, source: obj, target: result });
    const b = fb.subBlock();
    fb.within(b, () => {
      let cur: Operand = env.data;
      for (const k of node.path) cur = this.dot(env, cur, this.pb.constValue(k));
      fb.emit({ op: Op.IsObject, source: cur });
      // Where base data and a rule define the same key, OPA's merged document keeps the
      // base value (compliance case "base/virtual: conflicts").
      fb.emit({ op: Op.ObjectMerge, a: cur, b: obj, target: result });
    });
  }

  /** Inserts the value of each child with rules below it. A child holding only functions,
   *  or rules that are all undefined, still appears as an empty object, as in OPA. */
  private insertChildren(env: Env, node: RuleNode, obj: Local, once: boolean): void {
    const fb = env.fb;
    for (const [name, child] of node.children) {
      if (!hasDoc(child) || child.kind === 'function' || this.overridden(env, child.path)) continue;
      // A document read dynamically (`data[x]`) from inside one of its own rules: that rule
      // cannot be part of the answer without recursion; OPA evaluates the other children.
      if (this.isInProgress(env, child)) continue;
      const b = fb.subBlock();
      fb.within(b, () => {
        const v = child.rules.length > 0 ? this.callNode(env, child) : this.materialize(env, child);
        fb.emit({
          op: once ? Op.ObjectInsertOnce : Op.ObjectInsert,
          object: obj,
          key: this.pb.constValue(name),
          value: v,
        });
      });
    }
  }

  private planRules(env: Env, node: RuleNode, result: Local): void {
    const fb = env.fb;
    const pb = this.pb;
    if (node.kind === 'multi') fb.emit({ op: Op.MakeSet, target: result });
    if (node.kind === 'object') fb.emit({ op: Op.MakeObject, target: result });
    const args: Local[] = [];
    if (node.kind === 'function') for (let i = 0; i < funcArity(node); i++) args.push(2 + i);
    let deflt: RuleEntry | undefined;
    const entries =
      node.kind === 'object' ? [...node.rules, ...descendantEntries(node)] : node.rules;
    for (const entry of entries) {
      if (entry.rule.default) {
        deflt = entry;
        continue;
      }
      const b = fb.subBlock();
      fb.within(b, () => this.planRule(env, node, entry, result, args));
    }
    if (deflt) {
      const value = deflt.rule.value;
      const b = fb.subBlock();
      fb.within(b, () => {
        fb.emit({ op: Op.IsUndefined, source: result });
        const renv = {
          ...env,
          module: deflt!.module,
          scope: new Map(),
          declared: new Set<string>(),
        };
        const v = value ? planTerm(renv, value) : pb.constValue(true);
        fb.emit({ op: Op.Assign, source: v, target: result });
      });
    }
  }

  private planRule(env: Env, node: RuleNode, entry: RuleEntry, result: Local, args: Local[]): void {
    const fb = env.fb;
    const pb = this.pb;
    const rule = entry.rule;
    const renv: Env = {
      ...env,
      module: entry.module,
      scope: new Map(),
      declared: new Set(),
      rule: entry.rule,
    };
    // Function parameters: each is a pattern unified with the argument.
    if (rule.args) {
      const vs = new Set<string>();
      for (const a of rule.args) allVarsOfTerm(a, (n) => n === 'input' || n === 'data', vs);
      for (const v of vs) renv.declared.add(v);
      rule.args.forEach((a, i) => unifyOperand(renv, a, args[i]));
    }
    const headTerms: Term[] = [...entry.dynamic];
    if (rule.key) headTerms.push(rule.key);
    if (rule.value) headTerms.push(rule.value);
    const outer = outerNames(renv);
    for (const t of headTerms) allVarsOfTerm(t, (n) => resolveName(renv, n) !== undefined, outer);

    const action = (e: Env, value: Term | undefined, target: Local) => {
      switch (node.kind) {
        case 'multi':
          fb.emit({ op: Op.SetAdd, set: target, value: planTerm(e, rule.key!) });
          return;
        case 'object': {
          const keys = entry.dynamic.map((k) => planTerm(e, k));
          if (rule.kind === 'multi') {
            const elem = planTerm(e, rule.key!);
            fb.emit({
              op: Op.ObjectInsertPath,
              object: target,
              path: keys,
              value: elem,
              once: true,
              setLeaf: true,
            });
            return;
          }
          const v = value ? planTerm(e, value) : pb.constValue(true);
          if (keys.length === 1) {
            fb.emit({ op: Op.ObjectInsertOnce, object: target, key: keys[0], value: v });
          } else {
            fb.emit({ op: Op.ObjectInsertPath, object: target, path: keys, value: v, once: true });
          }
          return;
        }
        default: {
          const v = value ? planTerm(e, value) : pb.constValue(true);
          fb.emit({ op: Op.AssignOnce, source: v, target });
        }
      }
    };

    if (!rule.else || rule.else.length === 0) {
      planBody(renv, rule.body, outer, () => {
        planCoverMark(renv, rule.loc);
        action(renv, rule.value, result);
      });
      return;
    }
    // else chain: the first clause with a solution gives the value.
    const t = fb.local();
    const clauses = [{ value: rule.value, body: rule.body }, ...rule.else];
    clauses.forEach((c, i) => {
      const b = fb.subBlock();
      fb.within(b, () => {
        if (i > 0) fb.emit({ op: Op.IsUndefined, source: t });
        const cenv = childEnv(renv);
        planBody(cenv, c.body, outer, () => {
          planCoverMark(cenv, rule.loc);
          action(cenv, c.value, t);
        });
      });
    });
    const b = fb.subBlock();
    fb.within(b, () => {
      fb.emit({ op: Op.IsDefined, source: t });
      fb.emit({ op: Op.AssignOnce, source: t, target: result });
    });
  }

  /** True if a name (as written) denotes a builtin or a user-defined function. */
  namesFunction(env: Env, name: string[]): boolean {
    const g = resolveName(env, name[0]);
    if (g && g[0] === 'data')
      return this.tree.find([...g.slice(1), ...name.slice(1)])?.kind === 'function';
    return !g && builtinArity(name.join('.')) !== undefined;
  }

  /** Arity of the function a call names, if it names one (mocks aside). */
  arityOf(env: Env, t: CallTerm): number | undefined {
    const g = resolveName(env, t.fn[0]);
    if (g && g[0] === 'data') {
      const node = this.tree.find([...g.slice(1), ...t.fn.slice(1)]);
      return node?.kind === 'function' ? funcArity(node) : undefined;
    }
    return builtinArity(t.fn.join('.'));
  }

  /** A call of a builtin or of a user function (`f(x)`, `data.lib.f(x)`, `lib.f(x)`). */
  planCall(env: Env, t: CallTerm): Operand {
    const fb = env.fb;
    const pb = this.pb;
    let name = t.fn.join('.');
    let node: RuleNode | undefined;
    const g = resolveName(env, t.fn[0]);
    if (g && g[0] === 'data') {
      const full = [...g.slice(1), ...t.fn.slice(1)];
      node = this.tree.find(full);
      name = 'data.' + full.join('.');
      if (!node || node.kind !== 'function') {
        throw new RegoError('REGO_TYPE_ERROR', `undefined function ${name}`, t.loc);
      }
    }
    const mock = env.mocks.get(name);
    if (mock) {
      if (mock.type === 'var' || mock.type === 'ref') {
        const target = mockTarget(mock);
        if (target && this.namesFunction(env, target)) {
          const inner = { ...env, mocks: new Map([...env.mocks].filter(([k]) => k !== name)) };
          return this.planCall(inner, { ...t, fn: target });
        }
      }
      // The arguments are still evaluated: an undefined argument makes the call undefined.
      for (const op of planArgs(env, t.args)) {
        if (!isConst(op)) fb.emit({ op: Op.IsDefined, source: op });
      }
      return planTerm({ ...env, declared: new Set(), scope: new Map() }, mock);
    }
    // Annotations are known now: the calls are constants (annotations.ts).
    if (!node && name === 'rego.metadata.rule' && t.args.length === 0)
      return pb.constValue(ruleMetadata(env.rule));
    if (!node && name === 'rego.metadata.chain' && t.args.length === 0)
      return pb.constValue(chainMetadata(this.modules, env.module.module, env.rule));
    if (!node && name === 'print') return planPrint(env, t);
    // OPA 1.x removed the deprecated builtins from v1; v0 modules keep them.
    const removed = DEPRECATED_BUILTINS.has(name) && env.module.module.regoVersion !== 'v0';
    const arity = node ? funcArity(node) : removed ? undefined : builtinArity(name);
    if (arity === undefined)
      throw new RegoError('REGO_TYPE_ERROR', `undefined function ${name}`, t.loc);
    if (t.args.length !== arity && t.args.length !== arity + 1) {
      throw new RegoError(
        'REGO_TYPE_ERROR',
        `${name}: arity mismatch: ${t.args.length} arguments given, ${arity} expected`,
        t.loc,
      );
    }
    const args = planArgs(env, t.args.slice(0, arity));
    if (!node && RELATIONAL.has(name)) return this.planRelation(env, t, name, args);
    const target = fb.local();
    if (node) {
      const f = this.funcFor(env, node, 'rule');
      fb.emit({ op: Op.Call, func: f, args: [env.input, env.data, ...args], target });
    } else {
      fb.emit({ op: Op.CallBuiltin, builtin: pb.builtin(hostName(name), arity), args, target });
    }
    if (t.args.length === arity + 1) {
      unifyOperand(env, t.args[arity], target);
      return pb.constValue(true);
    }
    return target;
  }

  /**
   * A relation (`walk(x, [path, value])`, `[p, v] := walk(x)`): one solution per member of
   * what its host helper returns. The scan moves the rest of the body inside the loop, as any
   * iteration does, so each binding is seen by the expressions after the call.
   */
  private planRelation(env: Env, t: CallTerm, name: string, args: Operand[]): Operand {
    const fb = env.fb;
    const all = fb.local();
    fb.emit({
      op: Op.CallBuiltin,
      builtin: this.pb.builtin(hostAlias(name), args.length),
      args,
      target: all,
    });
    const k = fb.local();
    const v = fb.local();
    fb.enter((block) => ({ op: Op.Scan, source: all, key: k, value: v, block }));
    if (t.args.length === args.length + 1) {
      unifyOperand(env, t.args[args.length], v);
      return this.pb.constValue(true);
    }
    return v;
  }
}

/**
 * The name a builtin is called by. The JS SDK's own `sprintf` (C-style), `regex.split`
 * (a backtracking RegExp on policy input: ReDoS) and `json.is_valid` would win over the
 * project's implementations under their OPA names, so the module asks for aliases that only
 * the project's builtins (src/rego/builtins) answer.
 */
function hostName(name: string): string {
  return (SDK_SHADOWED as readonly string[]).includes(name) ? `warden:${name}` : name;
}

function mockTarget(t: Term): string[] | undefined {
  if (t.type === 'var') return [t.name];
  if (t.type === 'ref' && t.head.type === 'var' && t.path.every((p) => p.type === 'string')) {
    return [t.head.name, ...t.path.map((p) => (p as Term & { type: 'string' }).value)];
  }
  return undefined;
}

/**
 * The rules below an object node (`p[x] := …` beside `p.b.r contains "foo"`) are entries of
 * the same document: each is planned as an insert at its constant path plus its own dynamic
 * keys, so that sets and objects at shared paths merge instead of conflicting.
 */
function descendantEntries(node: RuleNode): RuleEntry[] {
  const out: RuleEntry[] = [];
  const walk = (n: RuleNode) => {
    for (const child of n.children.values()) {
      if (child.kind !== 'function') {
        const prefix = child.path.slice(node.path.length);
        for (const e of child.rules) {
          if (e.rule.default) continue;
          const loc = e.rule.loc;
          const keys: Term[] = prefix.map((value) => ({ type: 'string', value, loc }));
          out.push({ ...e, dynamic: [...keys, ...e.dynamic] });
        }
      }
      walk(child);
    }
  };
  walk(node);
  return out;
}

function funcArity(node: RuleNode): number {
  return node.rules.find((e) => e.rule.args)?.rule.args?.length ?? 0;
}
