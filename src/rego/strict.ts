// Strict-mode checks, as OPA's compiler runs them with `--strict` (`opa check --strict`):
// unused local assignments and declarations, unused and duplicate imports, and `input` /
// `data` shadowed by a rule, an argument or a local. Each problem names its place.
// https://www.openpolicyagent.org/docs/policy-language#strict-mode
import type { Loc, Module, Rule, VarTerm } from './ast.ts';

export interface StrictProblem {
  loc: Loc;
  message: string;
}

/** Every var occurrence below `node` (any AST value), in source order. */
function varsIn(node: unknown, out: VarTerm[] = []): VarTerm[] {
  if (Array.isArray(node)) {
    for (const x of node) varsIn(x, out);
  } else if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (o.type === 'var' && typeof o.name === 'string') out.push(o as unknown as VarTerm);
    if (o.type === 'call' && Array.isArray(o.fn)) {
      // a call names its function by its first segment (`lib.f` → lib), as a var would
      out.push({ type: 'var', name: String(o.fn[0]), loc: o.loc as Loc });
    }
    for (const [k, v] of Object.entries(o)) if (k !== 'loc' && k !== 'annotations') varsIn(v, out);
  }
  return out;
}

const sameLoc = (a: Loc, b: Loc) => a.line === b.line && a.col === b.col && a.file === b.file;
const isWildcard = (n: string) => n === '_' || n.startsWith('$');

/** Locals a rule's bodies declare: `x := …` (left side vars), `some x`, `some x in xs`. */
function declaredLocals(rule: Rule): { v: VarTerm; kind: 'assigned' | 'declared' }[] {
  const out: { v: VarTerm; kind: 'assigned' | 'declared' }[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== 'object' || node === null) return;
    const o = node as Record<string, unknown>;
    if (o.kind === 'assign') {
      for (const v of varsIn(o.left)) out.push({ v, kind: 'assigned' });
    } else if (o.kind === 'some' && Array.isArray(o.vars)) {
      for (const v of o.vars as VarTerm[]) out.push({ v, kind: 'declared' });
    } else if (o.kind === 'somein') {
      for (const v of varsIn([o.key, o.value].filter(Boolean))) out.push({ v, kind: 'declared' });
    }
    for (const [k, v] of Object.entries(o)) if (k !== 'loc') visit(v);
  };
  visit(rule.body);
  visit(rule.else);
  return out.filter((d) => !isWildcard(d.v.name));
}

function checkRule(rule: Rule, out: StrictProblem[]): void {
  const all = varsIn([rule.ref, rule.args, rule.key, rule.value, rule.body, rule.else]);
  for (const { v, kind } of declaredLocals(rule)) {
    const used = all.some((u) => u.name === v.name && !sameLoc(u.loc, v.loc));
    if (!used) out.push({ loc: v.loc, message: `${kind} var ${v.name} unused` });
  }
  const head = rule.ref[0];
  if (head?.type === 'var' && (head.name === 'input' || head.name === 'data')) {
    out.push({
      loc: rule.loc,
      message: `rules must not shadow ${head.name} (use a different rule name)`,
    });
  }
  for (const a of varsIn(rule.args ?? [])) {
    if (a.name === 'input' || a.name === 'data') {
      out.push({
        loc: a.loc,
        message: `args must not shadow ${a.name} (use a different variable name)`,
      });
    }
  }
  for (const { v } of declaredLocals(rule)) {
    if (v.name === 'input' || v.name === 'data') {
      out.push({
        loc: v.loc,
        message: `variables must not shadow ${v.name} (use a different variable name)`,
      });
    }
  }
}

function checkImports(m: Module, out: StrictProblem[]): void {
  const seen = new Map<string, Loc>();
  const used = new Set(varsIn(m.rules).map((v) => v.name));
  for (const imp of m.imports) {
    if (imp.path[0] !== 'data' && imp.path[0] !== 'input') continue; // rego.v1, future.keywords
    const name = imp.alias ?? imp.path[imp.path.length - 1];
    const key = `${imp.path.join('.')} as ${name}`;
    if (seen.has(key)) {
      out.push({ loc: imp.loc, message: `import must not shadow import ${imp.path.join('.')}` });
      continue;
    }
    seen.set(key, imp.loc);
    if (!used.has(name)) {
      out.push({ loc: imp.loc, message: `import ${imp.path.join('.')} unused` });
    }
  }
}

export function strictProblems(modules: Module[]): StrictProblem[] {
  const out: StrictProblem[] = [];
  for (const m of modules) {
    checkImports(m, out);
    for (const r of m.rules) checkRule(r, out);
  }
  return out.sort(
    (a, b) =>
      a.loc.file.localeCompare(b.loc.file) || a.loc.line - b.loc.line || a.loc.col - b.loc.col,
  );
}
