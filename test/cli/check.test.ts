// `warden check`: what serve would refuse, without serving — every problem as
// file:line:col: key: message, exit 2; `ok` and exit 0 otherwise. `--probe` reaches the JWKS
// and the upstreams (real servers on loopback, or ports nothing listens on).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, fixture, removeFixtures } from './helpers.ts';

afterAll(removeFixtures);

const POLICIES = new URL('../../policies/', import.meta.url).pathname;

async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

describe('warden check', () => {
  it('prints ok for a config serve can run with', async () => {
    const dir = await fixture({
      'warden.yaml': `# yaml-language-server: $schema=../schema/warden.schema.json
auth: { demo: true }
policy: { path: ${POLICIES} }
upstreams:
  - name: db
    command: node
    args: [demo/db-server.js]
`,
    });
    const r = await cli(['check', '--config', path.join(dir, 'warden.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok\n');
    expect(r.code).toBe(0);
  }, 60_000);

  it('names every schema problem with its line and column', async () => {
    const dir = await fixture({
      'w.yaml': 'listen:\n  prot: 80\nupstreams:\n  - name: a\n    url: ftp://x\n',
    });
    const file = path.join(dir, 'w.yaml');
    const r = await cli(['check', '-c', file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `${file}:2:3: listen.prot: unknown key (did you mean port?)`,
      `${file}:5:5: upstreams[0].url: invalid value "ftp://x" (an http:// or https:// URL)`,
    ]);
  });

  it('reports what the schema cannot see: auth, credentials, files, commands, the policy', async () => {
    const dir = await fixture({
      'bad/mcp/authz.rego': 'package mcp.authz\n\ndecision := {"allow": true\n',
      'w.yaml': `auth:
  issuer: https://login.example.com
policy: { path: bad/ }
upstreams:
  - name: s
    command: no-such-command-anywhere
  - name: h
    url: http://127.0.0.1:1/mcp
    auth: { type: client_credentials, client_id: x }
audit:
  sinks: [{ type: syslog, host: 127.0.0.1, tls: { ca: ./missing.pem } }]
`,
    });
    const file = path.join(dir, 'w.yaml');
    const cwd = process.cwd();
    process.chdir(dir);
    let r;
    try {
      r = await cli(['check', '-c', file]);
    } finally {
      process.chdir(cwd);
    }
    expect(r.code).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe(
      `${file}:11:51: audit.sinks[0].tls.ca: cannot read ./missing.pem: no such file`,
    );
    expect(lines[1]).toMatch(/:3:11: policy\.path: .*authz\.rego:\d+:\d+: /);
    expect(lines).toContain(
      `${file}:1:1: auth.jwks_uri: either auth.jwks_uri or auth.introspection must be set`,
    );
    expect(lines).toContain(
      `${file}:9:5: upstreams[1].auth.token_endpoint: required key is missing`,
    );
    expect(lines).toContain(
      `${file}:6:5: upstreams[0].command: command not found: no-such-command-anywhere`,
    );
    expect(
      lines.some((l) =>
        l.startsWith(
          `${file}:11:51: audit.sinks[0].tls.ca: cannot read ./missing.pem: no such file`,
        ),
      ),
    ).toBe(true);
  });

  it('compiles the policy and names its error', async () => {
    const dir = await fixture({
      'bad/mcp/authz.rego': 'package mcp.authz\n\ndecision := {"allow": true\n',
      'w.yaml': 'auth: { demo: true }\npolicy:\n  path: PLACE\n',
    });
    const { writeFileSync } = await import('node:fs');
    const file = path.join(dir, 'w.yaml');
    writeFileSync(file, `auth: { demo: true }\npolicy:\n  path: ${path.join(dir, 'bad')}\n`);
    const r = await cli(['check', '-c', file]);
    expect(r.code).toBe(2);
    const [line, ...rest] = r.stderr.trimEnd().split('\n');
    expect(rest).toEqual([]);
    expect(line).toMatch(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:3:3: policy\\.path: .*authz\\.rego:\\d+:\\d+`,
      ),
    );
  }, 60_000);

  it('--probe fetches the JWKS and discovers the upstreams', async () => {
    const jwks = await deadPort();
    const up = await deadPort();
    const dir = await fixture({
      'w.yaml': `auth:
  issuer: https://login.example.com
  jwks_uri: http://127.0.0.1:${jwks}/jwks
policy: { path: ${POLICIES} }
upstreams:
  - name: api
    url: http://127.0.0.1:${up}/mcp
`,
    });
    const file = path.join(dir, 'w.yaml');
    expect((await cli(['check', '-c', file])).stdout).toBe('ok\n');
    const r = await cli(['check', '-c', file, '--probe']);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      `${file}:3:3: auth.jwks_uri: cannot fetch http://127.0.0.1:${jwks}/jwks: ECONNREFUSED`,
      expect.stringMatching(
        new RegExp(
          `^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:6:5: upstreams\\[0\\]: api: discovery failed: `,
        ),
      ),
    ]);
  }, 60_000);
});
