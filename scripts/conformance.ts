// `npm run conformance [-- --target direct|mcp|dropin|all] [--spec 2025|2026-07-28|all]
//                          [--suite active|all|pending] [--scenario S] [--out DIR]`
//
// Runs the official MCP conformance suite against:
//   direct  the fixture upstream itself: the baseline
//   mcp     the gateway's aggregated /mcp, with the fixture as its only upstream
//   dropin  the gateway's drop-in route /u/<fixture>/mcp
// once per protocol era (`--spec`, default both, one after the other):
//   2025        @modelcontextprotocol/conformance 0.1.16, active server scenarios, against
//               test/conformance/fixture-server.ts (upstream `fixture`, SDK v1, sessions)
//   2026-07-28  0.2.0-alpha.12 `--requirements 2026-07-28` (the scenarios that revision requires),
//               against test/conformance/fixture26-server.ts (upstream `fixture26`, SDK v2,
//               stateless, modern-only)
// Each target has its own expected-failures file per era,
// test/conformance/expected-failures.<target>[.2026-07-28].yaml (the suite's format); a failure
// not listed, or a listed scenario that passes, fails the run. The gateway targets are "not
// available" until `warden serve` exists and starts; that is only an error when
// WARDEN_CONFORMANCE_REQUIRE_GATEWAY is set (CI sets it).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startFixtureServer } from '../test/conformance/fixture-server.ts';
import { startFixture26Server } from '../test/conformance/fixture26-server.ts';
import { TOOL_DEFS } from '../test/conformance/fixture/tools.ts';
import { PROMPTS } from '../test/conformance/fixture/catalog.ts';
import { FIXTURE26_PROMPTS, FIXTURE26_TOOLS } from '../test/conformance/fixture26/server.ts';
import {
  UPSTREAM,
  UPSTREAM26,
  gatewayConfig,
  gatewayMissing,
  mintToken,
  startGateway,
  type RunningGateway,
} from './conformance/gateway.ts';
import {
  isOk,
  judge,
  readExpectedFailures,
  readResults,
  table,
  type JudgeOptions,
} from './conformance/results.ts';
import {
  ROOT,
  SPECS,
  ensureSuite,
  requiredScenarios,
  runSuite,
  type Spec,
} from './conformance/suite.ts';
import { summarize, type TargetReport } from './conformance/summary.ts';

export const TARGETS = ['direct', 'mcp', 'dropin'] as const;
export type Target = (typeof TARGETS)[number];

const SUITE_TIMEOUT_MS = 10 * 60_000;
const WATCHDOG_MS = 40 * 60_000;
const log = (l: string) => process.stdout.write(`${l}\n`);

/** What differs between the two eras' runs. */
interface Era {
  spec: Spec;
  /** The target as the log and the summary name it. */
  label(target: Target): string;
  expectedFile(target: Target): string;
  /** Where the era's results go: the run's directory (2025, as always) or a subdirectory. */
  outDir(outRoot: string): string;
  upstream: string;
  fixtureName: string;
  startFixture(): Promise<{ url: string; close(): Promise<void> }>;
  tools: { name: string }[];
  prompts: { name: string }[];
}

const ERAS: Record<Spec, Era> = {
  '2025': {
    spec: '2025',
    label: (t) => t,
    expectedFile: (t) => join(ROOT, 'test', 'conformance', `expected-failures.${t}.yaml`),
    outDir: (outRoot) => outRoot,
    upstream: UPSTREAM,
    fixtureName: 'fixture upstream',
    startFixture: () => startFixtureServer(),
    tools: TOOL_DEFS,
    prompts: PROMPTS,
  },
  '2026-07-28': {
    spec: '2026-07-28',
    label: (t) => `${t} 2026-07-28`,
    expectedFile: (t) =>
      join(ROOT, 'test', 'conformance', `expected-failures.${t}.2026-07-28.yaml`),
    outDir: (outRoot) => join(outRoot, '2026-07-28'),
    upstream: UPSTREAM26,
    fixtureName: 'fixture26 upstream',
    // Modern-only: the targets must show the 2026-07-28 wire, not a fallback to 2025.
    startFixture: () => startFixture26Server({ legacy: 'reject' }),
    tools: FIXTURE26_TOOLS.map((name) => ({ name })),
    prompts: FIXTURE26_PROMPTS.map((name) => ({ name })),
  },
};

interface RunOptions {
  bearer?: string;
  scenario?: string;
  suite?: string;
}

/** 2026-07-28 judges only what the requirement set scores, as the suite itself does. */
function judgeOptions(era: Era, opts: RunOptions): JudgeOptions {
  if (era.spec === '2025') return {};
  const requirementSet = !opts.scenario && (opts.suite ?? 'active') === 'active';
  return {
    scored: requirementSet ? new Set(requiredScenarios(era.spec)) : undefined,
    ranAll: !opts.scenario,
  };
}

async function runTarget(
  era: Era,
  target: Target,
  url: string,
  outRoot: string,
  opts: RunOptions,
): Promise<TargetReport> {
  const outDir = join(era.outDir(outRoot), target);
  const expected = era.expectedFile(target);
  const label = era.label(target);
  let total = 0;
  let n = 0;
  log(`\n[${label}] ${url}`);
  const run = await runSuite({
    url,
    expectedFailures: expected,
    outDir,
    bearer: opts.bearer,
    scenario: opts.scenario,
    suite: opts.suite,
    spec: era.spec,
    timeoutMs: SUITE_TIMEOUT_MS,
    onTotal: (t) => (total = t),
    onScenario: (s) => log(`  [${label}] (${++n}/${total || '?'}) ${s}`),
  });
  writeFileSync(join(outDir, 'suite.log'), run.output);
  const rows = judge(readResults(outDir), readExpectedFailures(expected), judgeOptions(era, opts));
  const problems: string[] = [];
  if (run.timedOut) problems.push(`suite timed out after ${SUITE_TIMEOUT_MS / 1000} s`);
  // The suite's exit code is authoritative; a non-zero exit our reading cannot explain (a
  // crash, a bad expected-failures file) still fails the target.
  else if (run.code !== 0 && rows.every(isOk))
    problems.push(`suite exited ${run.code}; see ${join(outDir, 'suite.log')}`);
  if (rows.length === 0) problems.push('the suite produced no results');
  return { target: label, url, rows, problems, outDir };
}

/** One era: its fixture, then each target (the gateway started once, on first need). */
async function runEra(
  era: Era,
  targets: Target[],
  outRoot: string,
  values: RunOptions,
): Promise<TargetReport[]> {
  const reports: TargetReport[] = [];
  const eraDir = era.outDir(outRoot);
  let fixture: { url: string; close(): Promise<void> } | undefined;
  let gateway: RunningGateway | undefined;
  let gatewayProblem: string | undefined;
  try {
    fixture = await era.startFixture();
    log(`${era.fixtureName}: ${fixture.url}`);
    for (const target of targets) {
      if (target === 'direct') {
        reports.push(await runTarget(era, target, fixture.url, outRoot, values));
        continue;
      }
      if (!gateway && !gatewayProblem) {
        gatewayProblem = gatewayMissing();
        if (!gatewayProblem)
          try {
            const config = gatewayConfig(
              fixture.url,
              era.tools,
              join(eraDir, 'audit.jsonl'),
              era.prompts,
              era.upstream,
            );
            gateway = await startGateway(config, eraDir);
            log(`gateway: ${gateway.url} (config ${join(eraDir, 'gateway.yaml')})`);
          } catch (e) {
            gatewayProblem = `the gateway did not start: ${(e as Error).message}`;
          }
      }
      if (!gateway) {
        reports.push({
          target: era.label(target),
          url: '-',
          rows: [],
          problems: [],
          unavailable: gatewayProblem,
        });
        continue;
      }
      const route = target === 'mcp' ? '/mcp' : `/u/${era.upstream}/mcp`;
      const url = `${gateway.url}${route}`;
      const bearer = await mintToken(gateway.url, url);
      reports.push(await runTarget(era, target, url, outRoot, { ...values, bearer }));
    }
  } finally {
    await gateway?.stop();
    await fixture?.close();
  }
  return reports;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      target: { type: 'string', short: 't', default: 'all' },
      spec: { type: 'string', default: 'all' },
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
  const specs: Spec[] = values.spec === 'all' ? [...SPECS] : [values.spec as Spec];
  if (!specs.every((s) => (SPECS as readonly string[]).includes(s))) {
    process.stderr.write(`conformance: --spec must be one of ${SPECS.join(', ')}, all\n`);
    return 2;
  }
  const requireGateway = process.env.WARDEN_CONFORMANCE_REQUIRE_GATEWAY !== undefined;
  const outRoot =
    values.out ?? join(ROOT, 'build', 'conformance', new Date().toISOString().replace(/:/g, '-'));
  const watchdog = setTimeout(() => {
    process.stderr.write(
      `conformance: gave up after ${(WATCHDOG_MS * specs.length) / 60_000} min\n`,
    );
    process.exit(1);
  }, WATCHDOG_MS * specs.length);
  watchdog.unref();

  for (const spec of specs) await ensureSuite(log, spec);
  const reports: TargetReport[] = [];
  const seconds: string[] = [];
  try {
    for (const spec of specs) {
      const started = Date.now();
      reports.push(...(await runEra(ERAS[spec], targets, outRoot, values)));
      seconds.push(`${spec}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    }
  } finally {
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
  if (specs.length > 1) log(`run time: ${seconds.join(', ')}`);
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
