// `warden policy test DIR [-v] [-r REGEX] [--format json] [--coverage [--threshold N]]`: runs every `test_*` rule, like `opa test`. All modules (tests
// included) are compiled once with each test rule as an entrypoint; each test is evaluated
// with no input document, as `opa test` does, and passes iff its value is `true` (undefined and false
// fail; an evaluation error fails with its message). https://www.openpolicyagent.org/docs/policy-testing
import { parseModule } from '../../rego/parser.ts';
import { compileArtifact, readPolicyDir } from '../../policy/bundle.ts';
import { instantiateEngine, type PolicyEngine } from '../../policy/engine.ts';
import { findTests, missingBuiltinStubs, type TestRule } from '../../policy/testing.ts';
import { isWardenError } from '../../errors/index.ts';
import type { EvalOutput } from '../../rego/builtins/index.ts';
import { parse, positionals, usageError } from '../args.ts';
import { jsonReport, textReport, type TestOutcome } from './policy-test-report.ts';
import { coverageReport, coverageText } from './policy-coverage.ts';
import type { Io } from '../io.ts';
import { TEST_USAGE } from '../help.ts';

export { findTests, type TestRule } from '../../policy/testing.ts';

/** The flags of `warden policy test` (one table, so a new flag is one line). */
const TEST_OPTIONS = {
  verbose: { type: 'boolean', short: 'v' },
  run: { type: 'string', short: 'r' },
  format: { type: 'string', short: 'f' },
  coverage: { type: 'boolean', short: 'c' },
  threshold: { type: 'string' },
  'v0-compatible': { type: 'boolean' },
} as const;

export async function runTest(args: string[], io: Io): Promise<number> {
  const p = parse(args, TEST_OPTIONS);
  const [dir] = positionals(p, ['DIR'], TEST_USAGE);
  const verbose = p.values.verbose === true;
  const format = (p.values.format as string | undefined) ?? 'pretty';
  if (format !== 'pretty' && format !== 'json') {
    throw usageError(
      `invalid --format ${JSON.stringify(format)}: expected pretty or json`,
      '--format',
    );
  }
  const filter = testFilter(p.values.run as string | undefined);
  const coverage = p.values.coverage === true || p.values.threshold !== undefined;
  const threshold = thresholdOf(p.values.threshold as string | undefined);
  const regoVersion = p.values['v0-compatible'] === true ? 'v0' : undefined;
  const { files, data } = await readPolicyDir(dir, { includeTests: true, regoVersion });
  const modules = files.map((f) => parseModule(f.path, f.text, f.regoVersion));
  const tests = findTests(modules).filter((t) => filter(t.name));
  const outcomes: TestOutcome[] = [];
  const hits = new Set<string>();
  let coverable: Map<string, Set<number>> | undefined;
  if (tests.length > 0) {
    // findTests renamed same-name tests in `modules` (test_x#01): compile those.
    const artifact = compileArtifact(
      modules,
      data,
      tests.map((t) => t.entrypoint),
      { coverage },
    );
    coverable = artifact.coverable;
    // A builtin nothing implements fails only the tests that reach it.
    const engine = await instantiateEngine(artifact, { builtins: missingBuiltinStubs(artifact) });
    for (const t of tests) outcomes.push(runOne(engine, t, hits));
  }
  const failed = outcomes.some((o) => !o.ok);
  if (coverage) {
    const report = coverageReport(coverable ?? new Map(), hits);
    if (format === 'json') io.stdout(JSON.stringify(report, null, 2) + '\n');
    else io.stdout(textReport(outcomes, verbose) + coverageText(report));
    if (threshold !== undefined && report.coverage < threshold) {
      io.stderr(
        `warden: coverage ${report.coverage.toFixed(2)}% is below the threshold ${threshold}%\n`,
      );
      return 2;
    }
    return failed ? 1 : 0;
  }
  io.stdout(format === 'json' ? jsonReport(outcomes) : textReport(outcomes, verbose));
  return failed ? 1 : 0;
}

/** One test, evaluated with no input as `opa test` does: passes iff its value is `true`. */
function runOne(engine: PolicyEngine, t: TestRule, hits: Set<string>): TestOutcome {
  const output: EvalOutput[] = [];
  const collect = (o: EvalOutput) => {
    if (o.kind === 'cover') hits.add(o.text);
    else output.push(o);
  };
  let error: string | undefined;
  let ok = false;
  const started = process.hrtime.bigint();
  try {
    ok = engine.evaluate(undefined, t.entrypoint, { output: collect }).result === true;
  } catch (e) {
    if (!isWardenError(e)) throw e;
    error = e.message.replace(/\s*\n\s*/g, ' ');
  }
  const durationNs = Number(process.hrtime.bigint() - started);
  return { test: t, ok, error, durationNs, output };
}

/** `-r REGEX` selects tests by their full name (data.pkg.test_x), as `opa test --run` does. */
function testFilter(pattern: string | undefined): (name: string) => boolean {
  if (pattern === undefined) return () => true;
  let re: RegExp;
  try {
    re = new RegExp(pattern);
  } catch (e) {
    throw usageError(`invalid -r regular expression: ${(e as Error).message}`, '-r');
  }
  return (name) => re.test(name);
}

function thresholdOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) {
    throw usageError(
      `invalid --threshold ${JSON.stringify(v)}: expected a percentage 0-100`,
      '--threshold',
    );
  }
  return n;
}
