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

describe('reload without harm', () => {
  let s: Harness;
  const DB = new URL('../../demo/db-server.js', import.meta.url).pathname;
  const stdio = (extra: Record<string, unknown> = {}) => ({
    name: 'db',
    command: process.execPath,
    args: [DB],
    ...extra,
  });
  const conf = (upstreams: unknown[]) =>
    buildConfig(
      {
        listen: { host: '127.0.0.1', port: 0 },
        auth: { demo: true },
        audit: { sinks: [{ type: 'file', path: s.auditFile }] },
        upstreams,
      },
      'test',
      {},
    );
  beforeAll(async () => {
    s = await startHarness({ upstreams: [stdio()] });
  });
  afterAll(async () => s?.close());
  const pid = () => s.gw.upstreams.find((u) => u.name === 'db')!.process!.pid;
  const reloads = async (result: string) => {
    const text = await (await fetch(`${s.gw.url}/metrics`)).text();
    const m = new RegExp(`^warden_reloads_total\\{kind="config",result="${result}"\\} (\\d+)`, 'm');
    return Number(m.exec(text)?.[1] ?? 0);
  };

  it('skips a reload whose config is unchanged: same runtime, sessions kept', async () => {
    const c = await s.client('/mcp', await s.token(['mcp:tools:call']));
    const before = s.gw.upstreams;
    await s.gw.reload(conf([stdio()]));
    expect(s.gw.upstreams).toBe(before);
    expect(await reloads('unchanged')).toBe(1);
    // The session opened before the reload still works.
    expect((await c.listTools()).tools.map((t) => t.name)).toContain('db.query');
    await c.close();
  });

  it('keeps a stdio child whose config is unchanged, restarts one whose config changed', async () => {
    const first = pid();
    expect(first).toBeGreaterThan(0);
    await s.gw.reload(conf([stdio(), { name: 'a', url: a.url }]), { policy: s.gw.policy });
    expect(pid()).toBe(first);
    const c = await s.client('/mcp', await s.token(['mcp:tools:call']));
    const q = await c.callTool({ name: 'db.query', arguments: { sql: 'SELECT * FROM customers' } });
    expect(q.isError, JSON.stringify(q.content)).toBeFalsy();
    await c.close();
    await s.gw.reload(conf([stdio({ env: { CHANGED: '1' } })]), { policy: s.gw.policy });
    expect(pid()).not.toBe(first);
    expect(await reloads('applied')).toBe(2);
  });
});
