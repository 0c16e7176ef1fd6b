// Reading what the conformance suite wrote (`-o DIR`: one `server-<scenario>-<timestamp>/
// checks.json` per scenario) and judging it against an expected-failures file, by the suite's
// own rule (0.1.16 `--expected-failures`): a scenario fails if any check is FAILURE or WARNING;
// a listed scenario that passes is a stale entry and fails the run too. Under a requirement set
// (0.2 `--requirements`) only the required scenarios are judged; the others it runs are reported
// as "not scored", as the suite itself does.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export type CheckStatus = 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';

export interface Check {
  id: string;
  name: string;
  status: CheckStatus;
  errorMessage?: string;
  details?: Record<string, unknown>;
}

export interface ScenarioResult {
  scenario: string;
  checks: Check[];
}

export type Verdict = 'pass' | 'fail' | 'expected-fail' | 'stale' | 'not-scored';

export interface JudgedScenario {
  scenario: string;
  verdict: Verdict;
  passed: number;
  failed: number;
  warnings: number;
  /** First failing (or warning) check's message, for the table. */
  reason?: string;
}

/** `server-tools-call-image-2026-11-25T13-58-01-123Z` → `tools-call-image`. */
const RESULT_DIR = /^server-(.+)-(\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z)$/;

/** The scenarios in the order the suite ran them (their directories' timestamps). */
export function readResults(dir: string): ScenarioResult[] {
  if (!existsSync(dir)) return [];
  const found: (ScenarioResult & { at: string })[] = [];
  for (const entry of readdirSync(dir)) {
    const m = RESULT_DIR.exec(entry);
    const file = join(dir, entry, 'checks.json');
    if (!m || !existsSync(file)) continue;
    const checks = JSON.parse(readFileSync(file, 'utf8')) as Check[];
    found.push({ scenario: m[1], checks, at: m[2] });
  }
  found.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return found.map(({ scenario, checks }) => ({ scenario, checks }));
}

/** The `server:` list of an expected-failures file in the suite's format. */
export function readExpectedFailures(file: string): string[] {
  const doc = parse(readFileSync(file, 'utf8')) as unknown;
  if (doc == null) return [];
  if (typeof doc !== 'object' || Array.isArray(doc))
    throw new Error(`${file}: expected a mapping with a 'server' list`);
  const server = (doc as { server?: unknown }).server ?? [];
  if (!Array.isArray(server) || server.some((s) => typeof s !== 'string'))
    throw new Error(`${file}: 'server' must be a list of scenario names`);
  return server as string[];
}

/** A scenario the suite left no checks for: a failed run counts one failure, a stale entry none. */
const noResult = (scenario: string, verdict: Verdict, reason: string): JudgedScenario => ({
  scenario,
  verdict,
  passed: 0,
  failed: verdict === 'stale' ? 0 : 1,
  warnings: 0,
  reason,
});

export interface JudgeOptions {
  /** The scenarios a requirement set scores; any other scenario run is 'not-scored'. */
  scored?: ReadonlySet<string>;
  /** Whether every scenario the expected-failures file may name was run (default true); when
   * false (one `--scenario`), an entry naming a scenario that did not run is not stale. */
  ranAll?: boolean;
}

export function judge(
  results: ScenarioResult[],
  expected: string[],
  opts: JudgeOptions = {},
): JudgedScenario[] {
  const listed = new Set(expected);
  const judged = results.map((r): JudgedScenario => {
    const count = (s: CheckStatus) => r.checks.filter((c) => c.status === s).length;
    const [passed, failed, warnings] = [count('SUCCESS'), count('FAILURE'), count('WARNING')];
    const bad = failed + warnings > 0;
    const first = r.checks.find((c) => c.status === 'FAILURE' || c.status === 'WARNING');
    const verdict: Verdict =
      opts.scored && !opts.scored.has(r.scenario)
        ? 'not-scored'
        : bad
          ? listed.has(r.scenario)
            ? 'expected-fail'
            : 'fail'
          : listed.has(r.scenario)
            ? 'stale'
            : 'pass';
    return {
      scenario: r.scenario,
      verdict,
      passed,
      failed,
      warnings,
      reason: first && `${first.name}: ${first.errorMessage ?? first.status}`,
    };
  });
  const ran = new Set(results.map((r) => r.scenario));
  // A required scenario that threw leaves no checks.json (the suite only logs "Failed to run
  // scenario"); it still counts, as the failure the suite itself records for it.
  if (opts.scored && opts.ranAll !== false)
    for (const name of opts.scored)
      if (!ran.has(name))
        judged.push(
          noResult(
            name,
            listed.has(name) ? 'expected-fail' : 'fail',
            'required, but the suite wrote no result for it (see suite.log)',
          ),
        );
  // An entry naming no scenario that ran can never go stale by itself: flag it now. So is one
  // naming a scenario the requirement set does not score (the suite ignores such entries).
  for (const name of expected)
    if (opts.scored && !opts.scored.has(name))
      judged.push(
        noResult(
          name,
          'stale',
          'listed in the expected-failures file but not required by the requirement set',
        ),
      );
    else if (!ran.has(name) && opts.ranAll !== false && !opts.scored)
      judged.push(
        noResult(name, 'stale', 'listed in the expected-failures file but not run by the suite'),
      );
  return judged;
}

export const isOk = (j: JudgedScenario): boolean =>
  j.verdict === 'pass' || j.verdict === 'expected-fail' || j.verdict === 'not-scored';

const MARK: Record<Verdict, string> = {
  pass: 'pass',
  fail: 'FAIL',
  'expected-fail': 'fail (expected)',
  stale: 'STALE (passes, listed as expected failure)',
  'not-scored': 'not scored',
};

/** Fixed-width table: scenario, verdict, check counts, reason of the first failing check. */
export function table(rows: JudgedScenario[], width = 100): string {
  const w = Math.max(8, ...rows.map((r) => r.scenario.length));
  const lines = [`  ${'scenario'.padEnd(w)}  result`];
  for (const r of rows) {
    const counts = `${r.passed} ok${r.failed ? `, ${r.failed} failed` : ''}${r.warnings ? `, ${r.warnings} warnings` : ''}`;
    let line = `  ${r.scenario.padEnd(w)}  ${MARK[r.verdict]} (${counts})`;
    // Every verdict but a pass says why (a passing stale entry has no failing check to name).
    if (r.verdict !== 'pass' && r.reason)
      line += `\n  ${' '.repeat(w)}    ${r.reason.slice(0, width)}`;
    lines.push(line);
  }
  return lines.join('\n');
}
