// The shipped policy, compiled by our own Rego→WASM compiler and run by the unmodified
// @open-policy-agent/opa-wasm SDK: a table of decisions, the policy's own Rego tests run as
// entrypoints, and a differential property against decideInTs (its TypeScript twin).
import { loadPolicy, type LoadedPolicy } from '@open-policy-agent/opa-wasm';
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { readPolicyDir } from '../../src/policy/bundle.ts';
import {
  decideInTs,
  type Decision,
  type PolicyConfig,
  type PolicyInput,
  type PolicyTool,
} from '../../src/policy/input.ts';
import { hostBuiltins } from '../../src/rego/builtins/index.ts';
import { compileModules, type SourceFile } from '../../src/rego/compile.ts';

const POLICY_DIR = fileURLToPath(new URL('../../policies', import.meta.url));
const ENTRYPOINT = 'mcp/authz/decision';
const NOW = 1_764_000_000;

async function load(files: SourceFile[], entrypoints: string[]): Promise<LoadedPolicy> {
  const compiled = compileModules(files, { entrypoints });
  return loadPolicy(
    compiled.wasm,
    { initial: compiled.minPages },
    hostBuiltins as unknown as Record<string, (...a: unknown[]) => unknown>,
  );
}

function decide(policy: LoadedPolicy, input: unknown, config?: PolicyConfig): Decision {
  policy.setData(config === undefined ? {} : { mcp: { config } });
  const rs = policy.evaluate(input, ENTRYPOINT) as { result: Decision }[];
  expect(rs).toHaveLength(1);
  return rs[0].result;
}

const queryTool: PolicyTool = {
  name: 'db.query',
  scope: 'postgres:query:readonly',
  destructive: false,
  annotations: { readOnlyHint: true },
};
const ticketTool: PolicyTool = {
  name: 'tickets.create_ticket',
  scope: 'jira:write',
  destructive: true,
  annotations: {},
};

function call(over: Partial<PolicyInput> = {}): PolicyInput {
  return {
    method: 'tools/call',
    upstream: 'db',
    tool_name: over.tool?.name ?? queryTool.name,
    tool: queryTool,
    arguments: { sql: 'select 1' },
    arguments_size: 18,
    arguments_depth: 1,
    subject: { sub: 'alice', client_id: 'cli', scopes: ['postgres:query:readonly'] },
    time: NOW,
    limits: {},
    request: { id: 1, route: '/mcp' },
    ...over,
  };
}
const approver = (age: number) => ({
  sub: 'bob',
  client_id: 'cli',
  scopes: ['jira:write', 'approved:by:human'],
  approved_at: NOW - age,
});
const unknownTool = call({ tool_name: 'db.nope' });
delete unknownTool.tool; // the registry has no such tool

const APPROVAL = 'destructive tool requires fresh human approval';
const ok: Decision = { allow: true, reasons: [] };
const no = (...reasons: string[]): Decision => ({ allow: false, reasons });

const TABLE: [string, unknown, Decision, PolicyConfig?][] = [
  ['read-only call with its scope', call(), ok],
  ['unknown tool', unknownTool, no('no such tool: db.nope')],
  [
    'missing scope',
    call({ subject: { sub: 'a', client_id: '', scopes: [] } }),
    no('missing scope: postgres:query:readonly'),
  ],
  ['no subject', { ...call(), subject: undefined }, no('missing scope: postgres:query:readonly')],
  ['wildcard scope', call({ subject: { sub: 'a', client_id: '', scopes: ['postgres:*'] } }), ok],
  [
    'lone star',
    call({ subject: { sub: 'a', client_id: '', scopes: ['*'] } }),
    no('missing scope: postgres:query:readonly'),
  ],
  ['fresh approval', call({ tool: ticketTool, subject: approver(0) }), ok],
  ['approval exactly max age', call({ tool: ticketTool, subject: approver(300) }), ok],
  ['approval one second stale', call({ tool: ticketTool, subject: approver(301) }), no(APPROVAL)],
  ['approval in future within skew', call({ tool: ticketTool, subject: approver(-30) }), ok],
  [
    'approval in future beyond skew',
    call({ tool: ticketTool, subject: approver(-31) }),
    no(APPROVAL),
  ],
  [
    'tools/list skips approval',
    call({
      method: 'tools/list',
      tool: ticketTool,
      subject: { sub: 'b', client_id: '', scopes: ['jira:write'] },
    }),
    ok,
  ],
  ['payload at limit', call({ arguments_size: 8192 }), ok],
  ['payload one byte over', call({ arguments_size: 8193 }), no('payload too large (> 8192 bytes)')],
  [
    'limit from input',
    call({ arguments_size: 101, limits: { max_payload_bytes: 100 } }),
    no('payload too large (> 100 bytes)'),
  ],
  [
    'limit from data',
    call({ arguments_size: 51 }),
    no('payload too large (> 50 bytes)'),
    { max_payload_bytes: 50 },
  ],
  [
    'input beats data',
    call({ arguments_size: 60, limits: { max_payload_bytes: 100 } }),
    ok,
    { max_payload_bytes: 50 },
  ],
  [
    'several reasons, sorted',
    call({
      tool: ticketTool,
      subject: { sub: 'c', client_id: '', scopes: ['postgres:*'] },
      arguments_size: 9000,
    }),
    no(APPROVAL, 'missing scope: jira:write', 'payload too large (> 8192 bytes)'),
  ],
];

describe('shipped policy compiled to WASM', () => {
  let policy: LoadedPolicy;
  beforeAll(async () => {
    const { files } = await readPolicyDir(POLICY_DIR, { includeTests: false });
    policy = await load(files, [ENTRYPOINT]);
  });

  it.each(TABLE)('%s', (_name, input, want, config) => {
    expect(decide(policy, input, config)).toEqual(want);
    // the table doubles as a check that the TS twin agrees on the named edges
    expect(decideInTs(input as PolicyInput, config)).toEqual(want);
  });

  it('agrees with decideInTs on random inputs', () => {
    fc.assert(
      fc.property(arbInput, arbConfig, (input, config) => {
        expect(decide(policy, input, config)).toEqual(decideInTs(input, config));
      }),
      { numRuns: 400 },
    );
  });
});

describe('policy tests (test_* rules) as entrypoints', () => {
  it('every test_* rule in policies/ is true', async () => {
    const { files } = await readPolicyDir(POLICY_DIR, { includeTests: true });
    const tests = files.flatMap(testEntrypoints);
    expect(tests.length).toBeGreaterThan(30);
    const policy = await load(files, tests);
    const failed = tests.filter((ep) => {
      // no input, as `warden policy test` and `opa test` run them: each test supplies its own
      const rs = policy.evaluate(undefined, ep) as { result: unknown }[];
      return !(rs.length === 1 && rs[0].result === true);
    });
    expect(failed).toEqual([]);
  });
});

/** `package a.b` + `test_x if …` → "a/b/test_x" (what `warden policy test` runs). */
function testEntrypoints(file: SourceFile): string[] {
  const pkg = /^package\s+([\w.]+)/m.exec(file.text)?.[1];
  if (!pkg) return [];
  const names = [...file.text.matchAll(/^(test_\w+)\b/gm)].map((m) => m[1]);
  return [...new Set(names)].map((n) => `${pkg.replaceAll('.', '/')}/${n}`);
}

// ---- generators: well-typed inputs clustered around every edge of the rules ------------------

const SCOPES = [
  'postgres:query:readonly',
  'postgres:*',
  'postgres:query:*',
  'postgres',
  'jira:write',
  'jira:*',
  '*',
  'approved:by:human',
  'approved:*',
  'approved:by:robot',
  '',
];
const NAMES = ['db.query', 'tickets.create_ticket', 'é.tool', '😀', '\uff61', 'a'];
const near = (edge: number, spread: number) =>
  fc.integer({ min: edge - spread, max: edge + spread });

const arbTool: fc.Arbitrary<PolicyTool | undefined> = fc.option(
  fc.record(
    {
      name: fc.constantFrom(...NAMES, ''),
      scope: fc.constantFrom(...SCOPES),
      destructive: fc.boolean(),
      annotations: fc.constant({}),
    },
    { requiredKeys: ['name', 'scope', 'annotations'] },
  ) as fc.Arbitrary<PolicyTool>,
  { nil: undefined },
);

const arbLimits = fc.record(
  {
    max_payload_bytes: near(100, 3),
    approval_max_age_s: near(60, 3),
    approval_scope: fc.constantFrom('approved:by:human', 'approved:by:robot'),
    clock_skew_s: near(5, 2),
  },
  { requiredKeys: [] },
);
const arbConfig: fc.Arbitrary<PolicyConfig | undefined> = fc.option(arbLimits, { nil: undefined });

const arbInput: fc.Arbitrary<PolicyInput> = fc
  .record({
    method: fc.constantFrom('tools/call', 'tools/list', 'resources/read'),
    tool: arbTool,
    toolName: fc.option(fc.constantFrom(...NAMES), { nil: undefined }),
    scopes: fc.option(fc.uniqueArray(fc.constantFrom(...SCOPES), { maxLength: 4 }), {
      nil: undefined,
    }),
    age: fc.option(
      fc.oneof(
        near(300, 3),
        near(-30, 3),
        near(60, 3),
        near(-5, 3),
        fc.integer({ min: -1000, max: 1000 }),
      ),
      { nil: undefined },
    ),
    // grants make allowed decisions common enough to be tested, not just denials
    grantTool: fc.boolean(),
    grantApproval: fc.boolean(),
    size: fc.oneof(
      near(8192, 2),
      near(100, 3),
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 0, max: 20_000 }),
    ),
    limits: fc.oneof(fc.constant({}), arbLimits),
  })
  .map(({ method, tool, toolName, scopes, age, grantTool, grantApproval, size, limits }) => {
    const input: PolicyInput = {
      method,
      arguments: {},
      arguments_size: size,
      arguments_depth: 1,
      time: NOW,
      limits,
      request: { id: 1, route: '/mcp' },
    };
    if (tool) input.tool = tool;
    if (toolName !== undefined) input.tool_name = toolName;
    if (scopes !== undefined) {
      if (grantTool && tool) scopes.push(tool.scope);
      if (grantApproval) scopes.push('approved:by:human');
      input.subject = { sub: 's', client_id: 'c', scopes };
      if (age !== undefined) input.subject.approved_at = NOW - age;
    }
    return input;
  });
