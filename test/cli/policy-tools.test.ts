// The authoring tools beside build/eval/test (PRODUCT.md "Command line"): print() and trace()
// output, test selection, JSON results, coverage with a threshold, eval with data files, data
// paths and queries, check (compile errors, --strict), build refusing unimplemented builtins,
// and bench.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, fixture, removeFixtures } from './helpers.ts';

let dir: string;
beforeAll(async () => {
  dir = await fixture({
    'authz.rego': `package authz

allow if {
	print("checking", input.user, input.missing)
	trace("allow considered")
	input.user == data.admin
}

deny if {
	input.user == "mallory"
	input.kind == "evil"
}
`,
    'authz_test.rego': `package authz_test

import data.authz

test_admin if authz.allow with input as {"user": "ada"} with data.admin as "ada"

test_other if {
	print("about to fail")
	authz.allow with input as {"user": "bob"} with data.admin as "ada"
}
`,
    'input.json': '{"user": "ada"}',
    'extra.json': '{"admin": "ada", "limits": {"n": 3}}',
  });
});
afterAll(removeFixtures);

describe('policy test: print, trace, selection, formats', () => {
  it("shows a failing test's print() output, and every test's (with trace notes) under -v", async () => {
    const run = await cli(['policy', 'test', dir]);
    expect(run.code).toBe(1);
    const file = path.join(dir, 'authz_test.rego');
    expect(run.stdout).toContain(`FAIL ${file}:7 data.authz_test.test_other\n`);
    expect(run.stdout).toContain(`${file}:8: about to fail\n`);
    expect(run.stdout).toContain(': checking bob <undefined>\n');
    // a passing test's output stays hidden without -v
    expect(run.stdout).not.toContain('checking ada');
    expect(run.stdout).not.toContain('note:');
    const verbose = await cli(['policy', 'test', dir, '-v']);
    expect(verbose.stdout).toMatch(/PASS .*test_admin \(\d/);
    expect(verbose.stdout).toContain('checking ada <undefined>');
    expect(verbose.stdout).toContain('note: allow considered');
  });

  it('-r runs only the tests whose name matches', async () => {
    const run = await cli(['policy', 'test', dir, '-r', 'test_admin$']);
    expect(run.stdout).toBe('1 passed, 0 failed\n');
    expect(run.code).toBe(0);
    const bad = await cli(['policy', 'test', dir, '-r', '(']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^-r: invalid -r regular expression/);
  });

  it("--format json writes opa test's result array", async () => {
    const run = await cli(['policy', 'test', dir, '--format', 'json']);
    const results = JSON.parse(run.stdout) as Record<string, unknown>[];
    expect(results.map((r) => [r.package, r.name, r.fail])).toEqual([
      ['data.authz_test', 'test_admin', undefined],
      ['data.authz_test', 'test_other', true],
    ]);
    expect(results[0].location).toEqual({
      file: path.join(dir, 'authz_test.rego'),
      row: 5,
      col: 1,
    });
    expect(typeof results[0].duration).toBe('number');
    const out = Buffer.from(results[1].output as string, 'base64').toString();
    expect(out).toBe('about to fail\nchecking bob <undefined>\n');
  });

  it('--coverage reports covered and uncovered lines per file; --threshold exits 2 below', async () => {
    const run = await cli(['policy', 'test', dir, '-r', 'test_admin', '--coverage']);
    const file = path.join(dir, 'authz.rego');
    // lines 3-6 (head and body of allow) ran; deny (9-11) never did
    expect(run.stdout).toContain(`${file}: 57.14% (4/7 lines); not covered: 9-11\n`);
    expect(run.code).toBe(0);
    const json = JSON.parse(
      (await cli(['policy', 'test', dir, '-r', 'test_admin', '--coverage', '--format', 'json']))
        .stdout,
    );
    expect(json.files[file].not_covered).toEqual([{ start: { row: 9 }, end: { row: 11 } }]);
    expect(json.files[file].covered_lines).toBe(4);
    const low = await cli(['policy', 'test', dir, '-r', 'test_admin', '--threshold', '90']);
    expect(low.code).toBe(2);
    expect(low.stderr).toMatch(/below the threshold 90%/);
    const ok = await cli(['policy', 'test', dir, '-r', 'test_admin', '--threshold', '40']);
    expect(ok.code).toBe(0);
  });
});

describe('policy eval: data files, data paths, queries, formats', () => {
  it('evaluates a data path with -d data, printing print() output to stderr', async () => {
    const input = path.join(dir, 'input.json');
    const extra = path.join(dir, 'extra.json');
    const run = await cli([
      'policy',
      'eval',
      dir,
      'data.authz.allow',
      '-d',
      extra,
      '--input',
      input,
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual([{ result: true }]);
    expect(run.stderr).toBe('checking ada <undefined>\n');
    const undef = await cli(['policy', 'eval', dir, 'data.authz.allow', '--input', input]);
    expect(JSON.parse(undef.stdout)).toEqual([]);
  });

  it('evaluates a query expression, in json, values and pretty formats', async () => {
    const extra = path.join(dir, 'extra.json');
    const q = ['policy', 'eval', dir, 'data.limits.n * 2', '-d', extra];
    expect(JSON.parse((await cli(q)).stdout)).toEqual([{ result: 6 }]);
    expect(JSON.parse((await cli([...q, '--format', 'values'])).stdout)).toEqual([6]);
    expect((await cli([...q, '--format', 'pretty'])).stdout).toBe('6\n');
    const body = await cli(['policy', 'eval', dir, 'data.limits.n > 5; true', '-d', extra]);
    expect((await cli(['policy', 'eval', dir, 'x := 1; x > 0', '--format', 'pretty'])).stdout).toBe(
      'true\n',
    );
    expect(JSON.parse(body.stdout)).toEqual([]);
  });

  it('refuses a bad format, a bad data file and an unknown data file kind with one line', async () => {
    expect((await cli(['policy', 'eval', dir, '--format', 'xml'])).code).toBe(2);
    const d = await fixture({ 'bad.json': '{', 'x.txt': '' });
    const bad = await cli(['policy', 'eval', dir, '-d', path.join(d, 'bad.json')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.json: invalid JSON/);
    const txt = await cli(['policy', 'eval', dir, '-d', path.join(d, 'x.txt')]);
    expect(txt.stderr).toMatch(/x\.txt: expected a \.json/);
  });
});

describe('policy check and build', () => {
  const broken = {
    'a.rego': `package a

import data.lib
import data.lib

allow if {
	x := 1
	input.a == 2
}

f(input) := 1

fetch if http.send({"url": "http://example.com"})
`,
  };

  it('prints ok for a sound directory and every problem as file:line:col with --strict', async () => {
    expect(await cli(['policy', 'check', dir])).toMatchObject({ code: 0, stdout: 'ok\n' });
    const d = await fixture(broken);
    const file = path.join(d, 'a.rego');
    const plain = await cli(['policy', 'check', d]);
    expect(plain.code).toBe(2);
    expect(plain.stdout).toBe(
      `${file}:13:10: builtin http.send has no implementation in this gateway\n`,
    );
    const strict = await cli(['policy', 'check', d, '--strict']);
    expect(strict.stdout.trimEnd().split('\n')).toEqual([
      `${file}:13:10: builtin http.send has no implementation in this gateway`,
      `${file}:3:1: import data.lib unused`,
      `${file}:4:1: import must not shadow import data.lib`,
      `${file}:7:2: assigned var x unused`,
      `${file}:11:3: args must not shadow input (use a different variable name)`,
    ]);
  });

  it('reports a syntax error of each file', async () => {
    const d = await fixture({
      'a.rego': 'package a\n\np if {\n',
      'b.rego': 'package b\n\nq := [\n',
    });
    const run = await cli(['policy', 'check', d]);
    expect(run.code).toBe(2);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/a\.rego:\d+:\d+: /);
    expect(lines[1]).toMatch(/b\.rego:\d+:\d+: /);
  });

  it('build refuses, at file:line:col, a builtin that an entrypoint reaches and nothing implements', async () => {
    const d = await fixture({
      'mcp/authz.rego': `package mcp.authz

decision := {"allow": ok, "reasons": []}

ok if http.send({"url": "http://example.com"}).status_code == 200
`,
    });
    const run = await cli(['policy', 'build', d, '-o', path.join(d, 'b.tar.gz')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `${path.join(d, 'mcp/authz.rego')}:5:7: builtin http.send has no implementation in this gateway\n`,
    );
  });
});

describe('policy bench', () => {
  it('reports samples and ns/op for an entrypoint over an input', async () => {
    const run = await cli([
      'policy',
      'bench',
      dir,
      'data.authz.allow',
      '--input',
      path.join(dir, 'input.json'),
      '--count',
      '20',
      '--format',
      'json',
    ]);
    expect(run.code).toBe(0);
    const r = JSON.parse(run.stdout);
    expect(r).toMatchObject({ entrypoint: 'authz/allow', defined: false, N: 20 });
    expect(r.ns_per_op).toBeGreaterThan(0);
  });
});
