// strings.render_template(template, vars): Go's text/template, as OPA runs it
// (topdown/strings.go): the vars are the data (`.`), numbers print as their JSON text, a missing
// key prints `<undefined>`. This is the part of text/template policies use: text and actions,
// `{{- -}}` trimming, comments, fields and variables (`.a.b`, `$x.a`, `$`), pipelines with `|`,
// `if`/`else if`/`else`, `range` (with `$i, $v :=`, and `else`), `with`, variable declarations,
// literals, and the functions and, or, not, len, index, eq, ne, lt, le, gt, ge, print, printf,
// println. Anything else is a template error, and the call is undefined.
import { sprintf } from './sprintf.ts';
import { compare, compareStrings, isArr, isObj } from './values.ts';

const UNDEFINED = '<undefined>';
class TemplateError extends Error {}

type Operand =
  | { k: 'field'; base: 'dot' | string; path: string[] } // base: dot, or a $variable
  | { k: 'lit'; v: unknown }
  | { k: 'fn'; name: string }
  | { k: 'sub'; p: Pipe };
type Pipe = { decl: string[]; cmds: Operand[][] };
type Node =
  | { k: 'text'; s: string }
  | { k: 'out'; p: Pipe }
  | { k: 'if' | 'with'; p: Pipe; then: Node[]; else: Node[] }
  | { k: 'range'; p: Pipe; then: Node[]; else: Node[] };

// ------------------------------------------------------------------------------ parsing

const TOKEN =
  /\s+|(:=|=|\||\(|\)|,)|("(?:[^"\\]|\\.)*"|`[^`]*`)|(\$[A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)|(\.(?:[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)?)|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)/y;

function tokenize(src: string): string[] {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < src.length) {
    const m = TOKEN.exec(src);
    if (!m) throw new TemplateError(`unexpected "${src.slice(TOKEN.lastIndex)}"`);
    if (m[0].trim()) out.push(m[0]);
  }
  return out;
}

function parsePipe(toks: string[], at: { i: number }, stop: string[] = []): Pipe {
  const decl: string[] = [];
  // `$x :=`, `$i, $v :=` (range) or `$x =`: variables declared by the pipeline.
  const vars: string[] = [];
  let j = at.i;
  while (toks[j]?.startsWith('$') && !toks[j].includes('.')) {
    vars.push(toks[j++]);
    if (toks[j] !== ',') break;
    j++;
  }
  if (vars.length > 0 && (toks[j] === ':=' || toks[j] === '=')) {
    decl.push(...vars);
    at.i = j + 1;
  }
  const cmds: Operand[][] = [[]];
  while (at.i < toks.length && !stop.includes(toks[at.i])) {
    const t = toks[at.i++];
    if (t === '|') cmds.push([]);
    else if (t === '(') {
      cmds.at(-1)!.push({ k: 'sub', p: parsePipe(toks, at, [')']) });
      at.i++;
    } else cmds.at(-1)!.push(operand(t));
  }
  if (cmds.some((c) => c.length === 0)) throw new TemplateError('empty command');
  return { decl, cmds };
}

function operand(t: string): Operand {
  if (t === '.') return { k: 'field', base: 'dot', path: [] };
  if (t.startsWith('.')) return { k: 'field', base: 'dot', path: t.slice(1).split('.') };
  if (t.startsWith('$')) {
    const [name, ...path] = t.split('.');
    return { k: 'field', base: name, path };
  }
  if (t.startsWith('"')) return { k: 'lit', v: JSON.parse(t) };
  if (t.startsWith('`')) return { k: 'lit', v: t.slice(1, -1) };
  if (/^-?\d/.test(t)) return { k: 'lit', v: Number(t) };
  if (t === 'true' || t === 'false') return { k: 'lit', v: t === 'true' };
  if (t === 'nil') return { k: 'lit', v: null };
  if (t in FUNCS) return { k: 'fn', name: t };
  throw new TemplateError(`function "${t}" not defined`);
}

/** Splits the source into text and actions, applying `{{-`/`-}}` trimming and comments. */
function parse(src: string): Node[] {
  const parts: Array<{ text: string } | { action: string }> = [];
  let pos = 0;
  while (pos < src.length) {
    const open = src.indexOf('{{', pos);
    if (open < 0) {
      parts.push({ text: src.slice(pos) });
      break;
    }
    let text = src.slice(pos, open);
    const close = src.indexOf('}}', open + 2);
    if (close < 0) throw new TemplateError('unclosed action');
    let inner = src.slice(open + 2, close);
    if (/^-\s/.test(inner)) {
      text = text.replace(/\s+$/, '');
      inner = inner.slice(1);
    }
    let trimAfter = false;
    if (/\s-$/.test(inner)) {
      trimAfter = true;
      inner = inner.slice(0, -1);
    }
    parts.push({ text });
    if (!/^\s*\/\*[\s\S]*\*\/\s*$/.test(inner)) parts.push({ action: inner.trim() });
    pos = close + 2;
    if (trimAfter) while (pos < src.length && /\s/.test(src[pos])) pos++;
  }
  let k = 0;
  type Block = { nodes: Node[]; end: '' | 'end' | 'else' | 'elseif'; rest: string[] };
  const block = (nested: boolean): Block => {
    const nodes: Node[] = [];
    while (k < parts.length) {
      const part = parts[k++];
      if ('text' in part) {
        if (part.text) nodes.push({ k: 'text', s: part.text });
        continue;
      }
      const toks = tokenize(part.action);
      const word = toks[0];
      if (word === 'end' || word === 'else') {
        if (!nested) throw new TemplateError(`unexpected {{${word}}}`);
        if (word === 'else' && toks[1] === 'if')
          return { nodes, end: 'elseif', rest: toks.slice(2) };
        return { nodes, end: word, rest: [] };
      }
      if (word === 'if' || word === 'range' || word === 'with')
        nodes.push(control(word, toks.slice(1)));
      else nodes.push({ k: 'out', p: parsePipe(toks, { i: 0 }) });
    }
    if (nested) throw new TemplateError('unexpected EOF: missing {{end}}');
    return { nodes, end: '', rest: [] };
  };
  /** if/range/with up to its {{end}}; `{{else if …}}` is an if nested in the else branch. */
  const control = (kind: 'if' | 'range' | 'with', toks: string[]): Node => {
    const p = parsePipe(toks, { i: 0 });
    const then = block(true);
    let els: Node[] = [];
    if (then.end === 'elseif') els = [control('if', then.rest)];
    else if (then.end === 'else') {
      const e = block(true);
      if (e.end !== 'end') throw new TemplateError('expected {{end}} after {{else}}');
      els = e.nodes;
    }
    return { k: kind, p, then: then.nodes, else: els };
  };
  return block(false).nodes;
}

// ------------------------------------------------------------------------------ evaluation

/** Go's %v of a JSON value (numbers keep their JSON text, as OPA passes json.Number). */
function text(v: unknown): string {
  if (v === undefined) return UNDEFINED;
  if (v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (isArr(v)) return '[' + v.map(text).join(' ') + ']';
  if (isObj(v))
    return (
      'map[' +
      Object.keys(v)
        .sort(compareStrings)
        .map((key) => `${key}:${text(v[key])}`)
        .join(' ') +
      ']'
    );
  return String(v);
}

/** text/template's truth: false, 0, nil and empty values are false. */
function truthy(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (isArr(v)) return v.length > 0;
  if (isObj(v)) return Object.keys(v).length > 0;
  return true;
}

const cmp = (f: (c: number) => boolean) => (a: unknown, b: unknown) => f(compare(a, b));
const FUNCS: Record<string, (...args: unknown[]) => unknown> = {
  and: (...a) => a.find((x) => !truthy(x)) ?? a.at(-1),
  or: (...a) => a.find((x) => truthy(x)) ?? a.at(-1),
  not: (a) => !truthy(a),
  len: (a) => {
    if (typeof a === 'string') return [...a].length;
    if (isArr(a)) return a.length;
    if (isObj(a)) return Object.keys(a).length;
    throw new TemplateError('len of a value without a length');
  },
  index: (a, ...keys) =>
    keys.reduce<unknown>(
      (x, key) => (isArr(x) ? x[Number(key)] : isObj(x) ? x[String(key)] : undefined),
      a,
    ),
  eq: (a, ...bs) => bs.some((b) => compare(a, b) === 0),
  ne: cmp((c) => c !== 0),
  lt: cmp((c) => c < 0),
  le: cmp((c) => c <= 0),
  gt: cmp((c) => c > 0),
  ge: cmp((c) => c >= 0),
  print: (...a) => a.map(text).join(''),
  println: (...a) => a.map(text).join(' ') + '\n',
  printf: (f, ...a) => sprintf(f, a) ?? '',
};

interface Scope {
  dot: unknown;
  vars: Map<string, unknown>;
}

function field(v: unknown, path: string[]): unknown {
  let x = v;
  for (const p of path) x = isObj(x) ? x[p] : undefined;
  return x;
}

function evalOperand(o: Operand, s: Scope): unknown {
  switch (o.k) {
    case 'lit':
      return o.v;
    case 'sub':
      return evalPipe(o.p, s);
    case 'fn':
      throw new TemplateError(`${o.name} used as a value`);
    case 'field': {
      if (o.base === 'dot') return field(s.dot, o.path);
      if (!s.vars.has(o.base)) throw new TemplateError(`undefined variable "${o.base}"`);
      return field(s.vars.get(o.base), o.path);
    }
  }
}

function evalPipe(p: Pipe, s: Scope): unknown {
  let prev: unknown = undefined;
  p.cmds.forEach((cmd, i) => {
    const [head, ...rest] = cmd;
    const args = rest.map((o) => evalOperand(o, s));
    if (i > 0) args.push(prev); // a pipeline passes its value as the last argument
    if (head.k === 'fn') prev = FUNCS[head.name](...args);
    else if (args.length > (i > 0 ? 1 : 0))
      throw new TemplateError('a value cannot take arguments');
    else prev = evalOperand(head, s);
  });
  if (p.decl.length === 1) s.vars.set(p.decl[0], prev);
  return prev;
}

function exec(nodes: Node[], s: Scope, out: string[]): void {
  for (const n of nodes) {
    switch (n.k) {
      case 'text':
        out.push(n.s);
        break;
      case 'out': {
        const v = evalPipe(n.p, s);
        if (n.p.decl.length === 0) out.push(text(v));
        break;
      }
      case 'if':
      case 'with': {
        const v = evalPipe(n.p, s);
        const inner = { dot: n.k === 'with' ? v : s.dot, vars: new Map(s.vars) };
        exec(truthy(v) ? n.then : n.else, truthy(v) ? inner : s, out);
        break;
      }
      case 'range': {
        const decl = n.p.decl;
        const v = evalPipe({ ...n.p, decl: [] }, s);
        const entries: Array<[unknown, unknown]> = isArr(v)
          ? v.map((x, i) => [i, x])
          : isObj(v)
            ? Object.keys(v)
                .sort(compareStrings)
                .map((key) => [key, v[key]])
            : [];
        if (!isArr(v) && !isObj(v) && v !== undefined && v !== null)
          throw new TemplateError(`range can't iterate over ${text(v)}`);
        if (entries.length === 0) exec(n.else, s, out);
        for (const [key, x] of entries) {
          const vars = new Map(s.vars);
          if (decl.length === 1) vars.set(decl[0], x);
          if (decl.length === 2) vars.set(decl[0], key).set(decl[1], x);
          exec(n.then, { dot: x, vars }, out);
        }
        break;
      }
    }
  }
}

export const templateBuiltins = {
  'strings.render_template': (template: unknown, vars: unknown): string | undefined => {
    if (typeof template !== 'string' || !isObj(vars)) return undefined;
    try {
      const out: string[] = [];
      exec(parse(template), { dot: vars, vars: new Map([['$', vars]]) }, out);
      return out.join('');
    } catch (e) {
      if (e instanceof TemplateError) return undefined;
      throw e;
    }
  },
};
