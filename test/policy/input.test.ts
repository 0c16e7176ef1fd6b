import { describe, expect, it } from 'vitest';
import {
  argumentsSize,
  argumentsDepth,
  buildPolicyInput,
  compareCodePoints,
  decideInTs,
  scopeCovers,
  type PolicyContext,
  type PolicyInput,
} from '../../src/policy/input.ts';

const NOW_MS = 1_764_000_000_500; // half a second past a whole second
const NOW = 1_764_000_000;

const queryTool = { name: 'db.query', scope: 'postgres:query:readonly', destructive: false };
const ticketTool = { name: 'tickets.create_ticket', scope: 'jira:write', destructive: true };

function ctx(over: Partial<PolicyContext> = {}): PolicyContext {
  return {
    method: 'tools/call',
    upstream: 'db',
    tool: queryTool,
    arguments: { sql: 'select 1' },
    subject: { sub: 'alice', clientId: 'cli', scopes: ['postgres:query:readonly'] },
    now: NOW_MS,
    limits: {},
    requestId: 7,
    route: '/mcp',
    ...over,
  };
}

const input = (over: Partial<PolicyContext> = {}) => buildPolicyInput(ctx(over));

describe('argumentsSize', () => {
  it('counts UTF-8 bytes of JSON.stringify, not UTF-16 units', () => {
    expect(argumentsSize({ a: 'é' })).toBe(Buffer.byteLength('{"a":"é"}'));
    expect(argumentsSize({ a: 'é' })).toBe(10);
    expect(argumentsSize({ e: '😀' })).toBe(12); // 4 bytes for one astral character
  });
  it('measures absent arguments as {}', () => {
    expect(argumentsSize(undefined)).toBe(2);
    expect(argumentsSize(null)).toBe(2);
  });
  it('escapes a lone surrogate, so its size is well defined', () => {
    expect(argumentsSize({ s: '\ud800' })).toBe('{"s":"\\ud800"}'.length);
  });
  it('ignores the whitespace of the original request body', () => {
    expect(argumentsSize(JSON.parse('{ "a" :   [1, 2] }'))).toBe('{"a":[1,2]}'.length);
  });
});

describe('argumentsDepth', () => {
  it('counts nesting levels of arrays and objects', () => {
    expect(argumentsDepth(undefined)).toBe(1); // arguments default to {}
    expect(argumentsDepth({})).toBe(1);
    expect(argumentsDepth({ a: 1, b: [2, { c: [] }] })).toBe(4);
    let deep: unknown = 'x';
    for (let i = 0; i < 50_000; i++) deep = [deep]; // deeper than the JS stack would allow
    expect(argumentsDepth(deep)).toBe(50_000);
  });
});

describe('buildPolicyInput', () => {
  it('builds the documented shape', () => {
    expect(input()).toEqual({
      method: 'tools/call',
      upstream: 'db',
      tool_name: 'db.query',
      tool: { ...queryTool, annotations: {} },
      arguments: { sql: 'select 1' },
      arguments_size: 18, // {"sql":"select 1"}
      arguments_depth: 1,
      subject: { sub: 'alice', client_id: 'cli', scopes: ['postgres:query:readonly'] },
      time: NOW,
      limits: {},
      request: { id: 7, route: '/mcp' },
      route: '/mcp',
    });
  });
  it('floors time and approval time to whole seconds', () => {
    const i = input({ subject: { scopes: [], approvedAt: NOW - 0.9 } });
    expect(i.time).toBe(NOW);
    expect(i.subject?.approved_at).toBe(NOW - 1);
    expect(input({ now: new Date(NOW_MS) }).time).toBe(NOW);
  });
  it('omits the tool when the registry has none, keeping the requested name', () => {
    const i = input({ tool: undefined, toolName: 'db.nope' });
    expect(i.tool).toBeUndefined();
    expect(i.tool_name).toBe('db.nope');
    expect('tool' in i).toBe(false);
  });
  it('defaults a missing destructive flag to true (MCP destructiveHint default)', () => {
    expect(input({ tool: { name: 't' } }).tool).toEqual({
      name: 't',
      scope: '',
      destructive: true,
      annotations: {},
    });
  });
  it('uses {} for absent arguments and null for an absent request id', () => {
    const i = input({ arguments: undefined, requestId: undefined });
    expect(i.arguments).toEqual({});
    expect(i.arguments_size).toBe(2);
    expect(i.request.id).toBeNull();
  });
  it('passes only the limits that are set', () => {
    const i = input({ limits: { max_payload_bytes: 100, approval_scope: undefined } });
    expect(i.limits).toEqual({ max_payload_bytes: 100 });
  });
  it('drops a non-finite approval time and copies scopes', () => {
    const scopes = ['a'];
    const i = input({ subject: { sub: 's', scopes, approvedAt: Number.NaN } });
    expect(i.subject).toEqual({ sub: 's', client_id: '', scopes: ['a'] });
    expect(i.subject?.scopes).not.toBe(scopes);
  });
  it('leaves the subject out without one', () => {
    expect('subject' in input({ subject: undefined })).toBe(false);
  });
});

describe('scopeCovers', () => {
  it.each([
    ['a:b', 'a:b', true],
    ['a:*', 'a:b', true],
    ['a:*', 'a:b:c', true],
    ['a:b:*', 'a:b:c', true],
    ['a:b:*', 'a:c', false],
    ['a:*', 'a', false],
    ['a:*', 'ab:c', false],
    ['*', 'a:b', false],
    ['a:*:c', 'a:b:c', false],
    ['a:b', 'a:*', false],
  ])('%s covers %s: %s', (held, required, want) => {
    expect(scopeCovers(held, required)).toBe(want);
  });
});

describe('compareCodePoints', () => {
  it('orders by code point like Rego, not by UTF-16 unit', () => {
    // U+FF61 < U+1F600 by code point, but '\uff61' > '\ud83d' as UTF-16 units
    expect(compareCodePoints('\uff61', '😀')).toBeLessThan(0);
    expect(['😀', '\uff61'].sort(compareCodePoints)).toEqual(['\uff61', '😀']);
  });
});

describe('decideInTs', () => {
  const approver = (age: number) => ({
    sub: 'bob',
    scopes: ['jira:write', 'approved:by:human'],
    approvedAt: NOW - age,
  });
  const allowed = { allow: true, reasons: [] };
  const deny = (...reasons: string[]) => ({ allow: false, reasons });
  const APPROVAL = 'destructive tool requires fresh human approval';

  it('allows a read-only call with its scope', () => {
    expect(decideInTs(input())).toEqual(allowed);
  });
  it('denies an unknown tool by its requested name', () => {
    expect(decideInTs(input({ tool: undefined, toolName: 'db.nope' }))).toEqual(
      deny('no such tool: db.nope'),
    );
    const noName = { ...input({ tool: undefined }) } as Partial<PolicyInput>;
    delete noName.tool_name;
    expect(decideInTs(noName as PolicyInput)).toEqual(deny('no such tool: (unnamed)'));
  });
  it('denies a missing scope, also without subject or scopes', () => {
    const want = deny('missing scope: postgres:query:readonly');
    expect(decideInTs(input({ subject: { sub: 'a', scopes: ['jira:read'] } }))).toEqual(want);
    expect(decideInTs(input({ subject: { sub: 'a' } }))).toEqual(want);
    expect(decideInTs(input({ subject: undefined }))).toEqual(want);
  });
  it('honours wildcard scopes', () => {
    expect(decideInTs(input({ subject: { scopes: ['postgres:*'] } }))).toEqual(allowed);
  });
  it('requires no scope for a tool with an empty one', () => {
    expect(decideInTs(input({ tool: { ...queryTool, scope: '' }, subject: {} }))).toEqual(allowed);
  });
  it('checks approval age at and around the edges', () => {
    const call = (age: number) => decideInTs(input({ tool: ticketTool, subject: approver(age) }));
    expect(call(300)).toEqual(allowed);
    expect(call(301)).toEqual(deny(APPROVAL));
    expect(call(-30)).toEqual(allowed);
    expect(call(-31)).toEqual(deny(APPROVAL));
  });
  it('needs the approval scope and an approval time', () => {
    const noScope = { scopes: ['jira:write'], approvedAt: NOW };
    expect(decideInTs(input({ tool: ticketTool, subject: noScope }))).toEqual(deny(APPROVAL));
    const noTime = { scopes: ['jira:write', 'approved:by:human'] };
    expect(decideInTs(input({ tool: ticketTool, subject: noTime }))).toEqual(deny(APPROVAL));
  });
  it('skips approval on tools/list but not the scope', () => {
    const list = (scopes: string[]) =>
      decideInTs(input({ method: 'tools/list', tool: ticketTool, subject: { scopes } }));
    expect(list(['jira:write'])).toEqual(allowed);
    expect(list([])).toEqual(deny('missing scope: jira:write'));
  });
  it('checks the payload limit exactly', () => {
    const sized = (n: number) => decideInTs({ ...input(), arguments_size: n });
    expect(sized(8192)).toEqual(allowed);
    expect(sized(8193)).toEqual(deny('payload too large (> 8192 bytes)'));
  });
  it('takes limits from input over config over defaults', () => {
    const i = { ...input({ limits: { max_payload_bytes: 100 } }), arguments_size: 101 };
    expect(decideInTs(i, { max_payload_bytes: 1000 })).toEqual(
      deny('payload too large (> 100 bytes)'),
    );
    expect(decideInTs({ ...input(), arguments_size: 51 }, { max_payload_bytes: 50 })).toEqual(
      deny('payload too large (> 50 bytes)'),
    );
    const skewed = input({ tool: ticketTool, subject: approver(-5) });
    expect(decideInTs(skewed, { clock_skew_s: 4 })).toEqual(deny(APPROVAL));
    expect(decideInTs(skewed, { clock_skew_s: 5 })).toEqual(allowed);
  });
  it('reports every reason, sorted', () => {
    const i = {
      ...input({ tool: ticketTool, subject: { scopes: ['postgres:*'] } }),
      arguments_size: 9000,
    };
    expect(decideInTs(i)).toEqual(
      deny(APPROVAL, 'missing scope: jira:write', 'payload too large (> 8192 bytes)'),
    );
  });
});
