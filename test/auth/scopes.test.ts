// Scope checks and human approval (authorizeScopes), with the exact 403 step-up challenges.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createResourceServer, type AuthConfig, type Subject } from '../../src/auth/index.ts';
import {
  makeKey,
  sign,
  startJwksServer,
  type JwksServer,
  type SigningKey,
} from './helpers/keys.ts';

const ISS = 'https://login.example.test';
const PUBLIC_URL = 'https://gw.example.test';
const RESOURCE = `${PUBLIC_URL}/u/db/mcp`;
const PRM = `${PUBLIC_URL}/.well-known/oauth-protected-resource/u/db/mcp`;
const NOW_S = 1_800_000_000;

let key: SigningKey;
let jwks: JwksServer;
beforeAll(async () => {
  key = await makeKey('k1');
  jwks = await startJwksServer([key]);
});
afterAll(async () => jwks.close());

const rsWith = (cfg: Partial<AuthConfig> = {}) =>
  createResourceServer(
    { issuer: ISS, jwks_uri: jwks.url, ...cfg },
    { publicUrl: PUBLIC_URL, scopesSupported: () => [], now: () => NOW_S * 1000 },
  );

async function subject(
  scope: string,
  extra: Record<string, unknown> = {},
  cfg: Partial<AuthConfig> = {},
) {
  const rs = rsWith(cfg);
  const token = await sign(key, {
    iss: ISS,
    sub: 'alice',
    aud: RESOURCE,
    iat: NOW_S - 1000,
    exp: NOW_S + 600,
    scope,
    ...extra,
  });
  const out = await rs.authenticate(
    { headers: { authorization: `Bearer ${token}` }, url: '/u/db/mcp' },
    RESOURCE,
  );
  if (!out.ok) throw new Error(out.description);
  return { rs, s: out.subject as Subject };
}

describe('scopes', () => {
  it('allows a tool whose scope is held exactly, and one that needs no scope', async () => {
    const { rs, s } = await subject('jira:write');
    expect(rs.authorizeScopes(s, { scope: 'jira:write', destructive: false }, RESOURCE)).toEqual({
      ok: true,
    });
    expect(rs.authorizeScopes(s, { scope: '', destructive: false }, RESOURCE)).toEqual({
      ok: true,
    });
  });

  it('denies a missing scope with the union of held and needed scopes', async () => {
    const { rs, s } = await subject('tools:read jira:read');
    const d = rs.authorizeScopes(s, { scope: 'jira:write', destructive: false }, RESOURCE);
    expect(d).toEqual({
      ok: false,
      status: 403,
      reason: 'missing scope',
      description: 'missing scope: jira:write',
      wwwAuthenticate: `Bearer resource_metadata="${PRM}", error="insufficient_scope", error_description="missing scope: jira:write", scope="tools:read jira:read jira:write"`,
    });
  });

  it('wildcards cover everything below the prefix, not the prefix or siblings', async () => {
    const { rs, s } = await subject('postgres:*');
    expect(rs.hasScope(s, 'postgres:query:readonly')).toBe(true);
    expect(rs.hasScope(s, 'postgres:query')).toBe(true);
    expect(rs.hasScope(s, 'postgres')).toBe(false);
    expect(rs.hasScope(s, 'postgresql:query')).toBe(false);
    expect(rs.hasScope(s, 'mysql:query')).toBe(false);
  });

  it('a missing scope under a wildcard hierarchy still names the needed scope', async () => {
    const { rs, s } = await subject('postgres:query:*');
    const d = rs.authorizeScopes(s, { scope: 'postgres:admin', destructive: false }, RESOURCE);
    expect(d).toMatchObject({ ok: false, reason: 'missing scope' });
    expect(!d.ok && d.wwwAuthenticate).toContain('scope="postgres:query:* postgres:admin"');
  });

  it('wildcards can be switched off and the separator changed', async () => {
    const off = await subject('postgres:*', {}, { scope_hierarchy: { wildcard: false } });
    expect(off.rs.hasScope(off.s, 'postgres:query')).toBe(false);
    const dots = await subject('files.*', {}, { scope_hierarchy: { separator: '.' } });
    expect(dots.rs.hasScope(dots.s, 'files.read')).toBe(true);
  });

  it('follows explicit implies edges transitively, cycles included', async () => {
    const implies = {
      'jira:admin': ['jira:write'],
      'jira:write': ['jira:read'],
      'jira:read': ['jira:admin'],
    };
    const { rs, s } = await subject('jira:write', {}, { scope_hierarchy: { implies } });
    expect(rs.hasScope(s, 'jira:read')).toBe(true);
    expect(rs.hasScope(s, 'jira:admin')).toBe(true);
    const { rs: rs2, s: s2 } = await subject(
      'jira:read',
      {},
      { scope_hierarchy: { implies: { 'jira:write': ['jira:read'] } } },
    );
    expect(rs2.hasScope(s2, 'jira:write')).toBe(false);
  });
});

describe('human approval for destructive tools (max_age_s 300)', () => {
  const need = { scope: 'jira:write', destructive: true };
  const APPROVE = 'jira:write approved:by:human';

  it('fresh approval passes', async () => {
    const { rs, s } = await subject(APPROVE, { approved_at: NOW_S - 10 });
    expect(rs.authorizeScopes(s, need, RESOURCE)).toEqual({ ok: true });
  });

  it('approval exactly max_age_s old is still fresh', async () => {
    const { rs, s } = await subject(APPROVE, { approved_at: NOW_S - 300 });
    expect(rs.authorizeScopes(s, need, RESOURCE)).toEqual({ ok: true });
  });

  it('approval one second older is stale: 403 insufficient_scope', async () => {
    const { rs, s } = await subject(APPROVE, { approved_at: NOW_S - 301 });
    expect(rs.authorizeScopes(s, need, RESOURCE)).toEqual({
      ok: false,
      status: 403,
      reason: 'approval stale',
      description: 'human approval is older than 300s; approve again',
      wwwAuthenticate: `Bearer resource_metadata="${PRM}", error="insufficient_scope", error_description="human approval is older than 300s; approve again", scope="jira:write approved:by:human"`,
    });
  });

  it('reads auth_time only when configured, and never falls back to iat', async () => {
    const cfg = { approval: { time_claims: ['approved_at', 'auth_time'] } };
    const a = await subject(APPROVE, { auth_time: NOW_S - 100 }, cfg);
    expect(a.rs.authorizeScopes(a.s, need, RESOURCE)).toEqual({ ok: true });
    const d = await subject(APPROVE, { auth_time: NOW_S - 100 }); // default: approved_at only
    expect(d.rs.authorizeScopes(d.s, need, RESOURCE)).toMatchObject({
      ok: false,
      reason: 'approval required',
    });
    const b = await subject(APPROVE, { iat: NOW_S }); // a fresh iat is no approval
    expect(b.rs.authorizeScopes(b.s, need, RESOURCE)).toMatchObject({
      ok: false,
      reason: 'approval required',
    });
  });

  it('without the approval scope: approval required, challenge adds it', async () => {
    const { rs, s } = await subject('jira:write', { approved_at: NOW_S });
    const d = rs.authorizeScopes(s, need, RESOURCE);
    expect(d).toMatchObject({ ok: false, status: 403, reason: 'approval required' });
    expect(!d.ok && d.wwwAuthenticate).toContain('scope="jira:write approved:by:human"');
  });

  it('the approval scope is never implied by a wildcard or an implies edge', async () => {
    const w = await subject('approved:* jira:write', { approved_at: NOW_S });
    expect(w.rs.authorizeScopes(w.s, need, RESOURCE)).toMatchObject({
      reason: 'approval required',
    });
    const i = await subject(
      'jira:write admin',
      { approved_at: NOW_S },
      { scope_hierarchy: { implies: { admin: ['approved:by:human'] } } },
    );
    expect(i.rs.authorizeScopes(i.s, need, RESOURCE)).toMatchObject({
      reason: 'approval required',
    });
  });

  it('missing tool scope and missing approval: one challenge names both', async () => {
    const { rs, s } = await subject('tools:read');
    const d = rs.authorizeScopes(s, need, RESOURCE);
    expect(d).toMatchObject({ ok: false, reason: 'missing scope' });
    expect(!d.ok && d.wwwAuthenticate).toContain('scope="tools:read jira:write approved:by:human"');
  });

  it('an approval dated in the future (beyond the skew) is not fresh', async () => {
    const { rs, s } = await subject(APPROVE, { approved_at: NOW_S + 3600 });
    expect(rs.authorizeScopes(s, need, RESOURCE)).toMatchObject({
      ok: false,
      reason: 'approval stale',
    });
  });

  it('uses the configured approval scope name and max age', async () => {
    const cfg = { approval: { scope: 'human:ok', max_age_s: 60 } };
    const ok = await subject('jira:write human:ok', { approved_at: NOW_S - 60 }, cfg);
    expect(ok.rs.authorizeScopes(ok.s, need, RESOURCE)).toEqual({ ok: true });
    const stale = await subject('jira:write human:ok', { approved_at: NOW_S - 61 }, cfg);
    const d = stale.rs.authorizeScopes(stale.s, need, RESOURCE);
    expect(d).toMatchObject({
      reason: 'approval stale',
      description: 'human approval is older than 60s; approve again',
    });
  });

  it('non-destructive tools ignore approval', async () => {
    const { rs, s } = await subject('jira:write');
    expect(rs.authorizeScopes(s, { scope: 'jira:write', destructive: false }, RESOURCE)).toEqual({
      ok: true,
    });
  });
});
