// Loading OPA's YAML compliance cases (v1/test/cases/testdata/v1/<category>/*.yaml; format in
// ../shared/opa-cases/README.md and OPA's test/cases/cases.go) without losing precision:
// integers beyond 2^53 (they occur, e.g. arithmetic/big_int) stay BigInt until comparison.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';

export interface TestCase {
  /** Unique within a run: the case's note, with " #2", " #3" appended to repeated notes. */
  key: string;
  note: string;
  category: string;
  file: string;
  query: string;
  modules: string[];
  data?: unknown;
  input?: unknown;
  input_term?: string;
  want_result?: Record<string, unknown>[];
  want_error?: string;
  want_error_code?: string;
  strict_error?: boolean;
  sort_bindings?: boolean;
}

/** Every *.yaml under `dir`, sorted, cases in file order; category = the file's directory. */
export async function loadCases(dir: string, categories?: Set<string>): Promise<TestCase[]> {
  const files: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/\.ya?ml$/.test(e.name)) files.push(p);
    }
  };
  await walk(dir);
  files.sort();
  const cases: TestCase[] = [];
  const seen = new Map<string, number>();
  for (const file of files) {
    const category = path.basename(path.dirname(file));
    if (categories && !categories.has(category)) continue;
    const doc = parseLossless(await readFile(file, 'utf8')) as { cases?: unknown[] } | null;
    for (const raw of doc?.cases ?? []) {
      const c = raw as Omit<TestCase, 'key' | 'category' | 'file'>;
      const n = (seen.get(c.note) ?? 0) + 1;
      seen.set(c.note, n);
      cases.push({
        ...c,
        modules: c.modules ?? [],
        key: n === 1 ? c.note : `${c.note} #${n}`,
        category,
        file: path.relative(dir, file),
      });
    }
  }
  return cases;
}

/** YAML with every integer as BigInt, then narrowed back to `number` where that is exact. */
export function parseLossless(text: string): unknown {
  return narrow(YAML.parse(text, { intAsBigInt: true }));
}

function narrow(v: unknown): unknown {
  if (typeof v === 'bigint') {
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(v)
      : v;
  }
  if (Array.isArray(v)) return v.map(narrow);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, narrow(x)]));
  }
  return v;
}

/** JSON text in which BigInts are written as their exact digits. */
export function toJson(v: unknown): string {
  if (typeof v === 'bigint') return v.toString();
  if (v === null || typeof v !== 'object') {
    const s = JSON.stringify(v);
    if (s === undefined) throw new TypeError(`not JSON: ${String(v)}`);
    return s;
  }
  if (Array.isArray(v)) return `[${v.map(toJson).join(',')}]`;
  const entries = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}:${toJson(x)}`);
  return `{${entries.join(',')}}`;
}

export type CaseQuery =
  /** `data.a.b = x`: the entrypoint "a/b" itself; the result is x. */
  | { kind: 'entrypoint'; entrypoint: string; variable: string }
  /** Any other query: compiled as the body of a rule in a package of its own, the way OPA's
   *  planner compiles a query into a plan of its own. The rule's value is an object of the
   *  variables the expected row binds, or `true` when it binds none. */
  | { kind: 'wrapper'; entrypoint: string; vars: string[]; module: string };

export const WRAPPER_PACKAGE = 'compliance_query';

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Maps a case's query to something a WASM entrypoint can answer; undefined for what it
 *  cannot: several result rows (one rule has one value) and queries over the whole of `data`
 *  (which would include the wrapper itself). */
export function planQuery(query: string, want?: Record<string, unknown>[]): CaseQuery | undefined {
  const q = query.trim();
  const direct = /^data((?:\.[A-Za-z_][A-Za-z0-9_]*)+)\s*=\s*([A-Za-z_][A-Za-z0-9_]*)$/.exec(q);
  if (direct && !['input', 'data'].includes(direct[2])) {
    const entrypoint = direct[1].slice(1).split('.').join('/');
    return { kind: 'entrypoint', entrypoint, variable: direct[2] };
  }
  // `data = x`: the whole document, which the compiler serves as the empty entrypoint.
  const whole = /^data\s*=\s*([A-Za-z_][A-Za-z0-9_]*)$/.exec(q);
  if (whole) return { kind: 'entrypoint', entrypoint: '', variable: whole[1] };
  if (want && want.length > 1) return undefined;
  if (/\bdata\b(?!\s*[.[])/.test(q.replace(/"(?:[^"\\]|\\.)*"/g, '""'))) return undefined;
  const vars = want && want.length === 1 ? Object.keys(want[0]) : [];
  if (!vars.every((v) => IDENT.test(v))) return undefined;
  const value = vars.length === 0 ? 'true' : `{${vars.map((v) => `"${v}": ${v}`).join(', ')}}`;
  const body = q
    .split('\n')
    .map((l) => `\t${l}`)
    .join('\n');
  const module = `package ${WRAPPER_PACKAGE}\n\nresult := ${value} if {\n${body}\n}\n`;
  return { kind: 'wrapper', entrypoint: `${WRAPPER_PACKAGE}/result`, vars, module };
}

export class UnsupportedTerm extends Error {}

/** A Rego term written like JSON (`input_term`): objects, arrays, strings, numbers, booleans,
 *  null, trailing commas allowed. Sets and anything else throw UnsupportedTerm — JSON input
 *  cannot express them. Integers beyond 2^53 come back as BigInt. */
export function parseJsonTerm(text: string): unknown {
  let i = 0;
  const ws = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  const fail = (what: string): never => {
    throw new UnsupportedTerm(`${what} at offset ${i}`);
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: Record<string, unknown> = {};
      ws();
      while (text[i] !== '}') {
        const k = value();
        ws();
        if (text[i] !== ':') fail('set term');
        if (typeof k !== 'string') fail('non-string object key');
        i++;
        obj[k as string] = value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== '}') fail('expected , or }');
        ws();
      }
      i++;
      return obj;
    }
    if (c === '[') {
      i++;
      const arr: unknown[] = [];
      ws();
      while (text[i] !== ']') {
        arr.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] !== ']') fail('expected , or ]');
        ws();
      }
      i++;
      return arr;
    }
    if (c === '"') {
      const m = /^"(?:[^"\\]|\\.)*"/.exec(text.slice(i)) ?? fail('unterminated string');
      i += (m as RegExpExecArray)[0].length;
      return JSON.parse((m as RegExpExecArray)[0]);
    }
    const num = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (num) {
      i += num[0].length;
      if (num[1] || num[2]) return Number(num[0]);
      return narrow(BigInt(num[0]));
    }
    for (const [word, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i) && !/[A-Za-z0-9_]/.test(text[i + word.length] ?? '')) {
        i += word.length;
        return v;
      }
    }
    return fail(`unsupported term ${JSON.stringify(text.slice(i, i + 10))}`);
  };
  const v = value();
  ws();
  if (i < text.length) fail('trailing text');
  return v;
}
