// `npm run real-world -- [--v0-compatible] [--each] [--verbose] DIR...`
// Runs real policy libraries' own tests the way `warden policy test` does (one compile per test
// directory, every test_* rule as an entrypoint, no input), through the project's parser,
// compiler and engine, and prints per library: tests passed / failed / errored and the most
// common causes. A library is taken as Rego v0 (OPA 1.x `--v0-compatible`, what its CI would
// pass) when a file of it does not parse as v1 but does as v0; `--v0-compatible` forces it.
// `--each`: every directory below DIR holding *_test.rego files is its own run (Gatekeeper's CI
// runs `opa test src/<group>/<template>/*.rego` per template).
// The libraries themselves are fetched outside the repository; none of their code lives here.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runTests, type TestOutcome } from '../src/policy/testing.ts';
import { readPolicyDir } from '../src/policy/bundle.ts';
import { parseModule } from '../src/rego/parser.ts';
import type { RegoVersion } from '../src/rego/ast.ts';

interface Tally {
  passed: number;
  failed: number;
  errors: number;
  causes: Map<string, number>;
}

async function testDirs(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name.endsWith('_test.rego'))) out.push(dir);
    for (const e of entries) {
      if (e.isDirectory() && !e.name.startsWith('.')) await walk(path.join(dir, e.name));
    }
  };
  await walk(root);
  return out.sort();
}

/** v0 when some file needs it: parses as v0 but not as v1. */
async function detectVersion(dir: string): Promise<RegoVersion> {
  const { files } = await readPolicyDir(dir, { includeTests: true });
  for (const f of files) {
    try {
      parseModule(f.path, f.text, 'v1');
    } catch {
      try {
        parseModule(f.path, f.text, 'v0');
        return 'v0';
      } catch {
        // broken either way: leave it to the run to report
      }
    }
  }
  return 'v1';
}

/** A cause without the parts that differ per occurrence (file positions, values). */
function causeOf(o: TestOutcome): string {
  const msg = o.error ?? 'test failed (false or undefined)';
  return msg
    .replace(/\S+\.rego:\d+(:\d+)?:?\s*/g, '')
    .replace(/"[^"]*"/g, '"…"')
    .slice(0, 140);
}

async function runLibrary(
  root: string,
  opts: { v0: boolean; each: boolean; verbose: boolean },
): Promise<Tally> {
  const tally: Tally = { passed: 0, failed: 0, errors: 0, causes: new Map() };
  const dirs = opts.each ? await testDirs(root) : [root];
  const version: RegoVersion = opts.v0 ? 'v0' : await detectVersion(root);
  for (const dir of dirs) {
    const outcomes = await runTests(dir, { regoVersion: version });
    for (const o of outcomes) {
      if (o.ok) tally.passed++;
      else {
        if (o.error !== undefined) tally.errors++;
        else tally.failed++;
        const c = causeOf(o);
        tally.causes.set(c, (tally.causes.get(c) ?? 0) + 1);
        if (opts.verbose) process.stdout.write(`  FAIL ${o.name}: ${o.error ?? ''}\n`);
      }
    }
  }
  process.stdout.write(
    `${root} (rego ${version}): ${tally.passed} passed, ${tally.failed} failed, ${tally.errors} errors\n`,
  );
  const top = [...tally.causes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
  for (const [cause, n] of top) process.stdout.write(`  ${String(n).padStart(5)}  ${cause}\n`);
  return tally;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'v0-compatible': { type: 'boolean' },
      each: { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
    },
  });
  if (positionals.length === 0) {
    process.stderr.write('usage: npm run real-world -- [--v0-compatible] [--each] [-v] DIR...\n');
    return 2;
  }
  let total = 0;
  let passed = 0;
  for (const dir of positionals) {
    const t = await runLibrary(path.resolve(dir), {
      v0: values['v0-compatible'] === true,
      each: values.each === true,
      verbose: values.verbose === true,
    });
    total += t.passed + t.failed + t.errors;
    passed += t.passed;
  }
  process.stdout.write(`total: ${passed}/${total} passed\n`);
  return passed === total ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
