// The official suite (tools/conformance, Node 22) run for real by the harness functions:
// against the fixture, with an expected-failures entry gone stale, and the bearer preload
// against a server that records what it receives. The 2026-07-28 prerelease
// (tools/conformance26) runs its whole requirement set against fixture26, judged as the
// harness judges it (required scenarios scored, the rest "not scored").

import { spawn } from 'node:child_process';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { judge, readResults } from '../../scripts/conformance/results.ts';
import {
  NODE22,
  ROOT,
  SUITES,
  SUITE_CLI,
  SUITE_DIR,
  requiredScenarios,
  runSuite,
} from '../../scripts/conformance/suite.ts';
import { startFixtureServer, type FixtureServer } from './fixture-server.ts';
import { startFixture26Server, type Fixture26Server } from './fixture26-server.ts';

const installed = existsSync(NODE22) && existsSync(SUITE_CLI);
let fx: FixtureServer;
const tmp = mkdtempSync(join(tmpdir(), 'conf-suite-'));
const expectedFile = (name: string, list: string[]) => {
  const f = join(tmp, name);
  writeFileSync(f, `server:\n${list.map((s) => `  - ${s}\n`).join('') || '  []\n'}`);
  return f;
};

beforeAll(async () => {
  fx = await startFixtureServer();
});
afterAll(() => fx.close());

describe.skipIf(!installed)('conformance suite 0.1.16 against the fixture', () => {
  it('passes a scenario and reports it through the result directory', async () => {
    const outDir = join(tmp, 'pass');
    const seen: string[] = [];
    const run = await runSuite({
      url: fx.url,
      expectedFailures: expectedFile('none.yaml', []),
      outDir,
      scenario: 'tools-call-simple-text',
      timeoutMs: 60_000,
      onScenario: (s) => seen.push(s),
    });
    expect(run.code, run.output).toBe(0);
    expect(judge(readResults(outDir), [])).toMatchObject([
      { scenario: 'tools-call-simple-text', verdict: 'pass', passed: 1 },
    ]);
  });

  it('fails the run when a listed expected failure passes (stale entry)', async () => {
    const outDir = join(tmp, 'stale');
    const listed = ['ping'];
    const run = await runSuite({
      url: fx.url,
      expectedFailures: expectedFile('stale.yaml', listed),
      outDir,
      scenario: 'ping',
      timeoutMs: 60_000,
    });
    expect(run.code).toBe(1);
    expect(run.output).toMatch(/Stale baseline entries/);
    expect(judge(readResults(outDir), listed)[0].verdict).toBe('stale');
  });
});

describe.skipIf(!installed)('bearer preload on the suite’s Node 22', () => {
  const got: { origin: string; headers: IncomingHttpHeaders }[] = [];
  const servers = [0, 1].map((i) =>
    createServer((req, res) => {
      got.push({ origin: String(i), headers: req.headers });
      res.end('{}');
    }),
  );
  const urls: string[] = [];
  beforeAll(async () => {
    for (const s of servers) {
      await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
      urls.push(`http://127.0.0.1:${(s.address() as AddressInfo).port}`);
    }
  });
  afterAll(() => Promise.all(servers.map((s) => new Promise((ok) => s.close(ok)))));

  it('adds Authorization to fetch, undici.request and http.request for the target origin only', async () => {
    const script = [
      "import { request } from 'undici';",
      `await (await fetch('${urls[0]}/mcp', { method: 'POST', body: '{}' })).text();`,
      `await (await request('${urls[0]}/mcp', { method: 'POST', body: '{}' })).body.text();`,
      `await (await fetch('${urls[1]}/mcp')).text();`,
      `await (await fetch('${urls[0]}/mcp', { headers: { authorization: 'Bearer own' } })).text();`,
      // node:http with an options object, as the 0.2 prerelease's SEP-2243 scenarios send.
      "const { default: http } = await import('node:http');",
      `const u = new URL('${urls[0]}');`,
      'await new Promise((ok) => http.request({ hostname: u.hostname, port: u.port, path: "/mcp",',
      '  method: "POST", headers: { "Content-Type": "application/json" } },',
      '  (res) => { res.resume(); res.on("end", ok); }).end("{}"));',
    ].join('\n');
    const child = spawn(
      NODE22,
      [
        '--import',
        join(ROOT, 'scripts/conformance/bearer-preload.mjs'),
        '--input-type=module',
        '-e',
        script,
      ],
      {
        cwd: SUITE_DIR,
        stdio: ['ignore', 'inherit', 'inherit'],
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          WARDEN_CONFORMANCE_BEARER: 'tok',
          WARDEN_CONFORMANCE_BEARER_ORIGIN: urls[0],
        },
      },
    );
    expect(await new Promise((ok) => child.once('exit', ok))).toBe(0);
    expect(got.map((g) => [g.origin, g.headers.authorization])).toEqual([
      ['0', 'Bearer tok'],
      ['0', 'Bearer tok'],
      ['1', undefined],
      ['0', 'Bearer own'],
      ['0', 'Bearer tok'],
    ]);
  });
});

const installed26 = existsSync(SUITES['2026-07-28'].node) && existsSync(SUITES['2026-07-28'].cli);

describe.skipIf(!installed26)('conformance prerelease at 2026-07-28 against fixture26', () => {
  let fx26: Fixture26Server;
  beforeAll(async () => {
    fx26 = await startFixture26Server();
  });
  afterAll(() => fx26.close());

  it('passes every required scenario; the others are reported, not scored', async () => {
    const outDir = join(tmp, 'requirements-2026');
    const seen: string[] = [];
    let total = 0;
    const run = await runSuite({
      url: fx26.url,
      expectedFailures: expectedFile('none26.yaml', []),
      outDir,
      spec: '2026-07-28',
      timeoutMs: 180_000,
      onTotal: (t) => (total = t),
      onScenario: (s) => seen.push(s),
    });
    expect(run.code, run.output).toBe(0);
    const required = requiredScenarios('2026-07-28');
    expect(required).toHaveLength(37);
    expect(seen).toHaveLength(total);
    const rows = judge(readResults(outDir), [], { scored: new Set(required) });
    const scored = rows.filter((r) => r.verdict !== 'not-scored');
    expect(scored.map((r) => r.scenario).sort()).toEqual([...required].sort());
    expect(scored.filter((r) => r.verdict !== 'pass')).toEqual([]);
    // An entry for a scenario the requirement set does not score can never be judged: stale.
    const listed = judge(readResults(outDir), ['tasks-lifecycle'], { scored: new Set(required) });
    expect(listed.find((r) => r.verdict === 'stale')?.scenario).toBe('tasks-lifecycle');
    // A required scenario without a result (it threw; the suite writes no checks.json) fails.
    const crashed = judge(readResults(outDir), [], { scored: new Set([...required, 'gone']) });
    expect(crashed.filter((r) => r.verdict === 'fail').map((r) => r.scenario)).toEqual(['gone']);
  });

  it('runs one scenario at the 2026-07-28 wire and names it as the result directory', async () => {
    const outDir = join(tmp, 'one-2026');
    const run = await runSuite({
      url: fx26.url,
      expectedFailures: expectedFile('none26b.yaml', []),
      outDir,
      spec: '2026-07-28',
      scenario: 'input-required-result-tampered-state',
      timeoutMs: 60_000,
    });
    expect(run.code, run.output).toBe(0);
    expect(judge(readResults(outDir), [], { ranAll: false })).toMatchObject([
      { scenario: 'input-required-result-tampered-state', verdict: 'pass' },
    ]);
  });
});
