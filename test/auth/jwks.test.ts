// Tokens signed with our own jose keys, served from our own JWKS endpoint: key rotation, the
// rate limit on unknown-kid refetches, JWKS outages, nbf, typ, and the claims a real
// authorization server will not emit on demand.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createResourceServer, type AuthConfig } from '../../src/auth/index.ts';
import {
  makeKey,
  sign,
  startJwksServer,
  type JwksServer,
  type SigningKey,
} from './helpers/keys.ts';

const ISS = 'https://login.example.test';
const PUBLIC_URL = 'https://gw.example.test';
const RESOURCE = `${PUBLIC_URL}/mcp`;
const NOW_S = 1_800_000_000;
const now = () => NOW_S * 1000;

let k1: SigningKey;
let jwks: JwksServer;
const claims = (extra: Record<string, unknown> = {}) => ({
  iss: ISS,
  sub: 'alice',
  aud: RESOURCE,
  iat: NOW_S - 10,
  exp: NOW_S + 600,
  scope: 'tools:read',
  ...extra,
});
const req = (token: string) => ({ headers: { authorization: `Bearer ${token}` }, url: '/mcp' });
const server = (cfg: Partial<AuthConfig> = {}) =>
  createResourceServer(
    { issuer: ISS, jwks_uri: jwks.url, fetch_timeout_ms: 300, ...cfg },
    { publicUrl: PUBLIC_URL, scopesSupported: () => [], now },
  );

beforeEach(async () => {
  k1 = await makeKey('k1');
  jwks = await startJwksServer([k1]);
});
afterEach(async () => jwks.close());

describe('key rotation', () => {
  it('accepts a token under a new kid after refetching the JWKS', async () => {
    const rs = server({ jwks_cooldown_ms: 0 });
    expect((await rs.authenticate(req(await sign(k1, claims())), RESOURCE)).ok).toBe(true);
    expect(jwks.hits).toBe(1);
    const k2 = await makeKey('k2', 'RS256');
    jwks.keys.push(k2.publicJwk); // the issuer publishes the new key, then signs with it
    const out = await rs.authenticate(req(await sign(k2, claims())), RESOURCE);
    expect(out.ok).toBe(true);
    expect(jwks.hits).toBe(2);
  });

  it('rate-limits refetches for unknown kids (cooldown)', async () => {
    const rs = server({ jwks_cooldown_ms: 60_000 });
    expect((await rs.authenticate(req(await sign(k1, claims())), RESOURCE)).ok).toBe(true);
    const stranger = await makeKey('forged-kid');
    for (let i = 0; i < 5; i++) {
      const out = await rs.authenticate(
        req(await sign(stranger, claims({ jti: `${i}` }))),
        RESOURCE,
      );
      expect(out).toMatchObject({
        ok: false,
        status: 401,
        description: 'token signed with an unknown key',
      });
    }
    expect(jwks.hits).toBe(1);
  });

  it('rejects a token whose kid is unknown even after a refetch', async () => {
    const rs = server({ jwks_cooldown_ms: 0 });
    const stranger = await makeKey('k9');
    const out = await rs.authenticate(req(await sign(stranger, claims())), RESOURCE);
    expect(out).toMatchObject({ ok: false, status: 401, error: 'invalid_token' });
  });
});

describe('JWKS endpoint down', () => {
  const bounded = <T>(p: Promise<T>) =>
    Promise.race([
      p,
      new Promise<never>((_, rej) => setTimeout(() => rej(new Error('authenticate hung')), 10_000)),
    ]);

  for (const mode of ['hang', 'error500', 'garbage'] as const)
    it(`answers 503 when the JWKS endpoint ${mode === 'hang' ? 'never answers' : `serves ${mode}`}`, async () => {
      jwks.mode = mode;
      const out = await bounded(server().authenticate(req(await sign(k1, claims())), RESOURCE));
      expect(out).toMatchObject({ ok: false, status: 503, error: 'temporarily_unavailable' });
      if (!out.ok) expect(out.wwwAuthenticate).toBeUndefined();
      if (mode === 'hang')
        expect(out).toMatchObject({ description: 'timed out fetching the issuer keys' });
    });

  it('answers 503 when nothing listens at the JWKS URL', async () => {
    const url = jwks.url;
    await jwks.close();
    const rs = createResourceServer(
      { issuer: ISS, jwks_uri: url, fetch_timeout_ms: 300 },
      { publicUrl: PUBLIC_URL, scopesSupported: () => [], now },
    );
    const out = await bounded(rs.authenticate(req(await sign(k1, claims())), RESOURCE));
    expect(out).toMatchObject({ ok: false, status: 503 });
    jwks = await startJwksServer([k1]); // for afterEach
  });

  it('recovers once the endpoint is back (failures are not cached)', async () => {
    const rs = server();
    const token = await sign(k1, claims());
    jwks.mode = 'error500';
    expect(await rs.authenticate(req(token), RESOURCE)).toMatchObject({ status: 503 });
    jwks.mode = 'ok';
    expect((await rs.authenticate(req(token), RESOURCE)).ok).toBe(true);
  });
});

describe('claims and header checks', () => {
  it('rejects a token that is not yet valid (nbf beyond the skew) and accepts it within', async () => {
    const rs = server({ skew_s: 60 });
    const early = await rs.authenticate(req(await sign(k1, claims({ nbf: NOW_S + 61 }))), RESOURCE);
    expect(early).toMatchObject({ ok: false, status: 401, description: 'token not yet valid' });
    const within = await rs.authenticate(
      req(await sign(k1, claims({ nbf: NOW_S + 59 }))),
      RESOURCE,
    );
    expect(within.ok).toBe(true);
  });

  it('requires exp', async () => {
    const c: Record<string, unknown> = claims();
    delete c.exp;
    const out = await server().authenticate(req(await sign(k1, c)), RESOURCE);
    expect(out).toMatchObject({ ok: false, status: 401, error: 'invalid_token' });
  });

  it('accepts typ at+jwt, application/at+jwt, JWT and none; refuses other token kinds', async () => {
    const rs = server();
    for (const typ of ['at+jwt', 'application/at+jwt', 'JWT', undefined])
      expect(
        (
          await rs.authenticate(
            req(await sign(k1, claims({ jti: String(typ) }), { typ })),
            RESOURCE,
          )
        ).ok,
      ).toBe(true);
    const out = await rs.authenticate(req(await sign(k1, claims(), { typ: 'dpop+jwt' })), RESOURCE);
    expect(out).toMatchObject({ ok: false, status: 401, error: 'invalid_token' });
  });

  it('honours a narrowed algorithm allow-list', async () => {
    const out = await server({ algorithms: ['RS256'] }).authenticate(
      req(await sign(k1, claims())),
      RESOURCE,
    );
    expect(out).toMatchObject({
      ok: false,
      status: 401,
      description: 'JWT algorithm "ES256" is not accepted',
    });
  });

  it('accepts EdDSA and PS256 keys from the default allow-list', async () => {
    for (const alg of ['EdDSA', 'PS256']) {
      const k = await makeKey(`k-${alg}`, alg);
      jwks.keys.push(k.publicJwk);
      const out = await server().authenticate(req(await sign(k, claims())), RESOURCE);
      expect(out.ok).toBe(true);
    }
  });

  it('reads scopes from scp arrays and the approval time from approved_at only, by default', async () => {
    const rs = server();
    const a = await rs.authenticate(
      req(
        await sign(
          k1,
          claims({ scope: undefined, scp: ['a', 'b'], approved_at: NOW_S - 5, auth_time: 1 }),
        ),
      ),
      RESOURCE,
    );
    expect(a.ok && a.subject.scopes).toEqual(['a', 'b']);
    expect(a.ok && a.subject.approvedAt).toBe(NOW_S - 5);
    // auth_time is not configured and iat dates the token, not a human act.
    const b = await rs.authenticate(
      req(await sign(k1, claims({ auth_time: NOW_S - 7 }))),
      RESOURCE,
    );
    expect(b.ok && b.subject.approvedAt).toBeUndefined();
    const c = await rs.authenticate(req(await sign(k1, claims({ jti: 'c' }))), RESOURCE);
    expect(c.ok && c.subject.approvedAt).toBeUndefined();
  });

  it('reads auth_time when auth.approval.time_claims lists it; a malformed first claim is no approval', async () => {
    const rs = server({ approval: { time_claims: ['approved_at', 'auth_time'] } });
    const at = async (extra: Record<string, unknown>) => {
      const out = await rs.authenticate(req(await sign(k1, claims(extra))), RESOURCE);
      expect(out.ok).toBe(true);
      return out.ok ? out.subject.approvedAt : 'refused';
    };
    expect(await at({ jti: 'd', auth_time: NOW_S - 7 })).toBe(NOW_S - 7);
    expect(await at({ jti: 'e', approved_at: NOW_S - 3, auth_time: NOW_S - 7 })).toBe(NOW_S - 3);
    for (const [i, bad] of [String(NOW_S), '2026-01-01T00:00:00Z', null, -5, true].entries())
      expect(await at({ jti: `f${i}`, approved_at: bad, auth_time: NOW_S - 7 })).toBeUndefined();
  });

  it('refuses an approval.time_claims that names no claim', () => {
    const where = (cfg: Partial<AuthConfig>) => {
      try {
        server(cfg);
      } catch (e) {
        return (e as { where?: string }).where;
      }
      return 'accepted';
    };
    expect(where({ approval: { time_claims: [] } })).toBe('auth.approval.time_claims');
    expect(where({ approval: { time_claims: ['a b'] } })).toBe('auth.approval.time_claims[0]');
  });

  it('drops cache entries when the token expires', async () => {
    let t = NOW_S * 1000;
    const rs = createResourceServer(
      { issuer: ISS, jwks_uri: jwks.url, skew_s: 0 },
      { publicUrl: PUBLIC_URL, scopesSupported: () => [], now: () => t },
    );
    const token = await sign(k1, claims({ exp: NOW_S + 5 }));
    expect((await rs.authenticate(req(token), RESOURCE)).ok).toBe(true);
    expect(rs.cacheSize()).toBe(1);
    t = (NOW_S + 5) * 1000;
    expect(await rs.authenticate(req(token), RESOURCE)).toMatchObject({
      status: 401,
      description: 'token expired',
    });
    expect(rs.cacheSize()).toBe(0);
  });

  it('bounds the cache', async () => {
    const rs = server({ cache_max_entries: 3 });
    for (let i = 0; i < 6; i++)
      await rs.authenticate(req(await sign(k1, claims({ jti: `${i}` }))), RESOURCE);
    expect(rs.cacheSize()).toBe(3);
  });

  it('verifies concurrent first uses of one token once', async () => {
    const rs = server();
    const token = await sign(k1, claims());
    const outs = await Promise.all(
      Array.from({ length: 20 }, () => rs.authenticate(req(token), RESOURCE)),
    );
    expect(outs.every((o) => o.ok)).toBe(true);
    expect(jwks.hits).toBe(1);
  });
});

describe('introspection endpoint of our own', () => {
  it('rejects refresh tokens, foreign issuers and expired answers; 503 on timeout', async () => {
    let answer: Record<string, unknown> = {};
    let hang = false;
    const srv = http.createServer((_req, res) => {
      if (hang) return;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/introspect`;
    const rs = createResourceServer(
      {
        issuer: ISS,
        introspection: { endpoint, client_id: 'rs', client_secret: 's', cache_max_s: 0 },
        fetch_timeout_ms: 300,
      },
      { publicUrl: PUBLIC_URL, scopesSupported: () => [], now },
    );
    const base = { active: true, sub: 'bob', aud: RESOURCE, exp: NOW_S + 60, scope: 'x' };
    const cases: [Record<string, unknown>, number, string?][] = [
      [base, 200],
      [{ ...base, token_type: 'refresh_token' }, 401],
      [{ ...base, iss: 'https://evil.example.test' }, 401, 'token issuer is not accepted'],
      [{ ...base, exp: NOW_S - 120 }, 401, 'token expired'],
      [{ ...base, active: 'true' }, 401, 'token is not active'],
      [{ active: true, scope: 'x' }, 401, 'token names no subject'],
    ];
    for (const [a, status, description] of cases) {
      answer = a;
      const out = await rs.authenticate(req('opaque-token'), RESOURCE);
      if (status === 200) expect(out.ok).toBe(true);
      else
        expect(out).toMatchObject({ ok: false, status, ...(description ? { description } : {}) });
    }
    hang = true;
    expect(await rs.authenticate(req('opaque-token'), RESOURCE)).toMatchObject({
      status: 503,
      description: 'introspection endpoint timed out',
    });
    srv.closeAllConnections();
    srv.close();
  });
});
