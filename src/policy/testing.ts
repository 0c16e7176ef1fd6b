// Running a policy directory's `test_*` rules, as `opa test` does: every module (tests included)
// compiled once with each test as an entrypoint, each test evaluated with no input; a test
// passes iff its value is `true`. https://www.openpolicyagent.org/docs/policy-testing
//   - Several rules of one test name are several tests, reported `test_x`, `test_x#01`, … (OPA's
//     tester runs each rule of a name on its own).
//   - A builtin with no implementation here fails only the tests whose evaluation calls it;
//     the others run (OPA's tester likewise only errors where the call happens).
import type { Module } from '../rego/ast.ts';
import { parseModule } from '../rego/parser.ts';
import { hostBuiltins } from '../rego/builtins/index.ts';
import { isWardenError } from '../errors/index.ts';
import { compileArtifact, readPolicyDir, type LoadOptions, type PolicyArtifact } from './bundle.ts';
import { instantiateEngine, SDK_BUILTINS } from './engine.ts';

export interface TestRule {
  /** Entrypoint: the rule path joined by '/' ("mcp/authz_test/test_deny", "t/test_x#01"). */
  entrypoint: string;
  /** "data.mcp.authz_test.test_deny", "data.t.test_x#01" */
  name: string;
  file: string;
  line: number;
  col?: number;
}

export interface TestOutcome extends TestRule {
  ok: boolean;
  /** The evaluation (or compile) error, when the test did not run to a value. */
  error?: string;
}

/** Complete rules named test_* without arguments. The second and later rules of one name in
 *  a package are renamed `test_x#01`, `test_x#02`… in the modules, so each is its own rule
 *  (and entrypoint); a test with an `else` chain is one rule. */
export function findTests(modules: Module[]): TestRule[] {
  const tests: TestRule[] = [];
  const seen = new Map<string, number>();
  for (const m of modules) {
    for (const r of m.rules) {
      const head = r.ref[0];
      if (r.kind !== 'complete' || r.args || r.ref.length !== 1 || head?.type !== 'var') continue;
      if (!head.name.startsWith('test_')) continue;
      const path = [...m.package, head.name].join('/');
      const n = seen.get(path) ?? 0;
      seen.set(path, n + 1);
      if (n > 0) head.name = `${head.name}#${String(n).padStart(2, '0')}`;
      tests.push({
        entrypoint: [...m.package, head.name].join('/'),
        name: ['data', ...m.package, head.name].join('.'),
        file: r.loc.file,
        line: r.loc.line,
        col: r.loc.col,
      });
    }
  }
  return tests;
}

/** Reads `dir` (tests included) and runs its tests. A compile error fails every test with it. */
export async function runTests(
  dir: string,
  opts: Pick<LoadOptions, 'regoVersion'> = {},
): Promise<TestOutcome[]> {
  const { files, data } = await readPolicyDir(dir, {
    includeTests: true,
    regoVersion: opts.regoVersion,
  });
  let modules: Module[];
  try {
    modules = files.map((f) => parseModule(f.path, f.text, f.regoVersion));
  } catch (e) {
    if (!isWardenError(e)) throw e;
    return [compileFailure(e.message, dir)];
  }
  return runTestModules(modules, data);
}

/** Host stand-ins for the builtins a compiled policy calls but nothing here implements: the
 *  engine then loads, and only an evaluation that reaches the call fails, naming it. */
export function missingBuiltinStubs(artifact: PolicyArtifact): Record<string, () => never> {
  const missing = (artifact.hostBuiltins ?? []).filter(
    (b) => !(b in hostBuiltins) && !SDK_BUILTINS.includes(b),
  );
  return Object.fromEntries(
    missing.map((b) => [
      b,
      () => {
        throw new Error(`builtin ${b} has no implementation here`);
      },
    ]),
  );
}

export async function runTestModules(
  modules: Module[],
  data: Record<string, unknown>,
): Promise<TestOutcome[]> {
  const tests = findTests(modules);
  if (tests.length === 0) return [];
  let engine;
  try {
    const artifact = compileArtifact(
      modules,
      data,
      tests.map((t) => t.entrypoint),
    );
    engine = await instantiateEngine(artifact, { builtins: missingBuiltinStubs(artifact) });
  } catch (e) {
    if (!isWardenError(e)) throw e;
    const msg = oneLine(e.message, e.where);
    return tests.map((t) => ({ ...t, ok: false, error: msg }));
  }
  return tests.map((t) => {
    try {
      return { ...t, ok: engine.evaluate(undefined, t.entrypoint).result === true };
    } catch (e) {
      if (!isWardenError(e)) throw e;
      return { ...t, ok: false, error: oneLine(e.message) };
    }
  });
}

const oneLine = (msg: string, where?: string): string =>
  (where ? `${where}: ${msg}` : msg).replace(/\s*\n\s*/g, ' ');

function compileFailure(msg: string, dir: string): TestOutcome {
  return { entrypoint: '', name: '(parse)', file: dir, line: 0, ok: false, error: oneLine(msg) };
}
