// Against a real authorization server (oidc-provider): its client-credentials grant with a
// resource indicator issues RFC 9068 JWTs; we verify them through its real JWKS endpoint.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64url, decodeJwt, decodeProtectedHeader } from 'jose';
import { createHmac } from 'node:crypto';
import { createResourceServer, type ResourceServer } from '../../src/auth/index.ts';
import { startAuthServer, type TestAuthServer } from './helpers/oidc.ts';

const PUBLIC_URL = 'https://gw.example.test';
const RESOURCE = `${PUBLIC_URL}/mcp`;
const PRM = `${PUBLIC_URL}/.well-known/oauth-protected-resource/mcp`;

let as: TestAuthServer;
let rs: ResourceServer;
const req = (token: string) => ({ headers: { authorization: `Bearer ${token}` }, url: '/mcp' });

beforeAll(async () => {
  as = await startAuthServer();
  rs = createResourceServer(
    { issuer: as.issuer, jwks_uri: as.jwksUri },
    { publicUrl: PUBLIC_URL, scopesSupported: () => ['tools:read'] },
  );
});
afterAll(async () => as?.close());

describe('JWT access tokens from oidc-provider', () => {
  it('accepts a valid token and builds the subject', async () => {
    const token = await as.token(RESOURCE, 'tools:read postgres:*');
    expect(decodeProtectedHeader(token).typ).toBe('at+jwt');
    const out = await rs.authenticate(req(token), RESOURCE);
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.subject).toMatchObject({
      sub: 'gateway',
      clientId: 'gateway',
      scopes: ['tools:read', 'postgres:*'],
      issuer: as.issuer,
      audience: [RESOURCE],
    });
    expect(out.subject.tokenHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // `iat` dates the token, not a human approval: no approval time by default.
    expect(decodeJwt(token).iat).toBeTypeOf('number');
    expect(out.subject.approvedAt).toBeUndefined();
    expect(rs.hasScope(out.subject, 'postgres:query:readonly')).toBe(true);
    expect(rs.hasScope(out.subject, 'tools:write')).toBe(false);
  });

  it('serves repeat requests from the cache (same subject object)', async () => {
    const token = await as.token(RESOURCE, 'tools:read');
    const a = await rs.authenticate(req(token), RESOURCE);
    const b = await rs.authenticate(req(token), RESOURCE);
    expect(a.ok && b.ok && a.subject === b.subject).toBe(true);
  });

  it('rejects a token issued for another resource (wrong aud)', async () => {
    const token = await as.token('https://other.example.test/mcp', 'tools:read');
    const out = await rs.authenticate(req(token), RESOURCE);
    expect(out).toMatchObject({ ok: false, status: 401, error: 'invalid_token' });
    if (out.ok) return;
    expect(out.wwwAuthenticate).toBe(
      `Bearer resource_metadata="${PRM}", error="invalid_token", error_description="token audience does not include this resource"`,
    );
  });

  it('checks the audience per route: a /mcp token is not good on /u/db/mcp', async () => {
    const token = await as.token(RESOURCE, 'tools:read');
    const route = `${PUBLIC_URL}/u/db/mcp`;
    const out = await rs.authenticate(req(token), route);
    expect(out).toMatchObject({ ok: false, status: 401 });
    if (!out.ok)
      expect(out.wwwAuthenticate).toContain(
        `resource_metadata="${PUBLIC_URL}/.well-known/oauth-protected-resource/u/db/mcp"`,
      );
    const routeToken = await as.token(route, 'tools:read');
    expect((await rs.authenticate(req(routeToken), route)).ok).toBe(true);
  });

  it('accepts configured extra audiences', async () => {
    const token = await as.token(RESOURCE, 'tools:read');
    const shared = createResourceServer(
      { issuer: as.issuer, jwks_uri: as.jwksUri, audience: RESOURCE },
      { publicUrl: PUBLIC_URL, scopesSupported: () => [] },
    );
    expect((await shared.authenticate(req(token), `${PUBLIC_URL}/u/db/mcp`)).ok).toBe(true);
  });

  it('rejects a token from an unexpected issuer (wrong iss)', async () => {
    const token = await as.token(RESOURCE, 'tools:read');
    const strict = createResourceServer(
      { issuer: 'https://login.example.test', jwks_uri: as.jwksUri },
      { publicUrl: PUBLIC_URL, scopesSupported: () => [] },
    );
    const out = await strict.authenticate(req(token), RESOURCE);
    expect(out).toMatchObject({
      ok: false,
      status: 401,
      error: 'invalid_token',
      description: 'token issuer is not accepted',
    });
  });

  it('rejects an expired token (clock past exp + skew)', async () => {
    const token = await as.token(RESOURCE, 'tools:read');
    const exp = decodeJwt(token).exp as number;
    const later = createResourceServer(
      { issuer: as.issuer, jwks_uri: as.jwksUri, skew_s: 30 },
      { publicUrl: PUBLIC_URL, scopesSupported: () => [], now: () => (exp + 31) * 1000 },
    );
    const out = await later.authenticate(req(token), RESOURCE);
    expect(out).toMatchObject({ ok: false, status: 401, description: 'token expired' });
    if (!out.ok)
      expect(out.wwwAuthenticate).toBe(
        `Bearer resource_metadata="${PRM}", error="invalid_token", error_description="token expired"`,
      );
    // Within the skew it is still accepted.
    const edge = createResourceServer(
      { issuer: as.issuer, jwks_uri: as.jwksUri, skew_s: 30 },
      { publicUrl: PUBLIC_URL, scopesSupported: () => [], now: () => (exp + 29) * 1000 },
    );
    expect((await edge.authenticate(req(token), RESOURCE)).ok).toBe(true);
  });

  it('rejects alg none', async () => {
    const token = await as.token(RESOURCE, 'tools:read');
    const [, payload] = token.split('.');
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }))}.${payload}.`;
    const out = await rs.authenticate(req(none), RESOURCE);
    expect(out).toMatchObject({ ok: false, status: 401, error: 'invalid_token' });
    if (!out.ok) expect(out.description).toBe('JWT algorithm "none" is not accepted');
  });

  it('rejects HS256 signed with the public key (algorithm confusion)', async () => {
    const token = await as.token(RESOURCE, 'tools:read');
    const [, payload] = token.split('.');
    const jwks = (await (await fetch(as.jwksUri)).json()) as { keys: Record<string, string>[] };
    const header = base64url.encode(JSON.stringify({ alg: 'HS256', typ: 'at+jwt', kid: 'op-1' }));
    // Every plausible serialization of the public key an attacker might try as the HMAC secret.
    for (const secret of [
      JSON.stringify(jwks.keys[0]),
      jwks.keys[0].n,
      base64url.decode(jwks.keys[0].n),
    ]) {
      const mac = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
      const out = await rs.authenticate(req(`${header}.${payload}.${mac}`), RESOURCE);
      expect(out).toMatchObject({ ok: false, status: 401, error: 'invalid_token' });
      if (!out.ok) expect(out.description).toBe('JWT algorithm "HS256" is not accepted');
    }
  });

  it('rejects a tampered payload and a tampered signature', async () => {
    const token = await as.token(RESOURCE, 'tools:read');
    const [h, p, s] = token.split('.');
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(p)));
    claims.scope = 'tools:read tools:write';
    const forged = `${h}.${base64url.encode(JSON.stringify(claims))}.${s}`;
    const flipped = `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    for (const t of [forged, flipped]) {
      const out = await rs.authenticate(req(t), RESOURCE);
      expect(out).toMatchObject({
        ok: false,
        status: 401,
        error: 'invalid_token',
        description: 'bad token signature',
      });
    }
  });
});

describe('opaque tokens via RFC 7662 introspection at oidc-provider', () => {
  const OPAQUE = `${PUBLIC_URL}/u/opaque/mcp`;
  let intro: ResourceServer;
  beforeAll(() => {
    intro = createResourceServer(
      {
        issuer: as.issuer,
        introspection: {
          endpoint: as.introspectionEndpoint,
          client_id: 'gateway',
          client_secret: 'gateway-secret-gateway-secret-0123456789',
        },
      },
      { publicUrl: PUBLIC_URL, scopesSupported: () => [] },
    );
  });

  it('accepts an active opaque token', async () => {
    const token = await as.token(OPAQUE, 'tools:write');
    expect(token.split('.').length).toBe(1);
    const out = await intro.authenticate(req(token), OPAQUE);
    expect(out.ok).toBe(true);
    if (out.ok)
      expect(out.subject).toMatchObject({
        sub: 'gateway',
        scopes: ['tools:write'],
        audience: [OPAQUE],
      });
  });

  it('rejects active:false (an unknown token)', async () => {
    const out = await intro.authenticate(req('not-a-token-the-server-issued'), OPAQUE);
    expect(out).toMatchObject({
      ok: false,
      status: 401,
      error: 'invalid_token',
      description: 'token is not active',
    });
  });

  it('rejects an active token for another resource', async () => {
    const token = await as.token(OPAQUE, 'tools:write');
    const out = await intro.authenticate(req(token), RESOURCE);
    expect(out).toMatchObject({ ok: false, status: 401, error: 'invalid_token' });
  });

  it('maps wrong introspection credentials (401 from the AS) to a 503-class outcome', async () => {
    const broken = createResourceServer(
      {
        issuer: as.issuer,
        introspection: {
          endpoint: as.introspectionEndpoint,
          client_id: 'gateway',
          client_secret: 'wrong',
        },
      },
      { publicUrl: PUBLIC_URL, scopesSupported: () => [] },
    );
    const token = await as.token(OPAQUE, 'tools:write');
    expect(await broken.authenticate(req(token), OPAQUE)).toMatchObject({
      ok: false,
      status: 503,
      error: 'temporarily_unavailable',
    });
  });
});
