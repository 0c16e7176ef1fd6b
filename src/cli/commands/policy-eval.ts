// `warden policy eval (DIR|BUNDLE) [QUERY] [-e ENTRYPOINT] [-d FILE]... [--input FILE|-]
// [--format json|pretty|values]`: evaluates an entrypoint, a data path (`data.mcp.authz.allow`)
// or, for a directory, a query expression, through the WASM module, and prints the result set
// as `opa eval` does with `--format json` for one expression: `[{"result": …}]`, or `[]` when
// undefined. print() output goes to stderr, as `opa eval` writes it.
import { stat } from 'node:fs/promises';
import YAML from 'yaml';
import { UserInputError } from '../../errors/index.ts';
import {
  compileArtifact,
  DEFAULT_ENTRYPOINT,
  loadPolicySource,
  mergeData,
  parseDataFile,
  readPolicyDir,
  type PolicyArtifact,
} from '../../policy/bundle.ts';
import { instantiateEngine, type PolicyEngine } from '../../policy/engine.ts';
import type { SourceFile } from '../../rego/compile.ts';
import type { EvalOutput } from '../../rego/builtins/index.ts';
import { normalizeEntrypoint, parse, usageError, type Parsed } from '../args.ts';
import { readUserFile, type Io } from '../io.ts';
import { EVAL_USAGE } from '../help.ts';
import { queryModule, QUERY_ENTRYPOINT } from './policy-query.ts';

/** The flags of `warden policy eval` (one table, so a new flag is one line). */
export const EVAL_OPTIONS = {
  entrypoint: { type: 'string', short: 'e' },
  input: { type: 'string', short: 'i' },
  data: { type: 'string', short: 'd', multiple: true },
  format: { type: 'string', short: 'f' },
  'v0-compatible': { type: 'boolean' },
} as const;

const FORMATS = ['json', 'pretty', 'values'];

export async function runEval(args: string[], io: Io): Promise<number> {
  const p = parse(args, EVAL_OPTIONS);
  const format = (p.values.format as string | undefined) ?? 'json';
  if (!FORMATS.includes(format)) {
    throw usageError(
      `invalid --format ${JSON.stringify(format)}: expected json, pretty or values`,
      '--format',
    );
  }
  const printed: string[] = [];
  const { engine, entrypoint, inputJson } = await prepareEval(p, io, EVAL_USAGE, (o) => {
    if (o.kind === 'print') printed.push(`${o.text}\n`);
  });
  let result: unknown;
  try {
    result = engine.evaluateJson(inputJson, entrypoint).result;
  } finally {
    for (const line of printed) io.stderr(line);
  }
  io.stdout(render(result, format));
  return 0;
}

export interface PreparedEval {
  engine: PolicyEngine;
  entrypoint: string;
  inputJson: string | undefined;
}

/** The source, query / entrypoint, input and data of an eval-like command (eval, bench),
 *  loaded and instantiated. */
export async function prepareEval(
  p: Parsed,
  io: Io,
  usage: string,
  output?: (o: EvalOutput) => void,
): Promise<PreparedEval> {
  if (p.positionals.length === 0) throw usageError(`missing DIR or BUNDLE (usage: ${usage})`);
  if (p.positionals.length > 2) {
    throw usageError(`unexpected argument ${JSON.stringify(p.positionals[2])} (usage: ${usage})`);
  }
  const [source, query] = p.positionals;
  const requested = p.values.entrypoint as string | undefined;
  if (requested !== undefined && query !== undefined) {
    throw usageError('give either -e ENTRYPOINT or a QUERY, not both', '-e');
  }
  const pathEp = query === undefined ? undefined : dataPath(query);
  const ep = requested !== undefined ? normalizeEntrypoint(requested) : pathEp;
  const inputArg = p.values.input as string | undefined;
  // Read the input and data files before compiling, so a typo in a name fails fast.
  const inputJson = inputArg === undefined ? undefined : await readInput(inputArg, io);
  const regoVersion = p.values['v0-compatible'] === true ? 'v0' : undefined;
  const extra = await readExtra((p.values.data as string[] | undefined) ?? [], regoVersion);
  const isDir = (await stat(source).catch(() => undefined))?.isDirectory() ?? false;
  let artifact: PolicyArtifact;
  let entrypoint: string | undefined = ep;
  if (isDir) {
    const { files, data } = await readPolicyDir(source, { includeTests: false, regoVersion });
    for (const d of extra.data) mergeData(data, [], d.value, d.file);
    const all = [...files, ...extra.rego];
    if (query !== undefined && pathEp === undefined) {
      all.push(queryModule(query));
      entrypoint = QUERY_ENTRYPOINT;
    }
    artifact = compileArtifact(all, data, [entrypoint ?? DEFAULT_ENTRYPOINT]);
  } else {
    if (extra.rego.length > 0) {
      throw usageError('-d with a .rego file needs a policy directory, not a bundle', '-d');
    }
    if (query !== undefined && pathEp === undefined) {
      throw usageError(
        'a bundle answers entrypoints and data paths only (compile the directory to run a query)',
        query,
      );
    }
    artifact = await loadPolicySource(source, { regoVersion });
    for (const d of extra.data) mergeData(artifact.data, [], d.value, d.file);
  }
  const engine = await instantiateEngine(artifact, { output });
  entrypoint ??= engine.entrypoints.includes(DEFAULT_ENTRYPOINT)
    ? DEFAULT_ENTRYPOINT
    : engine.entrypoints[0];
  return { engine, entrypoint, inputJson };
}

function render(result: unknown, format: string): string {
  if (format === 'values')
    return JSON.stringify(result === undefined ? [] : [result], null, 2) + '\n';
  if (format === 'pretty')
    return result === undefined ? 'undefined\n' : JSON.stringify(result, null, 2) + '\n';
  return JSON.stringify(result === undefined ? [] : [{ result }], null, 2) + '\n';
}

/** `data.a.b`, `data.a["b-c"]` → "a/b" / "a/b-c"; undefined when the query is more than a
 *  plain data path (then it is compiled as an expression). */
export function dataPath(q: string): string | undefined {
  const s = q.trim();
  const m = /^data((?:\.[A-Za-z_][A-Za-z0-9_]*|\["[^"\\]*"\])*)$/.exec(s);
  if (!m) return undefined;
  const segs = [...m[1].matchAll(/\.([A-Za-z_][A-Za-z0-9_]*)|\["([^"\\]*)"\]/g)].map(
    (x) => x[1] ?? x[2],
  );
  if (segs.length === 0) return undefined;
  return segs.join('/');
}

/** `-d FILE`: JSON/YAML data merged at the root of `data` (as `opa eval -d` does for a data
 *  file), or an extra .rego module. */
async function readExtra(
  names: string[],
  regoVersion: 'v0' | undefined,
): Promise<{ data: { file: string; value: unknown }[]; rego: SourceFile[] }> {
  const data: { file: string; value: unknown }[] = [];
  const rego: SourceFile[] = [];
  for (const file of names) {
    const text = await readUserFile(file);
    if (file.endsWith('.rego'))
      rego.push({ path: file, text, ...(regoVersion && { regoVersion }) });
    else if (/\.(json|ya?ml)$/i.test(file)) {
      data.push({
        file,
        value: parseDataFile(/\.json$/i.test(file) ? 'x.json' : 'x.yaml', text, file),
      });
    } else {
      throw usageError('expected a .json, .yaml, .yml or .rego file', file);
    }
  }
  return { data, rego };
}

/** Returns the input as JSON text. JSON is passed on verbatim (so integers beyond 2^53 reach
 *  the module exactly); YAML (.yaml/.yml) is converted. */
async function readInput(arg: string, io: Io): Promise<string> {
  const name = arg === '-' ? '<stdin>' : arg;
  const text = arg === '-' ? await io.readStdin() : await readUserFile(arg);
  if (/\.ya?ml$/i.test(arg)) {
    try {
      return JSON.stringify(YAML.parse(text));
    } catch (e) {
      const err = e as { linePos?: { line: number; col: number }[]; message: string };
      const pos = err.linePos?.[0];
      throw new UserInputError('CLI_INPUT_INVALID', `invalid YAML: ${err.message.split('\n')[0]}`, {
        where: pos ? `${name}:${pos.line}:${pos.col}` : name,
      });
    }
  }
  try {
    JSON.parse(text);
  } catch (e) {
    throw new UserInputError('CLI_INPUT_INVALID', `invalid JSON: ${jsonReason(e as Error)}`, {
      where: jsonWhere(name, text, e as Error),
    });
  }
  return text;
}

/** V8's messages carry "at position N" (Node 20) or "(line L column C)" (Node 22+). */
function jsonWhere(name: string, text: string, e: Error): string {
  const lc = /line (\d+) column (\d+)/.exec(e.message);
  if (lc) return `${name}:${lc[1]}:${lc[2]}`;
  const pos = /position (\d+)/.exec(e.message);
  const at = pos ? Number(pos[1]) : text.trimEnd().length;
  const before = text.slice(0, at).split('\n');
  return `${name}:${before.length}:${before[before.length - 1].length + 1}`;
}

function jsonReason(e: Error): string {
  return e.message
    .replace(/\s*in JSON at position \d+.*$/, '')
    .replace(/\s*\(line \d+ column \d+\)$/, '')
    .replace(/^Unexpected end of JSON input$/, 'unexpected end of input');
}
