// Upstream credentials: static headers from env, client credentials against oidc-provider
// (RFC 6749 §4.4 + RFC 8707 resource), token exchange (RFC 8693) against our own endpoint;
// caching, refresh before expiry, single-flight.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt } from 'jose';
import { createResourceServer, createUpstreamCredentials } from '../../src/auth/index.ts';
import { CLIENT_ID, CLIENT_SECRET, startAuthServer, type TestAuthServer } from './helpers/oidc.ts';

const UPSTREAM = 'http://127.0.0.1:9001/mcp';

describe('static headers', () => {
  it('expands ${VAR} from the environment', async () => {
    const c = createUpstreamCredentials(
      {
        type: 'headers',
        headers: { Authorization: 'Bearer ${TICKETS_TOKEN}', 'X-Team': 'a-${TEAM}-b' },
      },
      { env: { TICKETS_TOKEN: 'sekret', TEAM: 'core' } },
    );
    expect(await c.headers()).toEqual({ authorization: 'Bearer sekret', 'x-team': 'a-core-b' });
  });
  it('an unset variable is a configuration error naming the key', () => {
    expect(() =>
      createUpstreamCredentials(
        { type: 'headers', headers: { Authorization: 'Bearer ${NOPE_NOT_SET}' } },
        { env: {}, where: 'upstreams[0].auth' },
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'AUTH_ENV_MISSING',
        where: 'upstreams[0].auth.headers.Authorization',
      }),
    );
  });
});

describe('client credentials against oidc-provider', () => {
  let as: TestAuthServer;
  beforeAll(async () => {
    as = await startAuthServer();
  });
  afterAll(async () => as?.close());

  it('gets a token bound to the upstream (resource = upstream URL) and caches it', async () => {
    const c = createUpstreamCredentials(
      {
        type: 'client_credentials',
        token_endpoint: as.tokenEndpoint,
        client_id: CLIENT_ID,
        client_secret: '${UP_SECRET}',
        resource: UPSTREAM,
        scope: 'tools:read',
      },
      { env: { UP_SECRET: CLIENT_SECRET } },
    );
    const [a, b] = await Promise.all([c.headers(), c.headers()]);
    expect(a).toEqual(b);
    const token = a.authorization.replace(/^Bearer /, '');
    expect(decodeJwt(token)).toMatchObject({
      aud: UPSTREAM,
      scope: 'tools:read',
      client_id: CLIENT_ID,
    });
    expect(await c.headers()).toEqual(a);
    // The upstream, as its own resource server, accepts it; the gateway's route does not.
    const upstreamRs = createResourceServer(
      { issuer: as.issuer, jwks_uri: as.jwksUri },
      { publicUrl: 'http://127.0.0.1:9001', scopesSupported: () => [] },
    );
    const ok = await upstreamRs.authenticate(
      { headers: { authorization: a.authorization }, url: '/mcp' },
      UPSTREAM,
    );
    expect(ok.ok).toBe(true);
    const gw = await upstreamRs.authenticate(
      { headers: { authorization: a.authorization }, url: '/mcp' },
      'https://gw.example.test/mcp',
    );
    expect(gw.ok).toBe(false);
  });

  it('client_secret_post works too; a wrong secret is an UPSTREAM_AUTH_FAILED error', async () => {
    const post = createUpstreamCredentials({
      type: 'client_credentials',
      token_endpoint: as.tokenEndpoint,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      resource: UPSTREAM,
      auth_method: 'client_secret_post',
    });
    expect((await post.headers()).authorization).toMatch(/^Bearer ey/);
    const wrong = createUpstreamCredentials({
      type: 'client_credentials',
      token_endpoint: as.tokenEndpoint,
      client_id: CLIENT_ID,
      client_secret: 'wrong',
      resource: UPSTREAM,
    });
    await expect(wrong.headers()).rejects.toMatchObject({
      code: 'UPSTREAM_AUTH_FAILED',
      status: 502,
    });
  });
});

describe('token exchange (RFC 8693) and refresh', () => {
  let srv: http.Server;
  let endpoint: string;
  const seen: URLSearchParams[] = [];
  const expiresIn = 100;
  let failing = false;
  beforeAll(async () => {
    srv = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        const form = new URLSearchParams(raw);
        seen.push(form);
        if (failing) {
          res.writeHead(500).end('{}');
          return;
        }
        // A slow answer, so concurrent callers overlap.
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' }).end(
            JSON.stringify({
              access_token: `tok-${seen.length}-${form.get('subject_token') ?? ''}`,
              issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
              token_type: 'Bearer',
              expires_in: expiresIn,
            }),
          );
        }, 20);
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    endpoint = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/token`;
  });
  afterAll(() => {
    srv.closeAllConnections();
    srv.close();
  });

  it('sends an RFC 8693 request, single-flight, refreshes before expiry, survives a failed refresh', async () => {
    seen.length = 0;
    let t = 1_000_000;
    const c = createUpstreamCredentials(
      {
        type: 'token_exchange',
        token_endpoint: endpoint,
        client_id: 'gw',
        client_secret: 's',
        resource: UPSTREAM,
        subject_token: '${SVC_TOKEN}',
        refresh_before_s: 30,
      },
      { env: { SVC_TOKEN: 'svc' }, now: () => t },
    );
    const all = await Promise.all(Array.from({ length: 10 }, () => c.headers()));
    expect(new Set(all.map((h) => h.authorization))).toEqual(new Set(['Bearer tok-1-svc']));
    expect(seen).toHaveLength(1);
    expect(Object.fromEntries(seen[0])).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      resource: UPSTREAM,
      subject_token: 'svc',
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    });
    t += 69_000; // 31 s before expiry: still cached
    expect((await c.headers()).authorization).toBe('Bearer tok-1-svc');
    t += 2_000; // 29 s before expiry: refreshed
    expect((await c.headers()).authorization).toBe('Bearer tok-2-svc');
    failing = true;
    t += 75_000; // inside the refresh window of token 2, which is still valid
    expect((await c.headers()).authorization).toBe('Bearer tok-2-svc');
    t += 30_000; // token 2 expired, refresh fails: error
    await expect(c.headers()).rejects.toMatchObject({ code: 'UPSTREAM_AUTH_FAILED' });
    failing = false;
  });

  it('exchanges the inbound user token per user (subject_token: inbound)', async () => {
    seen.length = 0;
    const c = createUpstreamCredentials({
      type: 'token_exchange',
      token_endpoint: endpoint,
      client_id: 'gw',
      client_secret: 's',
      resource: UPSTREAM,
      subject_token: 'inbound',
    });
    const alice = await c.headers({ subjectToken: 'alice-token' });
    const bob = await c.headers({ subjectToken: 'bob-token' });
    expect(alice.authorization).toMatch(/alice-token$/);
    expect(bob.authorization).toMatch(/bob-token$/);
    expect(await c.headers({ subjectToken: 'alice-token' })).toEqual(alice);
    expect(seen).toHaveLength(2);
    await expect(c.headers()).rejects.toMatchObject({ code: 'UPSTREAM_AUTH_FAILED' });
  });
});
