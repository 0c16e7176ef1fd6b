// `npm run compliance -- DIR [--category X]... [--update-expected] [--verbose]`
// Runs OPA's YAML compliance cases (../shared/opa-cases) through our Rego → WASM compiler and
// the unmodified opa-wasm SDK, in-process, and checks the outcome against
// test/compliance/expected-failures.json. Exit 1 on an unexpected failure or a stale entry.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadCases, type TestCase } from './compliance/cases.ts';
import {
  judge,
  readExpected,
  updatedExpected,
  writeExpected,
  type Status,
} from './compliance/expected.ts';
import { skipSummary, table } from './compliance/report.ts';
import { runCase, type Outcome } from './compliance/run-case.ts';

const DEFAULT_EXPECTED = fileURLToPath(
  new URL('../test/compliance/expected-failures.json', import.meta.url),
);

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      category: { type: 'string', short: 'c', multiple: true },
      'update-expected': { type: 'boolean' },
      expected: { type: 'string' },
      verbose: { type: 'boolean', short: 'v' },
    },
  });
  if (positionals.length !== 1) {
    process.stderr.write(
      'usage: npm run compliance -- DIR [--category X]... [--update-expected] [--verbose]\n',
    );
    return 2;
  }
  const categories = values.category
    ? new Set(values.category.flatMap((c) => c.split(',')).map((c) => c.trim()))
    : undefined;
  const expectedFile = values.expected ?? DEFAULT_EXPECTED;
  const started = performance.now();
  let cases: TestCase[];
  try {
    cases = await loadCases(positionals[0], categories);
  } catch (e) {
    process.stderr.write(`cannot load cases from ${positionals[0]}: ${(e as Error).message}\n`);
    return 2;
  }
  if (cases.length === 0) {
    process.stderr.write(`no cases found under ${positionals[0]}\n`);
    return 2;
  }

  const byCategory = new Map<string, TestCase[]>();
  for (const c of cases) byCategory.set(c.category, [...(byCategory.get(c.category) ?? []), c]);
  const outcomes = new Map<string, Outcome[]>();
  const results = new Map<string, Status>();
  const failures: [TestCase, string][] = [];
  const tty = process.stderr.isTTY;
  let n = 0;
  for (const [category, list] of byCategory) {
    n++;
    const got: Outcome[] = [];
    for (const [i, c] of list.entries()) {
      if (tty) {
        process.stderr.write(
          `\r\x1b[K[${n}/${byCategory.size}] ${category} ${i + 1}/${list.length}`,
        );
      }
      let o: Outcome;
      try {
        o = await runCase(c);
      } catch (e) {
        o = { status: 'fail', reason: `runner error: ${(e as Error)?.stack ?? String(e)}` };
      }
      got.push(o);
      results.set(c.key, o.status);
      if (o.status === 'fail') failures.push([c, o.reason]);
      if (values.verbose && o.status !== 'pass') {
        process.stderr.write(
          `${tty ? '\r\x1b[K' : ''}${o.status.toUpperCase()} ${c.key}: ${o.reason}\n`,
        );
      }
    }
    outcomes.set(category, got);
    if (!tty) process.stderr.write(`[${n}/${byCategory.size}] ${category}: ${list.length} cases\n`);
  }
  if (tty) process.stderr.write('\r\x1b[K');

  const all = [...outcomes.values()].flat();
  const fullRun = categories === undefined;
  const expected = await readExpected(expectedFile);
  const verdict = judge(expected, results, fullRun);
  process.stdout.write(table(outcomes));
  process.stdout.write(skipSummary(all));
  if (verdict.unexpected.length > 0) {
    const reasons = new Map(failures.map(([c, r]) => [c.key, r]));
    process.stdout.write(`\nunexpected failures (${verdict.unexpected.length}):\n`);
    for (const key of verdict.unexpected) {
      process.stdout.write(`  ${key}: ${firstLine(reasons.get(key) ?? '')}\n`);
    }
  }
  if (verdict.stale.length > 0) {
    process.stdout.write(`\nstale expected failures (now passing or gone; remove them):\n`);
    for (const key of verdict.stale) process.stdout.write(`  ${key}\n`);
  }
  if (values['update-expected']) {
    const next = updatedExpected(expected, results, fullRun);
    await writeExpected(expectedFile, next);
    process.stdout.write(`\nwrote ${next.length} entries to ${expectedFile}\n`);
  }
  const secs = ((performance.now() - started) / 1000).toFixed(1);
  process.stderr.write(`${cases.length} cases in ${secs} s\n`);
  const passed = all.filter((o) => o.status === 'pass').length;
  const failed = all.filter((o) => o.status === 'fail').length;
  process.stdout.write(
    `${passed} passed, ${failed} failed, ${all.length - passed - failed} skipped\n`,
  );
  if (values['update-expected']) return 0;
  return verdict.unexpected.length > 0 || verdict.stale.length > 0 ? 1 : 0;
}

const firstLine = (s: string) => s.split('\n')[0].slice(0, 300);

process.exitCode = await main(process.argv.slice(2));
