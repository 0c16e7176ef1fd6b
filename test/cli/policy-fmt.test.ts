// `warden policy fmt` (PRODUCT.md "Command line"): opa fmt's layout (tabs, spacing), comments
// and rule order kept, idempotent, the shipped policies/ already formatted; -w, -l, -d, --fail.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatRego } from '../../src/rego/format.ts';
import { cli, fixture, removeFixtures } from './helpers.ts';

afterAll(removeFixtures);

const MESSY = `package   x


import rego.v1
# a comment kept
allow if{
    input.a==1  # trailing comment kept
  x:=[1,2 , 3]
  y := {"a":1,"b" : -2}
    z := x[0]-1
	count( x )>=2
  s := {v|some v in x}
  r := \`raw
   kept  as is\`
  d := denied([
      "one",
      "two",
  ]) with input as {}
      with data.x as 1
}
f(a,b):=a+b
`;

const FORMATTED = `package x

import rego.v1
# a comment kept
allow if {
	input.a == 1 # trailing comment kept
	x := [1, 2, 3]
	y := {"a": 1, "b": -2}
	z := x[0] - 1
	count(x) >= 2
	s := {v | some v in x}
	r := \`raw
   kept  as is\`
	d := denied([
		"one",
		"two",
	]) with input as {}
		with data.x as 1
}
f(a, b) := a + b
`;

describe('policy fmt', () => {
  it('lays Rego out as opa fmt does, keeping comments and strings, idempotently', () => {
    expect(formatRego(MESSY)).toBe(FORMATTED);
    expect(formatRego(FORMATTED)).toBe(FORMATTED);
  });

  it('leaves the shipped policies as they are', async () => {
    const run = await cli(['policy', 'fmt', 'policies', '-l', '--fail']);
    expect(run).toMatchObject({ code: 0, stdout: '' });
  });

  it('-l lists, -d diffs, --fail exits 1, -w writes; plain prints the result', async () => {
    const d = await fixture({ 'a.rego': MESSY, 'sub/b.rego': FORMATTED });
    const a = path.join(d, 'a.rego');
    expect(await cli(['policy', 'fmt', d, '-l'])).toMatchObject({ code: 0, stdout: `${a}\n` });
    expect((await cli(['policy', 'fmt', d, '-l', '--fail'])).code).toBe(1);
    const diff = (await cli(['policy', 'fmt', a, '-d'])).stdout;
    expect(diff).toMatch(/^--- .*a\.rego\n\+\+\+ .*a\.rego \(formatted\)\n@@ -1,/);
    const lines = diff.split('\n');
    for (const l of [
      '-package   x',
      '+package x',
      '-f(a,b):=a+b',
      '+f(a, b) := a + b',
      ' import rego.v1',
    ])
      expect(lines).toContain(l);
    expect((await cli(['policy', 'fmt', a])).stdout).toBe(FORMATTED);
    expect((await cli(['policy', 'fmt', d, '-w'])).code).toBe(0);
    expect(await readFile(a, 'utf8')).toBe(FORMATTED);
    expect((await cli(['policy', 'fmt', d, '-l', '--fail'])).code).toBe(0);
  });

  it('refuses a file that does not parse with file:line:col, and conflicting flags', async () => {
    const d = await fixture({ 'bad.rego': 'package p\n\np if {\n' });
    const run = await cli(['policy', 'fmt', d]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/bad\.rego:\d+:\d+: /);
    expect((await cli(['policy', 'fmt', d, '-w', '-l'])).code).toBe(2);
  });
});
