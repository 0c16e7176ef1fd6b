// warden.yaml is checked against ONE JSON Schema, schema/warden.schema.json (also what editors
// autocomplete through yaml-language-server). ajv finds every mismatch; here they become
// problems an operator fixes: the YAML key path ("upstreams[1].tools.create_ticket.scope"),
// the line and column of that key when the text is known, and "did you mean" for an unknown
// key one or two edits from a known one.

import { createRequire } from 'node:module';
import { Ajv, type ErrorObject } from 'ajv';
import { isMap, isNode, isScalar, LineCounter, type Document } from 'yaml';
import { UserInputError } from '../errors/index.ts';

const require = createRequire(import.meta.url);
/** The published schema: adding a config key is one entry in it. */
export const CONFIG_SCHEMA = require('../../schema/warden.schema.json') as Record<string, unknown>;

const ajv = new Ajv({ allErrors: true, verbose: true, discriminator: true, strict: true });
const validateSchema = ajv.compile(CONFIG_SCHEMA);

/** One thing wrong with a config: where (file:line:col when known) and what. */
export interface ConfigProblem {
  /** Key path, "upstreams[1].url" ("(root)" for the document). */
  path: string;
  message: string;
  /** 1-based, when the YAML text is known. */
  line?: number;
  col?: number;
}

/** The YAML source of a config, to point problems at lines. */
export interface ConfigSource {
  doc: Document;
  lines: LineCounter;
}

type Seg = string | number;

const typeName = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'a list'
      : typeof v === 'object'
        ? 'a mapping'
        : typeof v;

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
};

/** "upstreams[1].tools.create_ticket" from ["upstreams", 1, "tools", "create_ticket"]. */
export function keyPath(segs: readonly Seg[]): string {
  let out = '';
  for (const s of segs)
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(s)) out += out ? `.${s}` : s;
    else out += `[${JSON.stringify(s)}]`;
  return out || '(root)';
}

/** JSON Pointer (RFC 6901) → segments; digits index arrays only where the data is one. */
function segments(pointer: string, data: unknown): Seg[] {
  if (!pointer) return [];
  const out: Seg[] = [];
  let at: unknown = data;
  for (const raw of pointer.slice(1).split('/')) {
    const s = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const seg: Seg = Array.isArray(at) && /^\d+$/.test(s) ? Number(s) : s;
    out.push(seg);
    at = (at as Record<string | number, unknown> | undefined)?.[seg];
  }
  return out;
}

/** Levenshtein distance, small strings only (config keys). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The closest known key within two edits (or a third of the key's length), else one the
 *  key begins (`batch` → `batch_size`), if any. */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  const prefixed = key.length >= 3 ? known.find((k) => k.startsWith(key)) : undefined;
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(key.toLowerCase(), k.toLowerCase());
    if (d < bestD) [best, bestD] = [k, d];
  }
  return bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : prefixed;
}

function message(e: ErrorObject): string {
  const p = e.params as Record<string, any>;
  const hint = (e.parentSchema as { description?: string } | undefined)?.description;
  switch (e.keyword) {
    case 'type': {
      const want = [p.type as string | string[]].flat().map((t) => TYPE_WORDS[t] ?? t);
      return `expected ${want.join(' or ')}, got ${typeName(e.data)}`;
    }
    case 'enum':
      return `expected one of ${(p.allowedValues as unknown[]).join(', ')}, got ${JSON.stringify(e.data)}`;
    case 'const':
      return `expected ${JSON.stringify(p.allowedValue)}`;
    case 'pattern':
      return `invalid value ${JSON.stringify(e.data)}${hint ? ` (${hint})` : ''}`;
    case 'minLength':
      return 'expected a non-empty string';
    case 'minimum':
      return `must be ≥ ${p.limit}`;
    case 'maximum':
      return `must be ≤ ${p.limit}`;
    case 'anyOf':
    case 'oneOf':
      return hint ? `expected ${hint}, got ${typeName(e.data)}` : 'matches none of the forms';
    default:
      return e.message ?? e.keyword;
  }
}

/** Where a key path is in the YAML text: the key of its last segment, else its value, else
 *  the nearest ancestor that is written. */
export function locate(
  src: ConfigSource,
  segs: readonly Seg[],
): { line: number; col: number } | undefined {
  for (let n = segs.length; n >= 0; n--) {
    const head = segs.slice(0, n);
    const parent = n > 0 ? src.doc.getIn(head.slice(0, -1), true) : undefined;
    let range: readonly number[] | null | undefined;
    if (n > 0 && isMap(parent)) {
      const pair = parent.items.find(
        (it) => (isScalar(it.key) ? it.key.value : it.key) === head[n - 1],
      );
      if (pair && isNode(pair.key)) range = pair.key.range;
    }
    if (!range) {
      const node = n > 0 ? src.doc.getIn(head, true) : src.doc.contents;
      if (isNode(node)) range = node.range;
    }
    if (range) return src.lines.linePos(range[0]);
  }
  return undefined;
}

const under = (path: string, base: string) => path === base || path.startsWith(`${base}/`);

/**
 * A failed anyOf/oneOf also reports each alternative's own failure, just before it. When the
 * value failed inside an alternative (a mapping with a bad key, a list with a bad item), those
 * inner errors say the most; otherwise the one summary line does (its description says what
 * is accepted).
 */
function collapseAlternatives(errors: ErrorObject[]): ErrorObject[] {
  const drop = new Set<ErrorObject>();
  errors.forEach((s, k) => {
    if ((s.keyword !== 'anyOf' && s.keyword !== 'oneOf') || !s.parentSchema?.description) return;
    let j = k;
    while (j > 0 && under(errors[j - 1].instancePath, s.instancePath)) j--;
    const group = errors.slice(j, k);
    const deeper = group.filter((e) => e.instancePath !== s.instancePath);
    for (const e of group) if (!deeper.length || !deeper.includes(e)) drop.add(e);
    if (deeper.length) drop.add(s);
  });
  return errors.filter((e) => !drop.has(e));
}

/** Every schema violation of `raw` (already ${VAR}-expanded), first in document order. */
export function schemaProblems(raw: unknown, src?: ConfigSource): ConfigProblem[] {
  if (validateSchema(raw)) return [];
  const kept = collapseAlternatives(validateSchema.errors ?? []);
  const seen = new Set<string>();
  const out: ConfigProblem[] = [];
  for (const e of kept) {
    let segs = segments(e.instancePath, raw);
    let msg: string;
    const p = e.params as Record<string, any>;
    if (e.keyword === 'additionalProperties') {
      const key = p.additionalProperty as string;
      segs = [...segs, key];
      const known = Object.keys(
        (e.parentSchema as { properties?: Record<string, unknown> }).properties ?? {},
      );
      const guess = didYouMean(key, known);
      msg = guess
        ? `unknown key (did you mean ${guess}?)`
        : `unknown key (expected one of: ${known.join(', ')})`;
    } else if (e.keyword === 'required') {
      segs = [...segs, p.missingProperty as string];
      msg = 'required key is missing';
    } else if (e.keyword === 'discriminator') {
      continue; // the tag's own enum (or required) error says it
    } else msg = message(e);
    const path = keyPath(segs);
    const dup = `${path}\u0000${msg}`;
    if (seen.has(dup)) continue;
    seen.add(dup);
    out.push({ path, message: msg, ...(src ? locate(src, segs) : {}) });
  }
  return out.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}

/** "file:line:col: path" (without the position when unknown, without the file when none). */
export function whereOf(file: string | undefined, p: Omit<ConfigProblem, 'message'>): string {
  const at = p.line ? `${file ?? ''}:${p.line}:${p.col}` : (file ?? '');
  return at ? `${at}: ${p.path}` : p.path;
}

/** "file:line:col: path: message". */
export const problemLine = (file: string | undefined, p: ConfigProblem): string =>
  `${whereOf(file, p)}: ${p.message}`;

/** A config with problems: `where` and `message` are the first; `details.problems` all. */
export class ConfigInvalidError extends UserInputError {
  constructor(
    readonly problems: ConfigProblem[],
    file?: string,
  ) {
    super('CONFIG_INVALID', problems[0].message, {
      where: whereOf(file, problems[0]),
      details: { problems: problems.map((p) => problemLine(file, p)) },
    });
  }
}
