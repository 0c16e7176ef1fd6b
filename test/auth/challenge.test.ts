// Reading credentials (RFC 6750 §2) and writing challenges (RFC 6750 §3), including a
// fast-check fuzz of Authorization header values: never a throw, never anything but 400/401.

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { base64url } from 'jose';
import {
  bearerChallenge,
  createDemoIssuer,
  createResourceServer,
  readCredentials,
} from '../../src/auth/index.ts';

const PUBLIC_URL = 'https://gw.example.test';
const RESOURCE = `${PUBLIC_URL}/mcp`;
const PRM = `${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp`;

async function demoServer() {
  const demo = await createDemoIssuer({ issuer: `${PUBLIC_URL}/demo` });
  const rs = createResourceServer(demo.authConfig(), {
    publicUrl: PUBLIC_URL,
    scopesSupported: () => ['tools:read'],
    localJwks: demo.jwks,
  });
  return { demo, rs };
}

describe('readCredentials', () => {
  const h = (authorization?: string | string[], url = '/mcp') =>
    readCredentials(authorization === undefined ? {} : ({ authorization } as never), url);

  it('extracts a bearer token; the scheme is case-insensitive', () => {
    expect(h('Bearer abc.DEF-_~+/=')).toEqual({ kind: 'token', token: 'abc.DEF-_~+/=' });
    expect(h('bearer abc')).toEqual({ kind: 'token', token: 'abc' });
    expect(h('  BEARER   abc  ')).toEqual({ kind: 'token', token: 'abc' });
  });

  it('no header or another scheme: no bearer credentials (401 without an error code)', () => {
    expect(h()).toMatchObject({ kind: 'none' });
    expect(h('Basic dXNlcjpwYXNz')).toMatchObject({ kind: 'none' });
    expect(h('DPoP abc')).toMatchObject({ kind: 'none' });
  });

  it('malformed bearer headers are 400 invalid_request', () => {
    for (const v of [
      'Bearer',
      'Bearer ',
      'Bearer a b',
      'Bearer a,b',
      'Bearer "abc"',
      'Bearer =abc',
      'Bearer ab=c',
      '',
    ])
      expect(h(v)).toMatchObject({ kind: 'malformed', status: 400, error: 'invalid_request' });
    expect(h(['Bearer a', 'Bearer b'])).toMatchObject({
      status: 400,
      description: 'more than one Authorization header',
    });
  });

  it('an oversized token is 401 invalid_token', () => {
    expect(h(`Bearer ${'a'.repeat(20_000)}`)).toMatchObject({
      status: 401,
      error: 'invalid_token',
    });
  });

  it('rejects tokens in the query string, however spelled', () => {
    for (const url of [
      '/mcp?access_token=abc',
      '/mcp?x=1&access_token=',
      '/mcp?access%5Ftoken=abc',
      '/mcp?access_token',
    ])
      expect(h('Bearer abc', url)).toMatchObject({ status: 400, error: 'invalid_request' });
    expect(h('Bearer abc', '/mcp?not_access_token=1&%zz')).toEqual({ kind: 'token', token: 'abc' });
  });
});

describe('authenticate outcomes and challenges', () => {
  it('no token: 401 with only resource_metadata', async () => {
    const { rs } = await demoServer();
    expect(await rs.authenticate({ headers: {}, url: '/mcp' }, RESOURCE)).toEqual({
      ok: false,
      status: 401,
      wwwAuthenticate: `Bearer resource_metadata="${PRM}"`,
      error: 'missing_token',
      description: 'no access token',
    });
  });

  it('token in the query: 400 invalid_request even with a valid header token', async () => {
    const { rs, demo } = await demoServer();
    const token = await demo.mint({ sub: 'a', scopes: [], audience: RESOURCE });
    const out = await rs.authenticate(
      { headers: { authorization: `Bearer ${token}` }, url: `/mcp?access_token=${token}` },
      RESOURCE,
    );
    expect(out).toEqual({
      ok: false,
      status: 400,
      error: 'invalid_request',
      description:
        'access tokens in the query string are not accepted; use the Authorization header',
      wwwAuthenticate: `Bearer resource_metadata="${PRM}", error="invalid_request", error_description="access tokens in the query string are not accepted; use the Authorization header"`,
    });
  });

  it('garbage token: 401 invalid_token', async () => {
    const { rs } = await demoServer();
    const out = await rs.authenticate(
      { headers: { authorization: 'Bearer a.b.c' }, url: '/mcp' },
      RESOURCE,
    );
    expect(out).toEqual({
      ok: false,
      status: 401,
      error: 'invalid_token',
      description: 'malformed JWT header',
      wwwAuthenticate: `Bearer resource_metadata="${PRM}", error="invalid_token", error_description="malformed JWT header"`,
    });
  });
});

describe('bearerChallenge syntax', () => {
  it('escapes quotes and backslashes and strips control characters', () => {
    expect(bearerChallenge({ resourceMetadata: 'https://x/a"b\\c\r\nSet-Cookie: y' })).toBe(
      'Bearer resource_metadata="https://x/a\\"b\\\\cSet-Cookie: y"',
    );
  });
  it('restricts error_description and scope to the RFC 6750 character set', () => {
    expect(bearerChallenge({ error: 'invalid_token', errorDescription: 'bad "x" \\ é\n' })).toBe(
      'Bearer error="invalid_token", error_description="bad ?x? ? ??"',
    );
  });
  it('is a bare scheme without parameters', () => {
    expect(bearerChallenge({})).toBe('Bearer');
  });
});

describe('fuzz: Authorization header values', () => {
  // RFC 9110 §5.6.4 quoted-string / RFC 7235 auth-param parse of our own challenges.
  const CHALLENGE =
    /^Bearer( [a-z_]+="(?:[^"\\\x00-\x1f]|\\["\\])*"(, [a-z_]+="(?:[^"\\\x00-\x1f]|\\["\\])*")*)?$/;

  it('never throws and only answers 400 or 401 with a well-formed challenge', async () => {
    const { rs, demo } = await demoServer();
    const valid = await demo.mint({
      sub: 'a',
      scopes: ['x'],
      audience: 'https://elsewhere.test/mcp',
    });
    const jwtish = fc
      .tuple(fc.string(), fc.string(), fc.string())
      .map(([a, b, c]) => [a, b, c].map((s) => base64url.encode(s)).join('.'));
    const header = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string().map((s) => `Bearer ${s}`),
      fc.string().map((s) => `bearer\t${s}`),
      jwtish.map((s) => `Bearer ${s}`),
      fc.constantFrom(
        'Bearer',
        'Bearer  ',
        'Basic',
        'Bearer ====',
        `Bearer ${valid}`,
        `Bearer ${valid}x`,
      ),
      fc.array(fc.string(), { minLength: 2, maxLength: 3 }),
    );
    const url = fc.oneof(
      fc.constant('/mcp'),
      fc.string().map((s) => `/mcp?${s}`),
    );
    await fc.assert(
      fc.asyncProperty(header, url, async (authorization, u) => {
        const out = await rs.authenticate(
          { headers: { authorization } as never, url: u },
          RESOURCE,
        );
        expect(out.ok).toBe(false);
        if (out.ok) return;
        expect([400, 401]).toContain(out.status);
        expect(out.wwwAuthenticate).toMatch(CHALLENGE);
        expect(out.wwwAuthenticate).toContain(`resource_metadata="${PRM}"`);
      }),
      { numRuns: 2000 },
    );
  });
});
