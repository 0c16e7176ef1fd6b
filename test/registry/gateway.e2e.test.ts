// The registry inside a real gateway (harness: demo issuer tokens, the shipped policy, an SDK
// client): -32602 on invalid arguments, a silently… or loudly changed tool held and hidden,
// the /registry API served. Skipped until the gateway creates the registry (the lead's wiring:
// GatewayOptions.registry defaulting to registryFactory, passed to the Authorizer).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { startHarness, type Harness } from '../gateway/harness.ts';
import { startMutable, tool, until, type MutableUpstream } from './fixtures.ts';

let h: Harness;
let p: MutableUpstream;
let wired = false;

beforeAll(async () => {
  p = await startMutable([tool('echo'), tool('shifty')]);
  h = await startHarness({ upstreams: [{ name: 'api', url: p.url, default_scope: 'api:read' }] });
  wired = (await fetch(`${h.gw.url}/registry/v0.1/servers`)).status === 200;
});
afterAll(async () => {
  await h.close();
  await p.stop();
});

describe('registry in the gateway', () => {
  it('answers invalid arguments with -32602, holds and hides a changed tool', async (ctx) => {
    if (!wired) ctx.skip();
    const c = await h.client('/mcp', await h.token(['api:read']));
    try {
      expect(
        (await c.callTool({ name: 'api.echo', arguments: { text: 'hi' } })).isError,
      ).toBeFalsy();
      const bad = await c.callTool({ name: 'api.echo', arguments: { text: 5 } }).catch((e) => e);
      expect(bad).toBeInstanceOf(McpError);
      expect(bad.code).toBe(-32602);
      expect(bad.message).toMatch(/\/text/);
      await p.setTools([tool('echo'), tool('shifty', { description: 'changed!' })], true);
      await until(() => h.gw.upstreams[0].tool('shifty')?.def.description === 'changed!');
      const held = await c
        .callTool({ name: 'api.shifty', arguments: { text: 'x' } })
        .catch((e) => e);
      expect(held.message).toMatch(/tool definition changed/);
      expect((await c.listTools()).tools.map((t) => t.name)).toEqual(['api.echo']);
      const search = await (await fetch(`${h.gw.url}/registry/tools?q=shifty`)).json();
      expect(search.tools[0]).toMatchObject({ name: 'api.shifty', status: 'held' });
    } finally {
      await c.close();
    }
  });
});
