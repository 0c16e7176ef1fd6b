// The Authorizer with the registry as its CallGuard: real demo-issuer tokens through the real
// resource server, the shipped policy, a real upstream behind the registry.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDemoIssuer,
  createResourceServer,
  type AuthConfig,
  type DemoIssuer,
  type ResourceServer,
  type Subject,
} from '../../src/auth/index.ts';
import { buildConfig } from '../../src/config/index.ts';
import { Authorizer } from '../../src/gateway/authorize.ts';
import { createRegistry, type Registry } from '../../src/registry/index.ts';
import type { Upstream } from '../../src/upstream/upstream.ts';
import { testPolicy } from '../gateway/harness.ts';
import {
  httpUpstream,
  quiet,
  startMutable,
  tool,
  until,
  type MutableUpstream,
} from './fixtures.ts';

const PUBLIC = 'http://127.0.0.1:1';
let peer: MutableUpstream;
let u: Upstream;
let reg: Registry;
let issuer: DemoIssuer;
let auth: ResourceServer;
let authz: Authorizer;
let alice: Subject;

beforeAll(async () => {
  peer = await startMutable([tool('echo'), tool('shifty')]);
  u = httpUpstream('api', peer.url, { default_scope: 'api:read' });
  await u.start();
  reg = createRegistry({ upstreams: [u], log: quiet, refreshIntervalMs: 0, pinning: 'enforce' });
  issuer = await createDemoIssuer();
  const config = buildConfig({ auth: { demo: true }, upstreams: [] }, 'test');
  auth = createResourceServer(issuer.authConfig(config.auth as AuthConfig), {
    publicUrl: PUBLIC,
    localJwks: issuer.jwks,
    scopesSupported: () => ['api:read'],
  });
  const { policy } = await testPolicy();
  authz = new Authorizer(auth, policy, config, reg);
  const token = await issuer.mint({
    sub: 'alice',
    scopes: ['api:read'],
    audience: `${PUBLIC}/mcp`,
  });
  const a = await auth.authenticate(
    { headers: { authorization: `Bearer ${token}` }, url: '/mcp' },
    `${PUBLIC}/mcp`,
  );
  if (!a.ok) throw new Error(a.description);
  alice = a.subject;
});

afterAll(async () => {
  reg.close();
  await u.close();
  await peer.stop();
});

const call = (name: string, args: unknown) =>
  authz.authorizeCall({
    subject: alice,
    upstream: 'api',
    toolName: `api.${name}`,
    tool: u.tool(name),
    arguments: args,
    route: '/mcp',
    resource: `${PUBLIC}/mcp`,
    requestId: 1,
  });

describe('Authorizer with the registry', () => {
  it('allows valid arguments and answers invalid ones with -32602 naming the path', () => {
    expect(call('echo', { text: 'hi' })).toEqual({ ok: true, reasons: [] });
    expect(call('echo', { text: 5 })).toEqual({
      ok: false,
      kind: 'invalid-params',
      rpcCode: -32602,
      path: '/text',
      reasons: ['invalid arguments at /text: must be string'],
    });
    expect(call('echo', {})).toMatchObject({ kind: 'invalid-params', path: '/text' });
  });

  it('denies and hides a held tool with reason "tool definition changed"', async () => {
    await peer.setTools([tool('echo'), tool('shifty', { description: 'new meaning' })], true);
    await until(() => reg.gate('api', 'shifty').ok === false);
    expect(call('shifty', { text: 'x' })).toEqual({
      ok: false,
      kind: 'policy',
      reasons: ['tool definition changed'],
    });
    expect(authz.visible(alice, 'api', 'api.shifty', u.tool('shifty')!, '/mcp')).toBe(false);
    expect(authz.visible(alice, 'api', 'api.echo', u.tool('echo')!, '/mcp')).toBe(true);
    reg.approve('api', 'shifty');
    expect(call('shifty', { text: 'x' })).toEqual({ ok: true, reasons: [] });
  });

  it('checks scope before the registry (no schema details for callers without scope)', async () => {
    const token = await issuer.mint({ sub: 'bob', scopes: [], audience: `${PUBLIC}/mcp` });
    const a = await auth.authenticate(
      { headers: { authorization: `Bearer ${token}` }, url: '/mcp' },
      `${PUBLIC}/mcp`,
    );
    if (!a.ok) throw new Error(a.description);
    const d = authz.authorizeCall({
      subject: a.subject,
      upstream: 'api',
      toolName: 'api.echo',
      tool: u.tool('echo'),
      arguments: { text: 5 },
      route: '/mcp',
      resource: `${PUBLIC}/mcp`,
      requestId: 2,
    });
    expect(d).toMatchObject({ ok: false, kind: 'step-up' });
  });
});
