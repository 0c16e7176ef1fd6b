// `warden policy test DIR [-v]`: runs every `test_*` rule, like `opa test`. All modules (tests
// included) are compiled once with each test rule as an entrypoint; each test is evaluated
// with no input document, as `opa test` does, and passes iff its value is `true` (undefined and false
// fail; an evaluation error fails with its message). https://www.openpolicyagent.org/docs/policy-testing
import { parseModule } from '../../rego/parser.ts';
import { compileArtifact, readPolicyDir } from '../../policy/bundle.ts';
import { instantiateEngine } from '../../policy/engine.ts';
import { findTests, missingBuiltinStubs } from '../../policy/testing.ts';
import { isWardenError } from '../../errors/index.ts';
import { parse, positionals } from '../args.ts';
import type { Io } from '../io.ts';
import { TEST_USAGE } from '../help.ts';

export { findTests, type TestRule } from '../../policy/testing.ts';

export async function runTest(args: string[], io: Io): Promise<number> {
  const p = parse(args, {
    verbose: { type: 'boolean', short: 'v' },
    'v0-compatible': { type: 'boolean' },
  });
  const [dir] = positionals(p, ['DIR'], TEST_USAGE);
  const verbose = p.values.verbose === true;
  const regoVersion = p.values['v0-compatible'] === true ? 'v0' : undefined;
  const { files, data } = await readPolicyDir(dir, { includeTests: true, regoVersion });
  const modules = files.map((f) => parseModule(f.path, f.text, f.regoVersion));
  const tests = findTests(modules);
  let passed = 0;
  let failed = 0;
  if (tests.length > 0) {
    // findTests renamed same-name tests in `modules` (test_x#01): compile those.
    const artifact = compileArtifact(
      modules,
      data,
      tests.map((t) => t.entrypoint),
    );
    const engine = await instantiateEngine(artifact, { builtins: missingBuiltinStubs(artifact) });
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
