// The rule tree: every rule of every module placed at its path under `data`, the way OPA's
// compiler builds its RuleTree. A rule's node is the ground (all-string) prefix of its head
// ref: `a.b.c := 1` lives at data.pkg.a.b.c; `p[x] := y` lives at data.pkg.p with one
// dynamic key. Reading `data.…` consults this tree to decide between calling a rule
// function, building a virtual document, or reading base data.

import type { Module, Rule, Term } from '../ast.ts';
import { RegoError } from '../errors.ts';

export type NodeKind = 'complete' | 'multi' | 'object' | 'function';

export interface RuleEntry {
  rule: Rule;
  module: ModuleCtx;
  /** Head ref elements after the ground prefix (non-empty only for object rules). */
  dynamic: Term[];
}

export interface RuleNode {
  path: string[]; // without "data"
  children: Map<string, RuleNode>;
  rules: RuleEntry[];
  kind?: NodeKind;
  /** A module declares this package: its document exists (as {}) even without rules. */
  pkg?: boolean;
}

export interface ModuleCtx {
  module: Module;
  pkg: string[];
  /** Import aliases → absolute ref path, e.g. "lib" → ["data","lib"], "x" → ["input","x"]. */
  imports: Map<string, string[]>;
}

export class RuleTree {
  readonly root: RuleNode = { path: [], children: new Map(), rules: [] };

  constructor(modules: Module[]) {
    for (const m of modules) {
      const ctx = moduleCtx(m);
      this.ensure(m.package).pkg = true;
      for (const rule of m.rules) this.add(rule, ctx);
    }
    this.classify(this.root);
  }

  private add(rule: Rule, ctx: ModuleCtx): void {
    const head = rule.ref;
    const names: string[] = [];
    let i = 0;
    for (; i < head.length; i++) {
      const t = head[i];
      if (i === 0 && t.type === 'var') names.push(t.name);
      else if (i > 0 && t.type === 'string') names.push(t.value);
      else break;
    }
    const dynamic = head.slice(i);
    const node = this.ensure([...ctx.pkg, ...names]);
    node.rules.push({ rule, module: ctx, dynamic });
  }

  ensure(path: string[]): RuleNode {
    let n = this.root;
    for (let i = 0; i < path.length; i++) {
      let c = n.children.get(path[i]);
      if (!c) {
        c = { path: path.slice(0, i + 1), children: new Map(), rules: [] };
        n.children.set(path[i], c);
      }
      n = c;
    }
    return n;
  }

  /** The node at `path`, if the tree has one (with or without rules). */
  find(path: string[]): RuleNode | undefined {
    let n: RuleNode | undefined = this.root;
    for (const p of path) {
      n = n.children.get(p);
      if (!n) return undefined;
    }
    return n;
  }

  private classify(n: RuleNode): void {
    const kinds = new Set<NodeKind>();
    let defaults = 0;
    for (const e of n.rules) {
      if (e.rule.default) defaults++;
      if (e.rule.kind === 'function') kinds.add('function');
      else if (e.rule.kind === 'multi') kinds.add(e.dynamic.length > 0 ? 'object' : 'multi');
      else kinds.add(e.dynamic.length > 0 ? 'object' : 'complete');
    }
    if (kinds.size > 1) {
      // A default `p := x` beside `p[k] := v` rules is how OPA writes a default object.
      const k = [...kinds].sort().join(' and ');
      throw new RegoError(
        'REGO_TYPE_ERROR',
        `conflicting rules data.${n.path.join('.')} found (${k} rules)`,
        n.rules[0].rule.loc,
      );
    }
    if (defaults > 1) {
      const second = n.rules.filter((e) => e.rule.default)[1];
      throw new RegoError(
        'REGO_TYPE_ERROR',
        `multiple default rules data.${n.path.join('.')} found`,
        second.rule.loc,
      );
    }
    n.kind = kinds.size === 1 ? [...kinds][0] : undefined;
    if (
      (n.kind === 'complete' || n.kind === 'multi' || n.kind === 'function') &&
      hasRules(n, true)
    ) {
      const child = firstRuleDescendant(n);
      throw new RegoError(
        'REGO_TYPE_ERROR',
        `rule data.${n.path.join('.')} conflicts with [data.${child?.path.join('.')}]`,
        n.rules[0].rule.loc,
      );
    }
    for (const c of n.children.values()) this.classify(c);
  }
}

/** True if the node or (with `onlyBelow`) any strict descendant has rules. */
export function hasRules(n: RuleNode, onlyBelow = false): boolean {
  if (!onlyBelow && n.rules.length > 0) return true;
  for (const c of n.children.values()) if (hasRules(c)) return true;
  return false;
}

/** True if reading the node gives a virtual document: rules or a package below it. */
export function hasDoc(n: RuleNode): boolean {
  if (n.rules.length > 0 || n.pkg) return true;
  for (const c of n.children.values()) if (hasDoc(c)) return true;
  return false;
}

function firstRuleDescendant(n: RuleNode): RuleNode | undefined {
  for (const c of n.children.values()) {
    if (c.rules.length > 0) return c;
    const d = firstRuleDescendant(c);
    if (d) return d;
  }
  return undefined;
}

function moduleCtx(m: Module): ModuleCtx {
  const imports = new Map<string, string[]>();
  for (const imp of m.imports) {
    const root = imp.path[0];
    if (root !== 'data' && root !== 'input') continue; // rego.v1, future.keywords: no-ops in v1
    const alias = imp.alias ?? imp.path[imp.path.length - 1];
    imports.set(alias, imp.path);
  }
  return { module: m, pkg: m.package, imports };
}
