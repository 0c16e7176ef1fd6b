import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/index.ts';
import { ToolIndex, fitName } from '../../src/gateway/tool-index.ts';
import { Upstream } from '../../src/upstream/upstream.ts';
import { resolveTool } from '../../src/upstream/tools.ts';
import { decodeCursor, encodeCursor } from '../../src/gateway/resources.ts';

function fakeCatalog(
  name: string,
  tools: string[],
  overrides: Record<string, { rename?: string; hidden?: boolean }> = {},
): Upstream {
  const cfg = buildConfig(
    { upstreams: [{ name, url: 'http://127.0.0.1:1/mcp', tools: overrides }] },
    't',
  ).upstreams[0];
  const u = new Upstream(cfg, pino({ level: 'silent' }), { headers: () => ({}) });
  const byName = new Map(
    tools.map((t) => [
      t,
      resolveTool(
        name,
        { name: t, inputSchema: { type: 'object' } },
        { override: cfg.tools[t], defaultScope: cfg.default_scope },
      ),
    ]),
  );
  u.catalog = {
    tools: [],
    resources: [],
    resourceTemplates: [],
    prompts: [{ name: 'p' }],
    capabilities: {},
    byName,
  };
  return u;
}

describe('exposed names', () => {
  it('prefixes with the upstream, applies renames, keeps hidden tools out of listings', () => {
    const idx = new ToolIndex(
      [fakeCatalog('db', ['query', 'drop'], { drop: { rename: 'db_drop_everything' } })],
      { prefix: true, maxNameLength: 64 },
    );
    expect(idx.tool('db.query')?.tool.name).toBe('query');
    expect(idx.tool('db_drop_everything')?.tool.name).toBe('drop');
    expect(idx.prompt('db.p')?.prompt.name).toBe('p');
    const raw = new ToolIndex([fakeCatalog('db', ['query'])], { prefix: false, maxNameLength: 64 });
    expect(raw.tool('query')).toBeDefined();
  });

  it('fits long names within the configured limit (≤ 128), stably and distinctly', () => {
    const long = `svc.${'a'.repeat(100)}`;
    const fitted = fitName(long, 64);
    expect(fitted).toHaveLength(64);
    expect(fitted).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(fitName(long, 64)).toBe(fitted);
    expect(fitName(`${long}b`, 64)).not.toBe(fitted);
    expect(fitName('short', 64)).toBe('short');
    const idx = new ToolIndex([fakeCatalog('svc', ['a'.repeat(200)])], {
      prefix: true,
      maxNameLength: 500,
    });
    expect([...idx.allTools()][0].exposed.length).toBe(128);
  });

  it('encodes aggregated resource cursors as (upstream, upstream cursor)', () => {
    expect(decodeCursor(encodeCursor({ i: 1, c: 'abc' }), 2)).toEqual({ i: 1, c: 'abc' });
    expect(decodeCursor('garbage', 2)).toEqual({ i: 0 });
    expect(decodeCursor(encodeCursor({ i: 5 }), 2)).toEqual({ i: 0 });
  });
});
