// The official suite, @modelcontextprotocol/conformance 0.1.16, needs Node >= 22. It lives in
// tools/conformance with its own lockfile and the npm `node` package pinned there (22.23.3), so
// the project itself keeps running on the machine's Node 20 (the native re2 module is built for
// it) and CI needs nothing but npm.

import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

const INSTALL_TIMEOUT_MS = 10 * 60_000;

/** `npm ci --prefix tools/conformance` when the suite or its Node is missing. */
export async function ensureSuite(log: (line: string) => void): Promise<void> {
  if (existsSync(NODE22) && existsSync(SUITE_CLI)) return;
  log('installing the conformance suite: npm ci --prefix tools/conformance');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const child = spawnTracked(npm, ['ci', '--prefix', SUITE_DIR, '--no-audit', '--no-fund'], {
    cwd: ROOT,
  });
  eachLine(child.stdout, (l) => log(`  npm: ${l}`));
  eachLine(child.stderr, (l) => log(`  npm: ${l}`));
  const { code, timedOut } = await runBounded(child, INSTALL_TIMEOUT_MS);
  if (code !== 0 || !existsSync(NODE22) || !existsSync(SUITE_CLI))
    throw new Error(
      timedOut
        ? `npm ci --prefix tools/conformance timed out after ${INSTALL_TIMEOUT_MS / 1000} s`
        : `npm ci --prefix tools/conformance failed (exit ${code})`,
    );
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
  const args = [
    ...(r.bearer ? ['--import', PRELOAD] : []),
    SUITE_CLI,
    'server',
    '--url',
    r.url,
    '--expected-failures',
    r.expectedFailures,
    '-o',
    r.outDir,
    ...(r.scenario ? ['--scenario', r.scenario] : ['--suite', r.suite ?? 'active']),
  ];
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  delete env.NODE_OPTIONS; // the harness's tsx loader must not leak into Node 22
  if (r.bearer) {
    env.WARDEN_CONFORMANCE_BEARER = r.bearer;
    env.WARDEN_CONFORMANCE_BEARER_ORIGIN = new URL(r.url).origin;
  }
  // cwd = tools/conformance: the preload resolves undici from the suite's own install.
  const child = spawnTracked(NODE22, args, { cwd: SUITE_DIR, env });
  const out: string[] = [];
  const onLine = (l: string) => {
    out.push(l);
    const m = /^=== Running scenario: (.+) ===$/.exec(l.trim());
    if (m) r.onScenario?.(m[1]);
    const t = /^Running \w+ suite \((\d+) scenarios\)/.exec(l.trim());
    if (t) r.onTotal?.(Number(t[1]));
  };
  eachLine(child.stdout, onLine);
  eachLine(child.stderr, onLine);
  const { code, timedOut } = await runBounded(child, r.timeoutMs);
  return { code, timedOut, output: out.join('\n') };
}
