import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';
import { startHarness, type Harness } from './harness.ts';

describe('smoke', () => {
  let up: SdkUpstream;
  let h: Harness;
  beforeAll(async () => {
    up = await startSdkUpstream({ json: true });
    h = await startHarness({ upstreams: [{ name: 'api', url: up.url }] });
  });
  afterAll(async () => {
    await h?.close();
    await up?.close();
  });
  it('calls through both routes', async () => {
    for (const [route, name] of [
      ['/mcp', 'api.echo'],
      ['/u/api/mcp', 'echo'],
    ]) {
      const c = await h.client(route, await h.token(['mcp:tools:call'], { route }));
      const tools = await c.listTools();
      expect(tools.tools.map((t) => t.name)).toContain(name);
      const r = await c.callTool({ name, arguments: { text: 'hi' } });
      expect(r.content).toEqual([{ type: 'text', text: 'hi' }]);
      await c.close();
    }
  });
});
