// `npm run conformance [-- --target direct|mcp|dropin|all] [--suite active|all|pending]
//                          [--scenario S] [--out DIR]`
//
// Runs the official MCP conformance suite (@modelcontextprotocol/conformance 0.1.16, active
// server scenarios) against:
//   direct  the fixture upstream itself (test/conformance/fixture-server.ts): the baseline
//   mcp     the gateway's aggregated /mcp, with the fixture as its only upstream
//   dropin  the gateway's drop-in route /u/fixture/mcp
// Each target has its own expected-failures file, test/conformance/expected-failures.<target>.yaml
// (the suite's format); a failure not listed, or a listed scenario that passes, fails the run.
// The gateway targets are "not available" until `warden serve` exists and starts; that is only
// an error when WARDEN_CONFORMANCE_REQUIRE_GATEWAY is set (CI sets it).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startFixtureServer, type FixtureServer } from '../test/conformance/fixture-server.ts';
import { TOOL_DEFS } from '../test/conformance/fixture/tools.ts';
import {
  UPSTREAM,
  gatewayConfig,
  gatewayMissing,
  mintToken,
  startGateway,
  type RunningGateway,
} from './conformance/gateway.ts';
import { isOk, judge, readExpectedFailures, readResults, table } from './conformance/results.ts';
import { ROOT, ensureSuite, runSuite } from './conformance/suite.ts';
import { summarize, type TargetReport } from './conformance/summary.ts';

export const TARGETS = ['direct', 'mcp', 'dropin'] as const;
export type Target = (typeof TARGETS)[number];

const SUITE_TIMEOUT_MS = 10 * 60_000;
const WATCHDOG_MS = 40 * 60_000;
const log = (l: string) => process.stdout.write(`${l}\n`);

function expectedFile(target: Target): string {
  return join(ROOT, 'test', 'conformance', `expected-failures.${target}.yaml`);
}

async function runTarget(
  target: Target,
  url: string,
  outRoot: string,
  opts: { bearer?: string; scenario?: string; suite?: string },
): Promise<TargetReport> {
  const outDir = join(outRoot, target);
  const expected = expectedFile(target);
  let total = 0;
  let n = 0;
  log(`\n[${target}] ${url}`);
  const run = await runSuite({
    url,
    expectedFailures: expected,
    outDir,
    bearer: opts.bearer,
    scenario: opts.scenario,
    suite: opts.suite,
    timeoutMs: SUITE_TIMEOUT_MS,
    onTotal: (t) => (total = t),
    onScenario: (s) => log(`  [${target}] (${++n}/${total || '?'}) ${s}`),
  });
  writeFileSync(join(outDir, 'suite.log'), run.output);
  const rows = judge(readResults(outDir), readExpectedFailures(expected));
  const problems: string[] = [];
  if (run.timedOut) problems.push(`suite timed out after ${SUITE_TIMEOUT_MS / 1000} s`);
  // The suite's exit code is authoritative; a non-zero exit our reading cannot explain (a
  // crash, a bad expected-failures file) still fails the target.
  else if (run.code !== 0 && rows.every(isOk))
    problems.push(`suite exited ${run.code}; see ${join(outDir, 'suite.log')}`);
  if (rows.length === 0) problems.push('the suite produced no results');
  return { target, url, rows, problems, outDir };
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string', short: 't', default: 'all' },
      suite: { type: 'string', default: 'active' },
      scenario: { type: 'string', short: 's' },
      out: { type: 'string', short: 'o' },
    },
  });
  const targets: Target[] =
    values.target === 'all' ? [...TARGETS] : [values.target as Target].filter(Boolean);
  if (!targets.every((t) => (TARGETS as readonly string[]).includes(t))) {
    process.stderr.write(`conformance: --target must be one of ${TARGETS.join(', ')}, all\n`);
    return 2;
  }
  const requireGateway = process.env.WARDEN_CONFORMANCE_REQUIRE_GATEWAY !== undefined;
  const outRoot =
    values.out ?? join(ROOT, 'build', 'conformance', new Date().toISOString().replace(/:/g, '-'));
  const watchdog = setTimeout(() => {
    process.stderr.write(`conformance: gave up after ${WATCHDOG_MS / 60_000} min\n`);
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();

  await ensureSuite(log);
  const reports: TargetReport[] = [];
  let fixture: FixtureServer | undefined;
  let gateway: RunningGateway | undefined;
  let gatewayProblem: string | undefined;
  try {
    fixture = await startFixtureServer();
    log(`fixture upstream: ${fixture.url}`);
    for (const target of targets) {
      if (target === 'direct') {
        reports.push(await runTarget(target, fixture.url, outRoot, values));
        continue;
      }
      if (!gateway && !gatewayProblem) {
        gatewayProblem = gatewayMissing();
        if (!gatewayProblem)
          try {
            const config = gatewayConfig(fixture.url, TOOL_DEFS, join(outRoot, 'audit.jsonl'));
            gateway = await startGateway(config, outRoot);
            log(`gateway: ${gateway.url} (config ${join(outRoot, 'gateway.yaml')})`);
          } catch (e) {
            gatewayProblem = `the gateway did not start: ${(e as Error).message}`;
          }
      }
      if (!gateway) {
        reports.push({ target, url: '-', rows: [], problems: [], unavailable: gatewayProblem });
        continue;
      }
      const route = target === 'mcp' ? '/mcp' : `/u/${UPSTREAM}/mcp`;
      const url = `${gateway.url}${route}`;
      const bearer = await mintToken(gateway.url, url);
      reports.push(await runTarget(target, url, outRoot, { ...values, bearer }));
    }
  } finally {
    await gateway?.stop();
    await fixture?.close();
    clearTimeout(watchdog);
  }

  for (const r of reports) {
    log(`\n== ${r.target} ${r.url}`);
    if (r.unavailable) log(`  not available: ${r.unavailable}`);
    else log(table(r.rows));
    for (const p of r.problems) log(`  problem: ${p}`);
  }
  const s = summarize(reports, requireGateway);
  log('');
  for (const line of s.lines) log(line);
  log(`results in ${outRoot}`);
  log(`${s.passed} passed, ${s.failed} failed`);
  return s.ok ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`conformance: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
