// The demo issuer (NOT FOR PRODUCTION): mint, serve JWKS and a loopback token endpoint, persist
// its key, and be trusted by the resource server through localJwks or its served JWKS.

import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import {
  createDemoIssuer,
  createResourceServer,
  NOT_FOR_PRODUCTION,
} from '../../src/auth/index.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('demo issuer', () => {
  it('mints tokens the resource server accepts, with approval', async () => {
    const demo = await createDemoIssuer({ issuer: 'http://127.0.0.1:1/demo' });
    const resource = 'http://127.0.0.1:1/mcp';
    const rs = createResourceServer(demo.authConfig(), {
      publicUrl: 'http://127.0.0.1:1',
      scopesSupported: () => [],
      localJwks: demo.jwks,
    });
    const token = await demo.mint({
      sub: 'dev',
      scopes: ['jira:write', 'approved:by:human'],
      approved: true,
      audience: resource,
    });
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
    expect(decodeJwt(token).demo).toBe(NOT_FOR_PRODUCTION);
    const out = await rs.authenticate(
      { headers: { authorization: `Bearer ${token}` }, url: '/mcp' },
      resource,
    );
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(
      rs.authorizeScopes(out.subject, { scope: 'jira:write', destructive: true }, resource),
    ).toEqual({ ok: true });
    expect(demo.jwks.keys[0]).not.toHaveProperty('d');
  });

  it('serves its JWKS and a loopback token endpoint that a JWKS-URI resource server trusts', async () => {
    const srv = http.createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => srv.close(r)));
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const demo = await createDemoIssuer({ issuer: `${base}/demo` });
    srv.on('request', (req, res) => {
      if (!demo.handle(req, res)) res.writeHead(404).end();
    });
    const resource = `${base}/mcp`;
    const res = await fetch(`${base}${demo.tokenPath}`, {
      method: 'POST',
      body: new URLSearchParams({
        resource,
        scope: 'tools:read approved:by:human',
        approved: 'true',
        sub: 'me',
      }),
    });
    const body = (await res.json()) as Record<string, unknown>;
    expect(res.status).toBe(200);
    expect(body).toMatchObject({
      token_type: 'Bearer',
      scope: 'tools:read approved:by:human',
      warning: NOT_FOR_PRODUCTION,
    });
    const rs = createResourceServer(
      { issuer: demo.issuer, jwks_uri: `${base}${demo.jwksPath}` },
      { publicUrl: base, scopesSupported: () => [] },
    );
    const out = await rs.authenticate(
      { headers: { authorization: `Bearer ${body.access_token}` }, url: '/mcp' },
      resource,
    );
    expect(out.ok && out.subject).toMatchObject({
      sub: 'me',
      scopes: ['tools:read', 'approved:by:human'],
    });
    expect(
      (await fetch(`${base}${demo.tokenPath}`, { method: 'POST', body: 'scope=x' })).status,
    ).toBe(400);
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
    expect(demo.helpText(base, resource)).toContain(
      `curl -s ${base}/demo/token -d resource=${resource}`,
    );
    expect(demo.helpText(base, resource)).toContain('NOT FOR PRODUCTION');
  });

  it('persists its key in a directory (mode 0600) and reuses it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warden-demo-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const a = await createDemoIssuer({ dir });
    const b = await createDemoIssuer({ dir });
    expect(b.jwks).toEqual(a.jwks);
    expect((await stat(join(dir, 'demo-issuer-key.json'))).mode & 0o777).toBe(0o600);
    const c = await createDemoIssuer();
    expect(c.jwks.keys[0].kid).not.toBe(a.jwks.keys[0].kid);
  });
});
