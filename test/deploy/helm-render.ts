// A tiny Go-template renderer for the subset of Helm the chart in deploy/helm uses (no helm
// binary here): actions with `{{-`/`-}}` trimming and comments, pipelines with `|` and
// parenthesised sub-expressions, fields (.Values.a.b, .Chart.Name, .Release.Name, .),
// `if`/`else if`/`else`, `with`, `define`, and the functions the templates call (Helm's
// "include", Sprig's default/quote/nindent/…, `.Capabilities.APIVersions.Has`). Anything outside the subset throws, so a template
// using something new fails the test instead of rendering wrongly.
import { createHash } from 'node:crypto';
import YAML from 'yaml';

type Node =
  | { t: 'text'; s: string }
  | { t: 'out'; p: string }
  | { t: 'if'; branches: { cond: string | null; body: Node[] }[] }
  | { t: 'with'; p: string; body: Node[]; else: Node[] };

interface Tok {
  kind: 'text' | 'action';
  s: string;
}

function lex(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open === -1 ? src.length : open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open === -1) {
      toks.push({ kind: 'text', s: text });
      break;
    }
    const close = src.indexOf('}}', open);
    if (close === -1) throw new Error('unclosed action');
    let body = src.slice(open + 2, close);
    if (body.startsWith('-')) {
      text = text.replace(/\s+$/, '');
      body = body.slice(1);
    }
    trimNext = body.endsWith('-');
    if (trimNext) body = body.slice(0, -1);
    toks.push({ kind: 'text', s: text });
    body = body.trim();
    if (!(body.startsWith('/*') && body.endsWith('*/'))) toks.push({ kind: 'action', s: body });
    i = close + 2;
  }
  return toks;
}

export class Template {
  readonly defines = new Map<string, Node[]>();

  /** Parses a file's text; its `define`s join the shared set, the rest is returned. */
  parse(src: string): Node[] {
    const toks = lex(src);
    let pos = 0;
    const block = (stops: RegExp): { nodes: Node[]; stop: string } => {
      const nodes: Node[] = [];
      while (pos < toks.length) {
        const tok = toks[pos++];
        if (tok.kind === 'text') {
          if (tok.s) nodes.push({ t: 'text', s: tok.s });
          continue;
        }
        const a = tok.s;
        if (stops.test(a)) return { nodes, stop: a };
        let m: RegExpExecArray | null;
        if ((m = /^define\s+"([^"]+)"$/.exec(a))) {
          this.defines.set(m[1], block(/^end$/).nodes);
        } else if ((m = /^if\s+(.+)$/.exec(a))) {
          const branches: { cond: string | null; body: Node[] }[] = [];
          let cond: string | null = m[1];
          for (;;) {
            const b = block(/^(else|else if\s+.+|end)$/);
            branches.push({ cond, body: b.nodes });
            if (b.stop === 'end') break;
            cond = b.stop === 'else' ? null : b.stop.replace(/^else if\s+/, '');
          }
          nodes.push({ t: 'if', branches });
        } else if ((m = /^with\s+(.+)$/.exec(a))) {
          const body = block(/^(else|end)$/);
          const alt = body.stop === 'else' ? block(/^end$/).nodes : [];
          nodes.push({ t: 'with', p: m[1], body: body.nodes, else: alt });
        } else if (/^(range|template|block)\b/.test(a)) {
          throw new Error(`unsupported action: ${a}`);
        } else nodes.push({ t: 'out', p: a });
      }
      return { nodes, stop: '' };
    };
    return block(/^$^/).nodes;
  }

  render(nodes: Node[], dot: unknown): string {
    let out = '';
    for (const n of nodes) {
      if (n.t === 'text') out += n.s;
      else if (n.t === 'out') out += str(this.pipeline(n.p, dot));
      else if (n.t === 'if') {
        const hit = n.branches.find((b) => b.cond === null || truthy(this.pipeline(b.cond, dot)));
        if (hit) out += this.render(hit.body, dot);
      } else {
        const v = this.pipeline(n.p, dot);
        out += truthy(v) ? this.render(n.body, v) : this.render(n.else, dot);
      }
    }
    return out;
  }

  private pipeline(src: string, dot: unknown): unknown {
    const toks = src.match(/"(?:[^"\\]|\\.)*"|\(|\)|\||[^\s()|]+/g) ?? [];
    let i = 0;
    const parsePipe = (): unknown => {
      let value: unknown;
      let first = true;
      for (;;) {
        const args: { v: unknown; fn?: string }[] = [];
        while (i < toks.length && toks[i] !== '|' && toks[i] !== ')') {
          const t = toks[i++];
          if (t === '(') {
            args.push({ v: parsePipe() });
            if (toks[i++] !== ')') throw new Error(`unbalanced parens in ${src}`);
          } else if (t.startsWith('"')) args.push({ v: JSON.parse(t) });
          else if (/^-?\d+$/.test(t)) args.push({ v: Number(t) });
          else if (t === 'true' || t === 'false') args.push({ v: t === 'true' });
          else if (t.startsWith('.')) args.push({ v: field(dot, t) });
          else if (/^[A-Za-z]\w*$/.test(t)) args.push({ v: undefined, fn: t });
          else throw new Error(`unsupported token ${t} in ${src}`);
        }
        if (args.length === 0) throw new Error(`empty command in ${src}`);
        const [head, ...rest] = args;
        const params = rest.map((a) => {
          if (a.fn) throw new Error(`nested call ${a.fn} needs parentheses in ${src}`);
          return a.v;
        });
        if (!first) params.push(value);
        if (head.fn) value = this.call(head.fn, params, src);
        // A method reached through a field, e.g. `.Capabilities.APIVersions.Has "a/v1"`.
        else if (typeof head.v === 'function')
          value = (head.v as (...a: unknown[]) => unknown)(...params);
        else if (params.length === 0) value = head.v;
        else throw new Error(`cannot pipe into a value in ${src}`);
        first = false;
        if (toks[i] === '|') i++;
        else return value;
      }
    };
    const v = parsePipe();
    if (i !== toks.length) throw new Error(`trailing tokens in ${src}`);
    return v;
  }

  private call(fn: string, a: unknown[], src: string): unknown {
    const n = (x: unknown) => Number(x);
    switch (fn) {
      case 'include': {
        const body = this.defines.get(String(a[0]));
        if (!body) throw new Error(`no template ${a[0]}`);
        return this.render(body, a[1]);
      }
      case 'toYaml':
        return a[0] === undefined || a[0] === null ? '' : YAML.stringify(a[0]).replace(/\n$/, '');
      case 'nindent':
        return `\n${indent(n(a[0]), str(a[1]))}`;
      case 'indent':
        return indent(n(a[0]), str(a[1]));
      case 'quote':
        return JSON.stringify(str(a[0]));
      case 'default':
        return truthy(a[1]) ? a[1] : a[0];
      case 'required':
        if (!truthy(a[1])) throw new Error(`required: ${a[0]}`);
        return a[1];
      case 'not':
        return !truthy(a[0]);
      case 'and':
        return a.find((x) => !truthy(x)) ?? a.at(-1);
      case 'printf': {
        let k = 1;
        return str(a[0]).replace(/%[sdv]/g, () => str(a[k++]));
      }
      case 'trunc':
        return str(a[1]).slice(0, n(a[0]));
      case 'trimSuffix':
        return str(a[1]).endsWith(str(a[0])) ? str(a[1]).slice(0, -str(a[0]).length) : str(a[1]);
      case 'contains':
        return str(a[1]).includes(str(a[0]));
      case 'sha256sum':
        return createHash('sha256').update(str(a[0])).digest('hex');
      default:
        throw new Error(`unsupported function ${fn} in ${src}`);
    }
  }
}

function field(dot: unknown, path: string): unknown {
  if (path === '.') return dot;
  let v: unknown = dot;
  for (const seg of path.slice(1).split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

/** Go's template truth: false, 0, nil and empty strings/collections are false. */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (v && typeof v === 'object') return Object.keys(v).length > 0;
  return Boolean(v);
}

const str = (v: unknown): string =>
  v === undefined || v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);

const indent = (n: number, s: string): string =>
  s
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');

/** Renders every template of a chart directory's files the way `helm template` would. */
export function renderChart(
  files: Record<string, string>,
  values: unknown,
  chart: Record<string, unknown>,
  release = { Name: 'warden', Namespace: 'mcp', Service: 'Helm' },
  /** The cluster's API versions, as `.Capabilities.APIVersions` (`group/version[/Kind]`). */
  apiVersions: string[] = [],
): Record<string, string> {
  const t = new Template();
  const bodies = new Map<string, Node[]>();
  // Helpers first, as Helm loads every file's defines before rendering.
  for (const name of Object.keys(files).sort(
    (a, b) => Number(!a.endsWith('.tpl')) - Number(!b.endsWith('.tpl')),
  ))
    bodies.set(name, t.parse(files[name]));
  const ctx = {
    Values: values,
    Chart: { Name: chart.name, Version: chart.version, AppVersion: chart.appVersion },
    Release: release,
    Capabilities: { APIVersions: { Has: (v: unknown) => apiVersions.includes(String(v)) } },
  };
  const out: Record<string, string> = {};
  for (const [name, nodes] of bodies) if (!name.startsWith('_')) out[name] = t.render(nodes, ctx);
  return out;
}
