// The richer policy input (policies/README.md "The input document"): the token claims named in
// auth.policy_claims, the request headers named in policy.input_headers (never credentials),
// the client address, the route and the MCP era reach the policy on a real call. The policy
// under test denies with the facts it saw as its reason, so the client's error shows them.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoIssuer, type DemoIssuer } from '../../src/auth/index.ts';
import { buildConfig } from '../../src/config/index.ts';
import { createGateway, type Gateway } from '../../src/gateway/gateway.ts';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';
import { rawSession, rpc } from './harness.ts';

const SEEN = `package mcp.authz

decision := {"allow": false, "reasons": [json.marshal({
	"claims": object.get(input.subject, "claims", null),
	"headers": object.get(input, "headers", null),
	"client": object.get(input, "client", null),
	"route": input.route,
	"era": input.era,
})]}
`;

let up: SdkUpstream;
let gw: Gateway;
let issuer: DemoIssuer;

beforeAll(async () => {
  up = await startSdkUpstream({ json: true });
  issuer = await createDemoIssuer();
  const dir = mkdtempSync(join(tmpdir(), 'warden-input-'));
  writeFileSync(join(dir, 'authz.rego'), SEEN);
  const config = buildConfig(
    {
      listen: { host: '127.0.0.1', port: 0 },
      auth: { demo: true, policy_claims: ['iss', 'groups'] },
      policy: { path: dir, input_headers: ['X-Tenant', 'authorization', 'x-absent'] },
      upstreams: [{ name: 'api', url: up.url }],
      audit: { sinks: [{ type: 'file', path: join(dir, 'audit.jsonl') }] },
    },
    'test',
  );
  gw = await createGateway(config, { demoIssuer: issuer, logger: pino({ level: 'silent' }) });
  await gw.listen();
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

describe('policy input: claims, headers, client, route, era', () => {
  it('hands the configured claims and headers, the peer address, route and era to the policy', async () => {
    const url = `${gw.url}/mcp`;
    const token = await issuer.mint({ sub: 'alice', scopes: ['mcp:tools:call'], audience: url });
    const s = await rawSession(url, token);
    const r = await rpc(
      url,
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'api.echo', arguments: { text: 'x' } },
      },
      { ...s, 'x-tenant': 'acme' },
    );
    const message = String(r.json.error.message);
    const seen = JSON.parse(message.slice(message.indexOf('{')));
    expect(seen).toEqual({
      // the token has no `groups`: only what it carries is passed
      claims: { iss: issuer.issuer },
      // allow-listed, lower-cased; authorization is never passed, absent headers are left out
      headers: { 'x-tenant': 'acme' },
      client: { address: '127.0.0.1' },
      route: '/mcp',
      era: '2025',
    });
  });

  it('rejects a config key of the wrong type naming its path', () => {
    const where = (doc: Record<string, unknown>): string | undefined => {
      try {
        buildConfig(doc, 'test');
      } catch (e) {
        return (e as { where?: string }).where;
      }
      return undefined;
    };
    expect(where({ auth: { demo: true, policy_claims: 'groups' } })).toBe('auth.policy_claims');
    expect(where({ auth: { demo: true }, policy: { input_headers: ['bad header'] } })).toMatch(
      /^policy\.input_headers\[0\]/,
    );
  });
});
