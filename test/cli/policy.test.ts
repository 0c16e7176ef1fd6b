// `warden policy build|eval|test` and the CLI's error contract (PRODUCT.md "Command line"):
// user errors are one line naming the file:line:col or argument, exit 2, never a stack.
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTHZ, cli, expectOneLine, fixture, removeFixtures } from './helpers.ts';

let dir: string;
beforeAll(async () => {
  dir = await fixture({
    'mcp/authz.rego': AUTHZ,
    'config/data.json': '{"admin": "ada"}',
    'mcp/authz_test.rego': `package mcp.authz_test

import data.mcp.authz

test_admin_allowed if authz.decision.allow with input as {"user": "ada"}

test_other_denied if not authz.decision.allow with input as {"user": "bob"}
`,
    'input.json': '{"user": "ada"}',
    'bad-input.json': '{\n  "user": "ada",\n  oops\n}',
  });
});
afterAll(removeFixtures);

describe('arguments', () => {
  it('prints usage and exits 2 without a command; --help exits 0', async () => {
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/usage:/);
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/warden policy build DIR/);
    expect((await cli(['policy', '--help'])).stdout).toMatch(/warden policy test DIR/);
  });

  it.each([
    [['frob'], /unknown command "frob"/],
    [['policy'], /missing policy command/],
    [['policy', 'frob'], /unknown policy command "frob"/],
    [['policy', 'build'], /missing DIR/],
    [['policy', 'build', 'a', 'b'], /unexpected argument "b"/],
    [['policy', 'build', 'a', '--bogus'], /Unknown option '--bogus'/],
    [['policy', 'eval', 'a', '--input'], /argument missing/],
    [['policy', 'build', 'a', '-e', 'a//b'], /^-e: invalid entrypoint/],
  ])('%j is a one-line usage error', async (argv, pattern) => {
    const run = await cli(argv);
    expect(run.code).toBe(2);
    expect(expectOneLine(run)).toMatch(pattern);
  });

  it('names an unreadable file', async () => {
    const run = await cli(['policy', 'eval', dir, '--input', '/nonexistent/in.json']);
    expect(run.code).toBe(2);
    expect(expectOneLine(run)).toBe('/nonexistent/in.json: cannot read: no such file');
  });

  it('names the line and column of bad JSON input', async () => {
    const file = path.join(dir, 'bad-input.json');
    const run = await cli(['policy', 'eval', dir, '--input', file]);
    expect(run.code).toBe(2);
    expect(expectOneLine(run)).toMatch(new RegExp(`^${file}:3:3: invalid JSON`));
  });

  it('reports a Rego syntax error as file:line:col, exit 2', async () => {
    const bad = await fixture({ 'p.rego': 'package p\n\nallow if {\n  input.x ==\n}\n' });
    const run = await cli(['policy', 'build', bad, '-e', 'p/allow']);
    expect(run.code).toBe(2);
    expect(expectOneLine(run)).toMatch(new RegExp(`^${path.join(bad, 'p.rego')}:\\d+:\\d+: `));
  });

  it('reports an unknown entrypoint of a bundle clearly', async () => {
    const out = path.join(dir, 'ep.tar.gz');
    expect((await cli(['policy', 'build', dir, '-o', out])).code).toBe(0);
    const run = await cli(['policy', 'eval', out, '-e', 'no/such/rule']);
    expect(run.code).toBe(2);
    expect(expectOneLine(run)).toMatch(/unknown entrypoint "no\/such\/rule".*mcp\/authz\/decision/);
  });

  it('exits 70 with a stack on an internal error', async () => {
    const { main } = await import('../../src/cli/main.ts');
    let stderr = '';
    const code = await main(['policy', 'eval', dir, '--input', '-'], {
      stdout: () => {},
      stderr: (t) => void (stderr += t),
      readStdin: () => Promise.reject(new Error('stdin exploded')),
    });
    expect(code).toBe(70);
    expect(stderr).toMatch(/internal error/);
    expect(stderr).toMatch(/stdin exploded\n\s+at /);
  });
});

describe('policy build', () => {
  it('writes an OPA bundle and prints path, size and build time', async () => {
    const out = path.join(dir, 'bundle.tar.gz');
    const run = await cli(['policy', 'build', dir, '-o', out]);
    expect(run.code).toBe(0);
    const size = (await stat(out)).size;
    expect(run.stdout).toMatch(
      new RegExp(
        `^wrote ${out} \\(${size} bytes; .*entrypoints mcp/authz/decision\\) in \\d+ ms\\n$`,
      ),
    );
  });

  it('accepts several entrypoints, in OPA and dotted forms', async () => {
    const d = await fixture({ 'p.rego': 'package a.b\n\nx := 1\n\ny := 2\n' });
    const out = path.join(d, 'multi.tar.gz');
    const run = await cli(['policy', 'build', d, '-o', out, '-e', 'a/b/x', '-e', 'data.a.b.y']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/entrypoints a\/b\/x, a\/b\/y\)/);
    const y = await cli(['policy', 'eval', out, '-e', 'a/b/y']);
    expect(JSON.parse(y.stdout)).toEqual([{ result: 2 }]);
  });
});

describe('policy eval', () => {
  it('evaluates a directory with an input file', async () => {
    const run = await cli(['policy', 'eval', dir, '--input', path.join(dir, 'input.json')]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([{ result: { allow: true, reasons: [] } }]);
  });

  it('evaluates a bundle with input from stdin (-)', async () => {
    const out = path.join(dir, 'stdin.tar.gz');
    await cli(['policy', 'build', dir, '-o', out]);
    const run = await cli(['policy', 'eval', out, '--input', '-'], '{"user": "bob"}');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([{ result: { allow: false, reasons: ['denied'] } }]);
  });

  it('prints [] when the entrypoint is undefined', async () => {
    const d = await fixture({ 'p.rego': 'package p\n\nallow if input.x == 1\n' });
    const run = await cli(['policy', 'eval', d, '-e', 'p/allow', '--input', '-'], '{"x": 2}');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([]);
  });

  it('reads YAML input', async () => {
    await writeFile(path.join(dir, 'in.yaml'), 'user: ada\n');
    const run = await cli(['policy', 'eval', dir, '--input', path.join(dir, 'in.yaml')]);
    expect(JSON.parse(run.stdout)[0].result.allow).toBe(true);
  });

  it('reports an evaluation conflict as one line, exit 2', async () => {
    const d = await fixture({ 'p.rego': 'package p\n\nv := x if {\n  some x in input\n}\n' });
    const run = await cli(['policy', 'eval', d, '-e', 'p/v', '--input', '-'], '[1, 2]');
    expect(run.code).toBe(2);
    expect(expectOneLine(run)).toMatch(/conflict/);
  });
});

describe('policy test', () => {
  it('runs test_* rules and ends with the summary line', async () => {
    const run = await cli(['policy', 'test', dir]);
    expect(run.stdout).toBe('2 passed, 0 failed\n');
    expect(run.code).toBe(0);
    const verbose = await cli(['policy', 'test', dir, '-v']);
    expect(verbose.stdout).toMatch(
      /^PASS .*authz_test\.rego:5 data\.mcp\.authz_test\.test_admin_allowed \(\d+(\.\d+)?(ns|µs|ms|s)\)$/m,
    );
    expect(verbose.stdout.trimEnd().split('\n').pop()).toBe('2 passed, 0 failed');
  });

  it('prints each failure with file:line and exits 1', async () => {
    const d = await fixture({
      'p.rego': 'package p\n\nallow if input.x == 1\n\nv := x if {\n  some x in input.xs\n}\n',
      'p_test.rego': `package p_test

import data.p

test_ok if p.allow with input as {"x": 1}

test_wrong if p.allow with input as {"x": 2}

test_false := false

test_conflict if p.v with input as {"xs": [1, 2]}

helper_not_a_test := false
`,
    });
    const run = await cli(['policy', 'test', d]);
    expect(run.code).toBe(1);
    const file = path.join(d, 'p_test.rego');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toContain(`FAIL ${file}:7 data.p_test.test_wrong`);
    expect(lines).toContain(`FAIL ${file}:9 data.p_test.test_false`);
    expect(lines.find((l) => l.startsWith(`FAIL ${file}:11 data.p_test.test_conflict: `))).toMatch(
      /conflict/,
    );
    expect(lines[lines.length - 1]).toBe('1 passed, 3 failed');
  });

  it('exits 2 on a compile error in a test file', async () => {
    const d = await fixture({ 'p_test.rego': 'package p_test\n\ntest_x if {\n' });
    const run = await cli(['policy', 'test', d]);
    expect(run.code).toBe(2);
    expect(expectOneLine(run)).toMatch(/p_test\.rego:\d+:\d+: /);
  });

  it('uses data files next to the tests', async () => {
    const d = await fixture({
      'data.json': '{"limit": 3}',
      'p_test.rego': 'package p_test\n\ntest_limit if data.limit == 3\n',
    });
    expect((await cli(['policy', 'test', d])).stdout).toBe('1 passed, 0 failed\n');
  });
});
