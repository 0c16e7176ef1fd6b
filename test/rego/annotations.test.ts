// rego.metadata.rule() and rego.metadata.chain() through the whole pipeline (Rego → WASM → the
// unmodified opa-wasm SDK): the normalized shapes, the scopes, and a bad METADATA block named
// by file and line. OPA's own cases (regometadatarule, regometadatachain) run in the compliance
// suite.
import { describe, expect, it } from 'vitest';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { compileModules } from '../../src/rego/compile.ts';
import { hostBuiltins } from '../../src/rego/builtins/index.ts';

async function run(texts: string[], entry: string, input?: unknown): Promise<unknown> {
  const files = texts.map((text, i) => ({ path: `m${i}.rego`, text }));
  const c = compileModules(files, { entrypoints: [entry] });
  const policy = await loadPolicy(c.wasm, { initial: c.minPages }, hostBuiltins);
  const rs = policy.evaluate(input, entry);
  return rs.length === 0 ? undefined : rs[0].result;
}

describe('rego.metadata', () => {
  it('gives a rule its annotations, normalized as OPA does', async () => {
    const src = `package gw.rules

# METADATA
# title: No destructive calls at night
# authors:
# - Sec Team <sec@example.com>
# - ops@example.com
# related_resources:
# - https://wiki.example.com/night
# custom:
#   severity: high
deny contains msg if {
	input.hour < 6
	msg := sprintf("%s (%s)", [rego.metadata.rule().title, rego.metadata.rule().custom.severity])
}

meta := rego.metadata.rule()
`;
    expect(await run([src], 'gw/rules/deny', { hour: 3 })).toEqual([
      'No destructive calls at night (high)',
    ]);
    expect(await run([src], 'gw/rules/meta')).toEqual({}); // no block: {}
    const full = `package p
# METADATA
# authors:
# - Sec Team <sec@example.com>
# - ops@example.com
# related_resources:
# - https://wiki.example.com/night
r := rego.metadata.rule()
`;
    expect(await run([full], 'p/r')).toEqual({
      scope: 'rule',
      authors: [{ name: 'Sec Team', email: 'sec@example.com' }, { email: 'ops@example.com' }],
      related_resources: [{ ref: 'https://wiki.example.com/night' }],
    });
  });

  it('chains rule, package and subpackages annotations from the rule up', async () => {
    const root = `# METADATA
# scope: subpackages
# organizations: [Example Corp]
package gw
`;
    const pkg = `# METADATA
# description: gateway rules
package gw.rules

# METADATA
# title: the rule
c := rego.metadata.chain()
`;
    expect(await run([root, pkg], 'gw/rules/c')).toEqual([
      { path: ['gw', 'rules', 'c'], annotations: { scope: 'rule', title: 'the rule' } },
      { path: ['gw', 'rules'], annotations: { scope: 'package', description: 'gateway rules' } },
      { path: ['gw'], annotations: { scope: 'subpackages', organizations: ['Example Corp'] } },
    ]);
  });

  it('names the file and line of a METADATA block that is not a YAML mapping', () => {
    const bad = `package p

# METADATA
# - just
# - a list
r := 1
`;
    expect(() =>
      compileModules([{ path: 'bad.rego', text: bad }], { entrypoints: ['p/r'] }),
    ).toThrow(expect.objectContaining({ code: 'REGO_PARSE_ERROR', where: 'bad.rego:3:1' }));
  });
});
