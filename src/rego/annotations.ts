// Rego annotations (https://www.openpolicyagent.org/docs/policy-language#annotations): a comment
// block starting `# METADATA` directly above a package or rule holds YAML (title, description,
// authors, organizations, related_resources, scope, custom, …). `rego.metadata.rule()` and
// `rego.metadata.chain()` read them; annotations are known when the policy is compiled, so the
// planner turns both calls into constants (nothing reaches the host).
//
// Scopes: a block above a rule is `rule` scoped unless it says `document` (every rule of that
// path); above a package it is `package` unless it says `subpackages` (that package and all
// below it).

import { parse as parseYaml } from 'yaml';
import type { Module, Rule, Term } from './ast.ts';
import { RegoError } from './errors.ts';

export type Annotations = Record<string, unknown>;

interface Block {
  /** 1-based line of `# METADATA`. */
  line: number;
  /** 1-based line of the statement it annotates. */
  target: number;
  value: Annotations;
}

/** The METADATA blocks of a module's source, each with the line of the statement below it. */
export function scanAnnotations(file: string, text: string): Block[] {
  const lines = text.split(/\r\n|\n|\r/);
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*#\s*METADATA\s*$/.test(lines[i])) continue;
    const start = i;
    const yaml: string[] = [];
    for (i++; i < lines.length && /^\s*#/.test(lines[i]); i++)
      yaml.push(lines[i].replace(/^\s*# ?/, ''));
    let target = i;
    while (target < lines.length && lines[target].trim() === '') target++;
    let value: unknown;
    try {
      value = parseYaml(yaml.join('\n')) ?? {};
    } catch (e) {
      throw new RegoError('REGO_PARSE_ERROR', `invalid METADATA block: ${(e as Error).message}`, {
        file,
        line: start + 1,
        col: 1,
      });
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new RegoError('REGO_PARSE_ERROR', 'a METADATA block must be a YAML mapping', {
        file,
        line: start + 1,
        col: 1,
      });
    out.push({ line: start + 1, target: target + 1, value: value as Annotations });
    i--;
  }
  return out;
}

/** Attaches the blocks to the package or rule they precede (others are ignored, as by OPA). */
export function attachAnnotations(module: Module, blocks: Block[]): void {
  for (const b of blocks) {
    if (b.target === module.packageLoc.line) {
      module.annotations = normalize(b.value, 'package');
      continue;
    }
    const rule = module.rules.find((r) => r.loc.line === b.target);
    if (rule) rule.annotations = normalize(b.value, 'rule');
  }
}

/** OPA's shapes: authors and related resources as objects, a default scope. */
function normalize(v: Annotations, defaultScope: 'rule' | 'package'): Annotations {
  const out: Annotations = { ...v, scope: typeof v.scope === 'string' ? v.scope : defaultScope };
  if (Array.isArray(v.authors))
    out.authors = v.authors.map((a) => (typeof a === 'string' ? author(a) : a));
  if (Array.isArray(v.related_resources))
    out.related_resources = v.related_resources.map((r) =>
      typeof r === 'string' ? { ref: r } : r,
    );
  return out;
}

/** "Jane Doe <jane@example.com>" → {name, email}; a bare address is an email. */
function author(s: string): Annotations {
  const m = /^(.*?)\s*<([^>]+)>\s*$/.exec(s.trim());
  if (m) return { ...(m[1] ? { name: m[1] } : {}), email: m[2] };
  return s.includes('@') && !s.includes(' ') ? { email: s.trim() } : { name: s.trim() };
}

/** A rule's path under data: the package, then the head's constant parts. */
export function rulePath(module: Module, rule: Rule): string[] {
  const head = rule.ref.map((t: Term) =>
    t.type === 'var' ? t.name : t.type === 'string' ? t.value : undefined,
  );
  const cut = head.indexOf(undefined);
  return [...module.package, ...(head.slice(0, cut < 0 ? head.length : cut) as string[])];
}

/** `rego.metadata.rule()`: the rule's own (rule-scoped) annotations, or {}. */
export function ruleMetadata(rule: Rule | undefined): Annotations {
  return rule?.annotations?.scope === 'rule' ? rule.annotations : {};
}

/**
 * `rego.metadata.chain()`: from the rule up — its own annotations, document-scoped ones of the
 * same path, its package's, then `subpackages` ones from the package up to the root. The
 * first entry is always there, with annotations only when the rule has some.
 */
export function chainMetadata(modules: Module[], module: Module, rule: Rule | undefined) {
  const path = rule ? rulePath(module, rule) : module.package;
  const own = ruleMetadata(rule);
  const chain: Array<{ path: string[]; annotations?: Annotations }> = [
    { path, ...(Object.keys(own).length ? { annotations: own } : {}) },
  ];
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  for (const m of modules)
    for (const r of m.rules)
      if (r.annotations?.scope === 'document' && same(rulePath(m, r), path))
        chain.push({ path, annotations: r.annotations });
  for (const m of modules)
    if (m.annotations?.scope === 'package' && same(m.package, module.package))
      chain.push({ path: module.package, annotations: m.annotations });
  for (let n = module.package.length; n > 0; n--) {
    const prefix = module.package.slice(0, n);
    for (const m of modules)
      if (m.annotations?.scope === 'subpackages' && same(m.package, prefix))
        chain.push({ path: prefix, annotations: m.annotations });
  }
  return chain;
}
