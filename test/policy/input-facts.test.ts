// The request facts of the policy input (policies/README.md): allow-listed headers (credentials
// never), the named claims a token carries, the peer address and the era; all absent unless
// the gateway configured or knew them.
import { describe, expect, it } from 'vitest';
import { buildPolicyInput, pickClaims, pickHeaders } from '../../src/policy/input.ts';

describe('pickHeaders', () => {
  it('keeps only allow-listed headers, lower-cased, joins repeats, never credentials', () => {
    const headers = {
      'x-tenant': 'acme',
      'x-forwarded-for': ['10.0.0.1', '10.0.0.2'],
      authorization: 'Bearer secret',
      cookie: 'sid=1',
      'x-other': 'no',
    };
    expect(
      pickHeaders(headers, ['X-Tenant', 'x-forwarded-for', 'Authorization', 'cookie', 'x-gone']),
    ).toEqual({ 'x-tenant': 'acme', 'x-forwarded-for': '10.0.0.1, 10.0.0.2' });
    expect(pickHeaders(headers, [])).toBeUndefined();
  });
});

describe('pickClaims', () => {
  it('keeps the named claims the token carries, as JSON values', () => {
    const claims = { groups: ['a', 'b'], email: 'a@x', roles: null, sub: 's' };
    expect(pickClaims(claims, ['groups', 'roles', 'tenant'])).toEqual({
      groups: ['a', 'b'],
      roles: null,
    });
    expect(pickClaims(claims, [])).toBeUndefined();
    // a prototype name is not a claim
    expect(pickClaims(claims, ['constructor'])).toEqual({});
  });
});

describe('buildPolicyInput request facts', () => {
  const base = {
    method: 'tools/call',
    subject: { sub: 'a', scopes: [] },
    now: 1_764_000_000_000,
    route: '/u/db/mcp',
  };
  it('adds era, headers, client address and claims when known', () => {
    const i = buildPolicyInput({
      ...base,
      http: {
        era: '2026-07-28',
        headers: { 'x-tenant': 'acme' },
        address: '::1',
        claims: { groups: ['g'] },
      },
    });
    expect(i).toMatchObject({
      route: '/u/db/mcp',
      era: '2026-07-28',
      headers: { 'x-tenant': 'acme' },
      client: { address: '::1' },
      subject: { sub: 'a', claims: { groups: ['g'] } },
    });
  });
  it('leaves them out otherwise', () => {
    const i = buildPolicyInput(base);
    expect(Object.keys(i)).not.toEqual(expect.arrayContaining(['era']));
    expect(i.headers).toBeUndefined();
    expect(i.client).toBeUndefined();
    expect(i.subject?.claims).toBeUndefined();
  });
});
