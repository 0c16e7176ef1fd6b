// RFC 9728 protected-resource metadata and the URLs it lives at.

import { describe, expect, it } from 'vitest';
import {
  canonicalResource,
  createResourceServer,
  metadataPathFor,
  metadataUrlFor,
  resourceForMetadataPath,
  resourceUri,
} from '../../src/auth/index.ts';

describe('RFC 9728 URLs', () => {
  it('inserts the well-known segment between host and path (§3.1)', () => {
    expect(metadataUrlFor('https://gw.example.com/mcp')).toBe(
      'https://gw.example.com/.well-known/oauth-protected-resource/mcp',
    );
    expect(metadataUrlFor('https://gw.example.com/u/tickets/mcp')).toBe(
      'https://gw.example.com/.well-known/oauth-protected-resource/u/tickets/mcp',
    );
    expect(metadataUrlFor('https://gw.example.com')).toBe(
      'https://gw.example.com/.well-known/oauth-protected-resource',
    );
    expect(metadataPathFor('http://127.0.0.1:8080/u/db/mcp')).toBe(
      '/.well-known/oauth-protected-resource/u/db/mcp',
    );
  });

  it('canonicalizes resource URIs (RFC 8707 §2)', () => {
    expect(canonicalResource('HTTPS://GW.Example.COM:443/mcp#frag')).toBe(
      'https://gw.example.com/mcp',
    );
    expect(canonicalResource('https://gw.example.com/')).toBe('https://gw.example.com');
    expect(resourceUri('https://gw.example.com/', '/mcp')).toBe('https://gw.example.com/mcp');
    expect(resourceUri('https://gw.example.com/base/', 'u/db/mcp')).toBe(
      'https://gw.example.com/base/u/db/mcp',
    );
  });

  it('maps metadata request paths back to resources', () => {
    const base = 'http://127.0.0.1:8080';
    expect(resourceForMetadataPath(base, '/.well-known/oauth-protected-resource/mcp')).toBe(
      `${base}/mcp`,
    );
    expect(resourceForMetadataPath(base, '/.well-known/oauth-protected-resource/u/db/mcp')).toBe(
      `${base}/u/db/mcp`,
    );
    expect(resourceForMetadataPath(base, '/.well-known/oauth-protected-resource')).toBe(base);
    expect(resourceForMetadataPath(base, '/.well-known/oauth-protected-resourcex')).toBeUndefined();
    expect(resourceForMetadataPath(base, '/mcp')).toBeUndefined();
  });
});

describe('protectedResourceMetadata', () => {
  let tools = ['jira:write', 'postgres:query:readonly'];
  const rs = createResourceServer(
    { issuer: 'https://login.example.com', jwks_uri: 'https://login.example.com/jwks' },
    { publicUrl: 'https://gw.example.com', scopesSupported: () => tools },
  );

  it('has the RFC 9728 §2 fields, scopes from the tools plus the approval scope', () => {
    expect(rs.protectedResourceMetadata('https://gw.example.com/mcp')).toEqual({
      resource: 'https://gw.example.com/mcp',
      authorization_servers: ['https://login.example.com'],
      scopes_supported: ['approved:by:human', 'jira:write', 'postgres:query:readonly'],
      bearer_methods_supported: ['header'],
      resource_name: 'mcp-warden',
    });
  });

  it('reflects the current tools on each call', () => {
    tools = ['a', 'a', ''];
    expect(rs.protectedResourceMetadata('https://gw.example.com/mcp').scopes_supported).toEqual([
      'a',
      'approved:by:human',
    ]);
  });

  it('serves the path-suffixed forms', () => {
    expect(rs.metadataForPath('/.well-known/oauth-protected-resource/u/db/mcp')?.resource).toBe(
      'https://gw.example.com/u/db/mcp',
    );
    expect(rs.metadataForPath('/healthz')).toBeUndefined();
    expect(rs.metadataUrlFor(rs.resourceUri('/mcp'))).toBe(
      'https://gw.example.com/.well-known/oauth-protected-resource/mcp',
    );
  });
});

describe('configuration checks', () => {
  const make = (cfg: Record<string, unknown>) => () =>
    createResourceServer(cfg as never, { publicUrl: 'https://gw', scopesSupported: () => [] });
  it('refuses none and HMAC algorithms, naming the key', () => {
    expect(
      make({ issuer: 'https://i', jwks_uri: 'https://i/j', algorithms: ['RS256', 'HS256'] }),
    ).toThrow(
      expect.objectContaining({ code: 'AUTH_CONFIG_INVALID', where: 'auth.algorithms[1]' }),
    );
    expect(make({ issuer: 'https://i', jwks_uri: 'https://i/j', algorithms: ['none'] })).toThrow(
      /not allowed/,
    );
  });
  it('needs a way to check tokens and an issuer', () => {
    expect(make({ issuer: 'https://i' })).toThrow(
      expect.objectContaining({ where: 'auth.jwks_uri' }),
    );
    expect(make({ jwks_uri: 'https://i/j' })).toThrow(
      expect.objectContaining({ where: 'auth.issuer' }),
    );
    expect(make({ issuer: 'not a url', jwks_uri: 'https://i/j' })).toThrow(/not a URL/);
  });
  it('demo mode needs the demo issuer keys', () => {
    expect(make({ demo: true })).toThrow(
      expect.objectContaining({ code: 'AUTH_DEMO_KEYS_MISSING' }),
    );
  });
  it('applies documented defaults', () => {
    const rs = createResourceServer(
      { issuer: 'https://i', jwks_uri: 'https://i/j' },
      { publicUrl: 'https://gw', scopesSupported: () => [] },
    );
    expect(rs.config).toMatchObject({
      skewS: 60,
      approvalScope: 'approved:by:human',
      approvalMaxAgeS: 300,
      algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA'],
      fetchTimeoutMs: 3000,
      jwksCooldownMs: 30000,
      cacheMaxEntries: 10000,
    });
  });
});
