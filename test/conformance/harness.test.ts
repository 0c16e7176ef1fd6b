// The pieces of scripts/conformance.ts that decide pass or fail: reading the suite's result
// directories, judging them against an expected-failures file (the suite's own rule, stale
// entries included), the closing summary, the gateway config (checked by the real config
// loader) and the header rewrite of the bearer preload.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/index.ts';
import { withBearer } from '../../scripts/conformance/bearer-preload.mjs';
import { FIXTURE_SCOPE, gatewayConfig } from '../../scripts/conformance/gateway.ts';
import {
  judge,
  readExpectedFailures,
  readResults,
  table,
  type Check,
  type ScenarioResult,
} from '../../scripts/conformance/results.ts';
import { summarize } from '../../scripts/conformance/summary.ts';
import { TOOL_DEFS } from './fixture/tools.ts';

const check = (status: Check['status'], errorMessage?: string): Check => ({
  id: 'c',
  name: 'C',
  status,
  errorMessage,
});
const scenario = (name: string, ...checks: Check[]): ScenarioResult => ({
  scenario: name,
  checks,
});

describe('judge (the suite’s --expected-failures rule)', () => {
  const results = [
    scenario('ok', check('SUCCESS'), check('INFO')),
    scenario('broken', check('SUCCESS'), check('FAILURE', 'boom')),
    scenario('warned', check('WARNING', 'should')),
    scenario('known', check('FAILURE')),
    scenario('fixed', check('SUCCESS')),
  ];

  it('passes clean scenarios and fails FAILURE or WARNING ones that are not listed', () => {
    const j = judge(results, ['known', 'fixed']);
    expect(Object.fromEntries(j.map((x) => [x.scenario, x.verdict]))).toEqual({
      ok: 'pass',
      broken: 'fail',
      warned: 'fail',
      known: 'expected-fail',
      fixed: 'stale',
    });
    expect(j.find((x) => x.scenario === 'broken')).toMatchObject({
      passed: 1,
      failed: 1,
      reason: 'C: boom',
    });
  });

  it('flags an entry naming a scenario the suite did not run', () => {
    const j = judge([scenario('ok', check('SUCCESS'))], ['renamed-upstream-scenario']);
    expect(j[1]).toMatchObject({ scenario: 'renamed-upstream-scenario', verdict: 'stale' });
  });

  it('prints one row per scenario with the first failing check', () => {
    const t = table(judge(results, ['known', 'fixed']));
    expect(t).toContain('broken');
    expect(t).toContain('FAIL (1 ok, 1 failed)');
    expect(t).toContain('C: boom');
    expect(t).toContain('STALE');
  });
});

describe('reading the suite output', () => {
  it('reads checks.json per scenario in run order and ignores other entries', () => {
    const dir = mkdtempSync(join(tmpdir(), 'conf-results-'));
    const put = (sub: string, checks: Check[]) => {
      mkdirSync(join(dir, sub));
      writeFileSync(join(dir, sub, 'checks.json'), JSON.stringify(checks));
    };
    put('server-tools-list-2026-01-01T00-00-02-000Z', [check('SUCCESS')]);
    put('server-server-initialize-2026-01-01T00-00-01-000Z', [check('FAILURE')]);
    writeFileSync(join(dir, 'suite.log'), '');
    expect(readResults(dir).map((r) => r.scenario)).toEqual(['server-initialize', 'tools-list']);
    expect(readResults(join(dir, 'absent'))).toEqual([]);
  });

  it('reads expected-failures files in the suite’s format and rejects other shapes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'conf-expected-'));
    const f = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    expect(readExpectedFailures(f('a.yaml', 'server:\n  - ping\n'))).toEqual(['ping']);
    expect(readExpectedFailures(f('b.yaml', 'server: []\n'))).toEqual([]);
    expect(readExpectedFailures(f('c.yaml', ''))).toEqual([]);
    expect(() => readExpectedFailures(f('d.yaml', '- ping\n'))).toThrow(/mapping/);
    expect(() => readExpectedFailures(f('e.yaml', 'server: ping\n'))).toThrow(/list/);
  });

  it('ships an expected-failures file per target that parses', () => {
    for (const t of ['direct', 'mcp', 'dropin'])
      expect(Array.isArray(readExpectedFailures(`test/conformance/expected-failures.${t}.yaml`)));
    expect(readExpectedFailures('test/conformance/expected-failures.direct.yaml')).toEqual([]);
  });
});

describe('summary', () => {
  const rows = judge([scenario('a', check('SUCCESS')), scenario('b', check('FAILURE'))], ['b']);

  it('counts passes, expected failures and failures per target', () => {
    const s = summarize([{ target: 'direct', url: 'u', rows, problems: [] }], false);
    expect(s).toMatchObject({ passed: 1, failed: 0, expectedFailures: 1, ok: true });
    expect(s.lines).toEqual(['direct  1 passed, 0 failed, 1 expected failures']);
  });

  it('counts a run problem (timeout, crash) as a failure', () => {
    const s = summarize([{ target: 'mcp', url: 'u', rows, problems: ['timed out'] }], false);
    expect(s.ok).toBe(false);
  });

  it('fails an unavailable gateway target only when the gateway is required', () => {
    const r = { target: 'mcp', url: '-', rows: [], problems: [], unavailable: 'no serve.ts' };
    expect(summarize([r], false)).toMatchObject({ ok: true, failed: 0 });
    expect(summarize([r], true)).toMatchObject({ ok: false, failed: 1 });
  });
});

describe('gateway config for the run', () => {
  it('is accepted by the real config loader and exposes every fixture tool under its own name', () => {
    const raw = gatewayConfig('http://127.0.0.1:1/mcp', TOOL_DEFS, '/tmp/audit.jsonl');
    const cfg = buildConfig(raw, '(conformance)', {});
    const up = cfg.upstreams[0];
    expect(up).toMatchObject({ name: 'fixture', default_scope: FIXTURE_SCOPE });
    for (const t of TOOL_DEFS)
      expect(up.tools[t.name]).toEqual({
        rename: t.name,
        scope: FIXTURE_SCOPE,
        destructive: false,
      });
    expect(cfg.auth.demo).toBe(true);
  });
});

describe('bearer preload: header rewrite', () => {
  it('adds the header in every shape undici passes and never replaces one', () => {
    expect(withBearer(undefined, 't')).toEqual({ authorization: 'Bearer t' });
    expect(withBearer({ a: '1' }, 't')).toEqual({ a: '1', authorization: 'Bearer t' });
    expect(withBearer(['a', '1'], 't')).toEqual(['a', '1', 'authorization', 'Bearer t']);
    expect(withBearer([['a', '1']], 't')).toEqual([
      ['a', '1'],
      ['authorization', 'Bearer t'],
    ]);
    expect(withBearer(new Map([['a', '1']]), 't')).toEqual([
      ['a', '1'],
      ['authorization', 'Bearer t'],
    ]);
    expect(withBearer({ Authorization: 'Bearer x' }, 't')).toEqual({ Authorization: 'Bearer x' });
    expect(withBearer(['authorization', 'Basic y'], 't')).toEqual(['authorization', 'Basic y']);
  });
});
