// Config reload: new upstreams appear, a call in flight on the old config completes, and a
// config that cannot be applied is rejected with the old one left running.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyFiles } from '../../src/audit/index.ts';
import { buildConfig } from '../../src/config/index.ts';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';
import { startHarness, type Harness } from './harness.ts';

let a: SdkUpstream;
let b: SdkUpstream;
let h: Harness;
const cfg = (upstreams: unknown[], extra: Record<string, unknown> = {}) =>
  buildConfig(
    {
      listen: { host: '127.0.0.1', port: 0 },
      auth: { demo: true },
      audit: { sinks: [{ type: 'file', path: h.auditFile }] },
      upstreams,
      ...extra,
    },
    'reload',
  );

beforeAll(async () => {
  a = await startSdkUpstream();
  b = await startSdkUpstream();
  h = await startHarness({ upstreams: [{ name: 'a', url: a.url }] });
});
afterAll(async () => {
  await h?.close();
  await a?.close();
  await b?.close();
});

describe('reload', () => {
  it('applies a new config without cutting a call in flight', async () => {
    const c = await h.client('/mcp', await h.token(['mcp:tools:call']));
    const slow = c.callTool({ name: 'a.slow', arguments: { steps: 4, ms: 100 } });
    await new Promise((r) => setTimeout(r, 100));
    await h.gw.reload(
      cfg([
        { name: 'a', url: a.url },
        { name: 'b', url: b.url },
      ]),
      { policy: h.gw.policy },
    );
    expect((await slow).content).toEqual([{ type: 'text', text: 'slow done 4' }]);
    const c2 = await h.client('/mcp', await h.token(['mcp:tools:call']));
    expect((await c2.listTools()).tools.map((t) => t.name)).toContain('b.echo');
    expect((await c2.callTool({ name: 'b.echo', arguments: { text: 'new' } })).content).toEqual([
      { type: 'text', text: 'new' },
    ]);
    await c2.close();
  });

  it('rejects a config whose policy cannot load and keeps the running one', async () => {
    await expect(
      h.gw.reload(cfg([{ name: 'a', url: a.url }], { policy: { path: '/nonexistent/policies' } })),
    ).rejects.toThrow();
    const c = await h.client('/mcp', await h.token(['mcp:tools:call']));
    expect((await c.callTool({ name: 'b.echo', arguments: { text: 'still' } })).content).toEqual([
      { type: 'text', text: 'still' },
    ]);
    await c.close();
  });

  it('keeps the auditor across reloads: one unbroken chain, calls before and after recorded', async () => {
    const records = () => h.audit().filter((r) => r.method === 'tools/call');
    const before = records().length;
    await h.gw.reload(cfg([{ name: 'a', url: a.url }]), { policy: h.gw.policy });
    const c = await h.client('/mcp', await h.token(['mcp:tools:call'], { sub: 'after-reload' }));
    await c.callTool({ name: 'a.echo', arguments: { text: 'after' } });
    await c.close();
    const recs = records();
    expect(recs.length).toBe(before + 1);
    expect(recs.at(-1)).toMatchObject({ subject: 'after-reload', tool: 'a.echo', outcome: 'ok' });
    const seqs = h.audit().map((r) => r.seq as number);
    expect(seqs).toEqual(seqs.map((_, i) => i));
    expect((await verifyFiles([h.auditFile])).ok).toBe(true);
  });
});
