// `warden policy test DIR [-v]`: runs every `test_*` rule, like `opa test`. All modules (tests
// included) are compiled once with each test rule as an entrypoint; each test is evaluated
// with no input document, as `opa test` does, and passes iff its value is `true` (undefined and false
// fail; an evaluation error fails with its message). https://www.openpolicyagent.org/docs/policy-testing
import type { Module } from '../../rego/ast.ts';
import { parseModule } from '../../rego/parser.ts';
import { compileArtifact, readPolicyDir } from '../../policy/bundle.ts';
import { instantiateEngine } from '../../policy/engine.ts';
import { isWardenError } from '../../errors/index.ts';
import { parse, positionals } from '../args.ts';
import type { Io } from '../io.ts';
import { TEST_USAGE } from '../help.ts';

export interface TestRule {
  /** Entrypoint: the rule path joined by '/' ("mcp/authz_test/test_deny"). */
  entrypoint: string;
  /** "data.mcp.authz_test.test_deny" */
  name: string;
  file: string;
  line: number;
}

/** Complete rules named test_* without arguments, one per path (a test defined by several
 *  rule bodies is one test, as its value is one value). */
export function findTests(modules: Module[]): TestRule[] {
  const tests = new Map<string, TestRule>();
  for (const m of modules) {
    for (const r of m.rules) {
      const head = r.ref[0];
      if (r.kind !== 'complete' || r.args || r.ref.length !== 1 || head?.type !== 'var') continue;
      if (!head.name.startsWith('test_')) continue;
      const entrypoint = [...m.package, head.name].join('/');
      if (!tests.has(entrypoint)) {
        tests.set(entrypoint, {
          entrypoint,
          name: ['data', ...m.package, head.name].join('.'),
          file: r.loc.file,
          line: r.loc.line,
        });
      }
    }
  }
  return [...tests.values()];
}

export async function runTest(args: string[], io: Io): Promise<number> {
  const p = parse(args, { verbose: { type: 'boolean', short: 'v' } });
  const [dir] = positionals(p, ['DIR'], TEST_USAGE);
  const verbose = p.values.verbose === true;
  const { files, data } = await readPolicyDir(dir, { includeTests: true });
  const modules = files.map((f) => parseModule(f.path, f.text));
  const tests = findTests(modules);
  let passed = 0;
  let failed = 0;
  if (tests.length > 0) {
    const engine = await instantiateEngine(
      compileArtifact(
        files,
        data,
        tests.map((t) => t.entrypoint),
      ),
    );
    for (const t of tests) {
      const at = `${t.file}:${t.line} ${t.name}`;
      let error: string | undefined;
      let ok = false;
      try {
        ok = engine.evaluate(undefined, t.entrypoint).result === true;
      } catch (e) {
        if (!isWardenError(e)) throw e;
        error = e.message.replace(/\s*\n\s*/g, ' ');
      }
      if (ok) {
        passed++;
        if (verbose) io.stdout(`PASS ${at}\n`);
      } else {
        failed++;
        io.stdout(error === undefined ? `FAIL ${at}\n` : `FAIL ${at}: ${error}\n`);
      }
    }
  }
  io.stdout(`${passed} passed, ${failed} failed\n`);
  return failed > 0 ? 1 : 0;
}
