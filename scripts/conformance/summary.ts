// The closing lines of `npm run conformance`: one line per target, then the totals. A target
// that could not run ("not available") fails the run only when the gateway is required.
// Scenarios a requirement set runs without scoring them count neither way.

import { isOk, type JudgedScenario } from './results.ts';

export interface TargetReport {
  target: string;
  url: string;
  rows: JudgedScenario[];
  /** Failures of the run itself (timeout, crash, no results). */
  problems: string[];
  outDir?: string;
  /** Why the target could not run at all. */
  unavailable?: string;
}

export interface Summary {
  /** Scenarios that passed (expected failures are not counted as passed). */
  passed: number;
  /** Unexpected failures, stale expected-failure entries and run problems. */
  failed: number;
  expectedFailures: number;
  ok: boolean;
  lines: string[];
}

export function summarize(reports: TargetReport[], requireGateway: boolean): Summary {
  let passed = 0;
  let failed = 0;
  let expectedFailures = 0;
  const lines: string[] = [];
  for (const r of reports) {
    if (r.unavailable) {
      if (requireGateway) failed++;
      lines.push(
        `${r.target.padEnd(7)} not available${requireGateway ? ' (required: WARDEN_CONFORMANCE_REQUIRE_GATEWAY is set)' : ''}`,
      );
      continue;
    }
    const p = r.rows.filter((x) => x.verdict === 'pass').length;
    const x = r.rows.filter((x) => x.verdict === 'expected-fail').length;
    const n = r.rows.filter((x) => x.verdict === 'not-scored').length;
    const f = r.rows.filter((x) => !isOk(x)).length + r.problems.length;
    passed += p;
    expectedFailures += x;
    failed += f;
    const extra = `${x ? `, ${x} expected failures` : ''}${n ? `, ${n} not scored` : ''}`;
    lines.push(`${r.target.padEnd(7)} ${p} passed, ${f} failed${extra}`);
  }
  return { passed, failed, expectedFailures, ok: failed === 0, lines };
}
