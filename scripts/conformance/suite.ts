// The official suite, @modelcontextprotocol/conformance 0.1.16, needs Node >= 22. It lives in
// tools/conformance with its own lockfile and the npm `node` package pinned there (22.23.3), so
// the project itself keeps running on the machine's Node 20 (the native re2 module is built for
// it) and CI needs nothing but npm.
//
// The 2026-07-28 (stateless) era is judged by the prerelease 0.2.0-alpha.12, installed the same
// way in tools/conformance26: `--requirements 2026-07-28` runs exactly the scenarios that
// revision requires (frozen at its release), at its wire version.

import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { eachLine, runBounded, spawnTracked } from './processes.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SUITE_DIR = join(ROOT, 'tools', 'conformance');
export const NODE22 = join(SUITE_DIR, 'node_modules', '.bin', 'node');
export const SUITE_CLI = join(
  SUITE_DIR,
  'node_modules',
  '@modelcontextprotocol',
  'conformance',
  'dist',
  'index.js',
);
const PRELOAD = join(ROOT, 'scripts', 'conformance', 'bearer-preload.mjs');

/** The protocol eras the harness judges: the 2025 (session) era and 2026-07-28 (stateless). */
export const SPECS = ['2025', '2026-07-28'] as const;
export type Spec = (typeof SPECS)[number];

/** One installed suite: its directory (own package.json and lockfile), Node 22 and CLI. */
export interface SuiteInstall {
  dir: string;
  node: string;
  cli: string;
  /** The directory relative to the project, for messages. */
  name: string;
}

const install = (name: string): SuiteInstall => {
  const dir = join(ROOT, ...name.split('/'));
  const modules = join(dir, 'node_modules');
  return {
    dir,
    node: join(modules, '.bin', 'node'),
    cli: join(modules, '@modelcontextprotocol', 'conformance', 'dist', 'index.js'),
    name,
  };
};

export const SUITES: Record<Spec, SuiteInstall> = {
  '2025': { dir: SUITE_DIR, node: NODE22, cli: SUITE_CLI, name: 'tools/conformance' },
  '2026-07-28': install('tools/conformance26'),
};

const INSTALL_TIMEOUT_MS = 10 * 60_000;

/** `npm ci --prefix tools/conformance[26]` when the era's suite or its Node is missing. */
export async function ensureSuite(log: (line: string) => void, spec: Spec = '2025'): Promise<void> {
  const s = SUITES[spec];
  if (existsSync(s.node) && existsSync(s.cli)) return;
  log(`installing the conformance suite: npm ci --prefix ${s.name}`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const child = spawnTracked(npm, ['ci', '--prefix', s.dir, '--no-audit', '--no-fund'], {
    cwd: ROOT,
  });
  eachLine(child.stdout, (l) => log(`  npm: ${l}`));
  eachLine(child.stderr, (l) => log(`  npm: ${l}`));
  const { code, timedOut } = await runBounded(child, INSTALL_TIMEOUT_MS);
  if (code !== 0 || !existsSync(s.node) || !existsSync(s.cli))
    throw new Error(
      timedOut
        ? `npm ci --prefix ${s.name} timed out after ${INSTALL_TIMEOUT_MS / 1000} s`
        : `npm ci --prefix ${s.name} failed (exit ${code})`,
    );
}

/**
 * The server scenarios a revision requires, from the installed suite's frozen requirement set
 * (`requirements/<revision>.yaml`, its `server` list). The set also names scenarios that are run
 * but never scored (`not_scored`: extensions, pending); they are not in this list.
 */
export function requiredScenarios(spec: Exclude<Spec, '2025'>): string[] {
  const file = join(SUITES[spec].dir, 'node_modules', '@modelcontextprotocol', 'conformance');
  const doc = parse(readFileSync(join(file, 'requirements', `${spec}.yaml`), 'utf8')) as {
    server?: unknown;
  };
  if (!Array.isArray(doc?.server) || doc.server.some((s) => typeof s !== 'string'))
    throw new Error(`requirements/${spec}.yaml of the installed suite has no 'server' list`);
  return doc.server as string[];
}

/**
 * The suite's scenario selection. 2025: `--scenario` or `--suite`. 2026-07-28: the revision's
 * requirement set for the default (active) suite — which cannot be combined with a scenario or
 * suite — else the scenario or suite at that revision's wire (`--spec-version`).
 */
export function selection(spec: Spec, scenario?: string, suite?: string): string[] {
  if (spec === '2025') return scenario ? ['--scenario', scenario] : ['--suite', suite ?? 'active'];
  if (scenario) return ['--scenario', scenario, '--spec-version', spec];
  if ((suite ?? 'active') === 'active') return ['--requirements', spec];
  return ['--suite', suite!, '--spec-version', spec];
}

export interface SuiteRun {
  url: string;
  expectedFailures: string;
  outDir: string;
  /** Sent as `Authorization: Bearer` to `url`'s origin (bearer-preload.mjs). */
  bearer?: string;
  /** Optional `--scenario` (one) or `--suite` (active, all, pending). */
  scenario?: string;
  suite?: string;
  /** The era, which picks the installed suite and its selection; default '2025'. */
  spec?: Spec;
  timeoutMs: number;
  /** Called with the number of scenarios the suite announces, then with each as it starts. */
  onTotal?: (n: number) => void;
  onScenario?: (name: string) => void;
}

export interface SuiteOutcome {
  code: number;
  timedOut: boolean;
  /** The suite's console output (also saved as outDir/suite.log by the caller if wanted). */
  output: string;
}

export async function runSuite(r: SuiteRun): Promise<SuiteOutcome> {
  mkdirSync(r.outDir, { recursive: true });
  const spec = r.spec ?? '2025';
  const suite = SUITES[spec];
  const args = [
    ...(r.bearer ? ['--import', PRELOAD] : []),
    suite.cli,
    'server',
    '--url',
    r.url,
    '--expected-failures',
    r.expectedFailures,
    '-o',
    r.outDir,
    ...selection(spec, r.scenario, r.suite),
  ];
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  delete env.NODE_OPTIONS; // the harness's tsx loader must not leak into Node 22
  if (r.bearer) {
    env.WARDEN_CONFORMANCE_BEARER = r.bearer;
    env.WARDEN_CONFORMANCE_BEARER_ORIGIN = new URL(r.url).origin;
  }
  // cwd = the suite's directory: the preload resolves undici from the suite's own install.
  const child = spawnTracked(suite.node, args, { cwd: suite.dir, env });
  const out: string[] = [];
  const onLine = (l: string) => {
    out.push(l);
    const m = /^=== Running scenario: (.+) ===$/.exec(l.trim());
    if (m) r.onScenario?.(m[1]);
    // 0.1.16: "Running active suite (30 scenarios)"; 0.2: "Running requirements 2026-07-28 (…)".
    const t = /^Running (?:\w+ suite|requirements \S+) \((\d+) scenarios\)/.exec(l.trim());
    if (t) r.onTotal?.(Number(t[1]));
  };
  eachLine(child.stdout, onLine);
  eachLine(child.stderr, onLine);
  const { code, timedOut } = await runBounded(child, r.timeoutMs);
  return { code, timedOut, output: out.join('\n') };
}
