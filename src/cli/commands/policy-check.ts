// `warden policy check DIR [--strict]`: parses and compile-checks the Rego in DIR (tests
// included, as `opa check` does) without building, printing every problem as
// `file:line:col: message` (each file's syntax errors; then the compiler's first error; then
// each builtin the policy calls that nothing implements; with --strict, OPA's strict-mode
// checks). Prints `ok` and exits 0 when there are none, else exit 2.
import { isWardenError, type WardenError } from '../../errors/index.ts';
import { readPolicyDir } from '../../policy/bundle.ts';
import type { Module } from '../../rego/ast.ts';
import { compileModules } from '../../rego/compile.ts';
import { parseModule } from '../../rego/parser.ts';
import { strictProblems } from '../../rego/strict.ts';
import { parse, positionals } from '../args.ts';
import type { Io } from '../io.ts';
import { CHECK_USAGE } from '../help.ts';
import { missingBuiltinErrors } from './policy-builtins.ts';

const CHECK_OPTIONS = {
  strict: { type: 'boolean', short: 'S' },
  'v0-compatible': { type: 'boolean' },
} as const;

export async function runCheck(args: string[], io: Io): Promise<number> {
  const p = parse(args, CHECK_OPTIONS);
  const [dir] = positionals(p, ['DIR'], CHECK_USAGE);
  const regoVersion = p.values['v0-compatible'] === true ? 'v0' : undefined;
  const { files } = await readPolicyDir(dir, { includeTests: true, regoVersion });
  const problems: string[] = [];
  const line = (e: WardenError) => e.toLine().replace(/\s*\n\s*/g, ' ');
  const modules: Module[] = [];
  for (const f of files) {
    try {
      modules.push(parseModule(f.path, f.text, f.regoVersion));
    } catch (e) {
      if (!isWardenError(e)) throw e;
      problems.push(line(e));
    }
  }
  if (problems.length === 0) {
    try {
      const compiled = compileModules(files, { entrypoints: [] });
      for (const e of missingBuiltinErrors(modules, compiled.hostBuiltins)) problems.push(line(e));
    } catch (e) {
      if (!isWardenError(e)) throw e;
      problems.push(line(e));
    }
    if (p.values.strict === true) {
      for (const s of strictProblems(modules)) {
        problems.push(`${s.loc.file}:${s.loc.line}:${s.loc.col}: ${s.message}`);
      }
    }
  }
  if (problems.length === 0) {
    io.stdout('ok\n');
    return 0;
  }
  for (const pr of problems) io.stdout(`${pr}\n`);
  return 2;
}
