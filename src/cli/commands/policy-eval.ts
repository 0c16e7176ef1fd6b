// `warden policy eval (DIR|BUNDLE) [-e ENTRYPOINT] --input FILE|-`: evaluates one entrypoint
// through the WASM module and prints the result set as `opa eval` does with `--format json`
// for an entrypoint: `[{"result": …}]`, or `[]` when the rule is undefined.
import { stat } from 'node:fs/promises';
import YAML from 'yaml';
import { UserInputError } from '../../errors/index.ts';
import { DEFAULT_ENTRYPOINT } from '../../policy/bundle.ts';
import { loadEngine } from '../../policy/engine.ts';
import { normalizeEntrypoint, parse, positionals } from '../args.ts';
import { readUserFile, type Io } from '../io.ts';
import { EVAL_USAGE } from '../help.ts';

export async function runEval(args: string[], io: Io): Promise<number> {
  const p = parse(args, {
    entrypoint: { type: 'string', short: 'e' },
    input: { type: 'string', short: 'i' },
    'v0-compatible': { type: 'boolean' },
  });
  const [source] = positionals(p, ['DIR or BUNDLE'], EVAL_USAGE);
  const requested = p.values.entrypoint as string | undefined;
  const ep = requested === undefined ? undefined : normalizeEntrypoint(requested);
  const inputArg = p.values.input as string | undefined;
  // Read the input before compiling, so a typo in its name fails fast.
  const inputJson = inputArg === undefined ? undefined : await readInput(inputArg, io);
  const isDir = (await stat(source).catch(() => undefined))?.isDirectory() ?? false;
  const engine = await loadEngine(source, {
    entrypoints: isDir ? [ep ?? DEFAULT_ENTRYPOINT] : undefined,
    regoVersion: p.values['v0-compatible'] === true ? 'v0' : undefined,
  });
  const entrypoint =
    ep ??
    (engine.entrypoints.includes(DEFAULT_ENTRYPOINT) ? DEFAULT_ENTRYPOINT : engine.entrypoints[0]);
  const { result } = engine.evaluateJson(inputJson, entrypoint);
  io.stdout(JSON.stringify(result === undefined ? [] : [{ result }], null, 2) + '\n');
  return 0;
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
