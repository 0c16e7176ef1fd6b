// `upstreams[].isolation`, `max_children`, `child_idle_s`: defaults for stdio upstreams, and
// errors that name the key for a bad value or an HTTP upstream.

import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config/index.ts';

const build = (u: Record<string, unknown>) =>
  buildConfig({ auth: { demo: true }, upstreams: [{ name: 'x', ...u }] }, 'warden.yaml');

describe('stdio isolation config', () => {
  it('defaults a stdio upstream to one shared child, and per_subject limits', () => {
    expect(build({ command: 'node' }).upstreams[0]).toMatchObject({
      isolation: 'shared',
      max_children: 32,
      child_idle_s: 300,
    });
    expect(
      build({ command: 'node', isolation: 'per_subject', max_children: 4 }).upstreams[0],
    ).toMatchObject({ isolation: 'per_subject', max_children: 4 });
  });

  it('names the key at fault', () => {
    const where = (u: Record<string, unknown>) => {
      try {
        build(u);
      } catch (e) {
        return `${(e as { where?: string }).where}: ${(e as Error).message}`;
      }
      return 'accepted';
    };
    expect(where({ command: 'node', isolation: 'per_user' })).toMatch(
      /^upstreams\[0\]\.isolation: expected one of shared, per_subject/,
    );
    expect(where({ command: 'node', max_children: 0 })).toMatch(/^upstreams\[0\]\.max_children: /);
    expect(where({ url: 'http://127.0.0.1:1/mcp', isolation: 'per_subject' })).toBe(
      'upstreams[0].isolation: isolation applies to stdio upstreams (command)',
    );
  });
});
