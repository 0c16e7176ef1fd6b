import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/index.ts';
import { Upstream } from '../../src/upstream/upstream.ts';
import { destructiveFromAnnotations, resolveTool } from '../../src/upstream/tools.ts';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';

const log = pino({ level: 'silent' });
const noCreds = { headers: () => ({}) };
const require = createRequire(import.meta.url);
export const EVERYTHING = require.resolve('@modelcontextprotocol/server-everything/dist/index.js');
const CRASH = new URL('../fixtures/crash-server.mjs', import.meta.url).pathname;

function upstreamCfg(u: Record<string, unknown>) {
  return buildConfig({ upstreams: [u] }, 'test').upstreams[0];
}

describe('tool scope and destructive resolution', () => {
  it('follows the spec defaults for annotations', () => {
    expect(destructiveFromAnnotations(undefined)).toBe(true);
    expect(destructiveFromAnnotations({ readOnlyHint: true })).toBe(false);
    expect(destructiveFromAnnotations({ readOnlyHint: true, destructiveHint: true })).toBe(false);
    expect(destructiveFromAnnotations({ destructiveHint: false })).toBe(false);
    expect(destructiveFromAnnotations({ readOnlyHint: false })).toBe(true);
  });
  it('applies config › manifest › annotations › default', () => {
    const def = {
      name: 't',
      inputSchema: { type: 'object' as const },
      annotations: { readOnlyHint: true },
    };
    expect(resolveTool('u', def, { defaultScope: 'd' })).toMatchObject({
      scope: 'd',
      destructive: false,
      source: 'default',
      exposedName: 'u.t',
    });
    expect(
      resolveTool('u', def, {
        defaultScope: 'd',
        manifest: { name: 't', scope: 'm', destructive: true },
      }),
    ).toMatchObject({ scope: 'm', destructive: true, source: 'manifest' });
    expect(
      resolveTool('u', def, {
        defaultScope: 'd',
        manifest: { name: 't', scope: 'm', destructive: true },
        override: { scope: 'c', destructive: false, rename: 'x' },
      }),
    ).toMatchObject({ scope: 'c', destructive: false, source: 'config', exposedName: 'x' });
  });
});

describe.each([
  ['JSON', true],
  ['SSE', false],
])('HTTP upstream (%s responses)', (_mode, json) => {
  let up: SdkUpstream;
  let upstream: Upstream;
  beforeAll(async () => {
    up = await startSdkUpstream({
      json,
      pageSize: 2,
      manifest: { tools: [{ name: 'echo', scope: 'echo:read' }] },
    });
    upstream = new Upstream(
      upstreamCfg({
        name: 'api',
        url: up.url,
        tools: { delete_all: { scope: 'api:admin' } },
        headers: { 'x-upstream-key': 'k' },
      }),
      log,
      { headers: () => ({ authorization: 'Bearer upstream-own-token' }) },
    );
    await upstream.start();
  });
  afterAll(async () => {
    await upstream.close();
    await up.close();
  });

  it('discovers every page of tools, resources and prompts', () => {
    expect(upstream.ready).toBe(true);
    const names = upstream.catalog!.tools.map((t) => t.name);
    expect(names).toEqual([
      'echo',
      'delete_all',
      'safe_write',
      'slow',
      'ask_llm',
      'ask_user',
      'whoami',
    ]);
    expect(upstream.catalog!.resources.map((r) => r.uri)).toEqual(['test://hello']);
    expect(upstream.catalog!.prompts.map((p) => p.name)).toEqual(['greet']);
  });

  it('resolves scopes from config, manifest and defaults', () => {
    expect(upstream.tool('echo')).toMatchObject({
      scope: 'echo:read',
      destructive: false,
      source: 'manifest',
    });
    expect(upstream.tool('delete_all')).toMatchObject({
      scope: 'api:admin',
      destructive: true,
      source: 'config',
    });
    expect(upstream.tool('safe_write')).toMatchObject({
      scope: 'mcp:tools:call',
      destructive: false,
      source: 'default',
    });
  });

  it('sends its own credentials and headers', async () => {
    const { client } = await upstream.sessionClient({});
    const r = await client.callTool({ name: 'whoami', arguments: {} });
    expect(r.content).toEqual([{ type: 'text', text: 'Bearer upstream-own-token' }]);
    expect(up.seen.at(-1)!['x-upstream-key']).toBe('k');
    await client.close();
  });

  it('refreshes on notifications/tools/list_changed', async () => {
    const changed = new Promise((r) => upstream.once('changed', r));
    await up.addTool({ name: 'late', inputSchema: { type: 'object' } });
    await changed;
    expect(upstream.tool('late')).toMatchObject({ destructive: true, scope: 'mcp:tools:call' });
  });
});

describe('stdio upstreams', () => {
  it('discovers @modelcontextprotocol/server-everything', async () => {
    const upstream = new Upstream(
      upstreamCfg({ name: 'everything', command: process.execPath, args: [EVERYTHING, 'stdio'] }),
      log,
      noCreds,
    );
    await upstream.start();
    try {
      expect(upstream.ready).toBe(true);
      expect(upstream.catalog!.tools.map((t) => t.name)).toContain('echo');
      expect(upstream.catalog!.prompts.length).toBeGreaterThan(0);
      expect(upstream.catalog!.resources.length).toBeGreaterThan(0);
    } finally {
      await upstream.close();
    }
  });

  it('restarts a child that dies mid-call, logs its stderr and kills it on close', async () => {
    const lines: string[] = [];
    const cap = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    const upstream = new Upstream(
      upstreamCfg({ name: 'crashy', command: process.execPath, args: [CRASH] }),
      cap,
      noCreds,
    );
    await upstream.start();
    const first = upstream.process!.pid!;
    const { client } = await upstream.sessionClient({});
    await expect(client.callTool({ name: 'crash', arguments: {} })).rejects.toThrow(/closed/i);
    await new Promise<void>((ok) => upstream.once('changed', () => ok()));
    expect(upstream.process!.restarts).toBe(1);
    const second = upstream.process!.pid!;
    expect(second).not.toBe(first);
    const { client: c2 } = await upstream.sessionClient({});
    const r = await c2.callTool({ name: 'pid', arguments: {} });
    expect(r.content).toEqual([{ type: 'text', text: String(second) }]);
    expect(lines.join('')).toContain('crash-server started');
    await upstream.close();
    await new Promise((r) => setTimeout(r, 200));
    expect(() => process.kill(second, 0)).toThrow();
  });
});
