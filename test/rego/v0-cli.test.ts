// --v0-compatible on the `warden policy` commands and policy.rego_version in warden.yaml.
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.ts';
import { cli, fixture, removeFixtures } from '../cli/helpers.ts';

afterAll(removeFixtures);

const POLICY = `package mcp.authz
default decision = {"allow": false, "reasons": ["no"]}
decision = {"allow": true, "reasons": []} { input.ok }
`;
const TESTS = `package mcp.authz_test
import data.mcp.authz.decision
test_allow { decision.allow with input as {"ok": true} }
test_allow { decision.allow with input as {"ok": false} }
`;

describe('--v0-compatible', () => {
  it('makes policy test, eval and build read v0 files', async () => {
    const dir = await fixture({ 'authz.rego': POLICY, 'authz_test.rego': TESTS });
    const refused = await cli(['policy', 'test', dir]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/`if` keyword is required/);
    const t = await cli(['policy', 'test', '--v0-compatible', dir]);
    expect(t.stdout).toMatch(/FAIL .*data\.mcp\.authz_test\.test_allow#01/);
    expect(t.stdout).toMatch(/1 passed, 1 failed/);
    const e = await cli(['policy', 'eval', '--v0-compatible', dir, '--input', '-'], '{"ok":true}');
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout)).toEqual([{ result: { allow: true, reasons: [] } }]);
    const b = await cli(['policy', 'build', '--v0-compatible', dir, '-o', `${dir}/b.tar.gz`]);
    expect(b.code).toBe(0);
  });

  it('reaches policy check, fmt and the test tools (-r, --format json, --coverage)', async () => {
    const dir = await fixture({ 'authz.rego': POLICY, 'authz_test.rego': TESTS });
    expect((await cli(['policy', 'check', dir])).code).toBe(2);
    const c = await cli(['policy', 'check', '--v0-compatible', dir]);
    expect([c.code, c.stdout]).toEqual([0, 'ok\n']);
    expect((await cli(['policy', 'fmt', '-l', dir])).code).toBe(2);
    expect((await cli(['policy', 'fmt', '-l', '--v0-compatible', dir])).code).toBe(0);
    // The second rule of test_allow is its own test (test_allow#01), located by line and column.
    const j = await cli([
      'policy',
      'test',
      '--v0-compatible',
      '--format',
      'json',
      '-r',
      '#01',
      dir,
    ]);
    const results = JSON.parse(j.stdout) as { name: string; location: { row: number } }[];
    expect(results.map((r) => [r.name, r.location.row])).toEqual([['test_allow#01', 4]]);
    expect(j.code).toBe(1);
    const cov = await cli(['policy', 'test', '--v0-compatible', '--coverage', '-r', 'allow$', dir]);
    expect(cov.code).toBe(0);
    expect(cov.stdout).toMatch(/authz\.rego/);
  });

  it('is policy.rego_version in warden.yaml, checked', () => {
    const c = parseConfig('policy:\n  path: p/\n  rego_version: v0\n', 'warden.yaml', {});
    expect(c.policy.rego_version).toBe('v0');
    let where: string | undefined;
    try {
      parseConfig('policy:\n  rego_version: 0\n', 'warden.yaml', {});
    } catch (e) {
      where = (e as { where?: string }).where;
    }
    expect(where).toMatch(/policy\.rego_version/);
  });
});
