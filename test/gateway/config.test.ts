import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildConfig, demoConfig, loadConfigFile, parseConfig } from '../../src/config/index.ts';
import { UserInputError } from '../../src/errors/index.ts';

const CONTRACT_YAML = `
listen: { host: 127.0.0.1, port: 8080 }
public_url: https://gw.example.com
auth:
  issuer: https://login.example.com
  jwks_uri: https://login.example.com/jwks
  audience: https://gw.example.com/mcp
  approval: { scope: "approved:by:human", max_age_s: 300 }
policy:
  path: policies/
  entrypoint: mcp/authz/decision
limits: { max_payload_bytes: 8192 }
sessions: { keys: ["\${WARDEN_SESSION_KEY}"] }
audit:
  sinks:
    - { type: file, path: ./audit.jsonl }
upstreams:
  - name: tickets
    url: http://127.0.0.1:9001/mcp
    tools:
      create_ticket: { scope: "jira:write", destructive: true }
  - name: db
    command: node
    args: [demo/db-server.js]
    default_scope: "postgres:query:readonly"
`;

function errorOf(fn: () => unknown): UserInputError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserInputError);
    return e as UserInputError;
  }
  throw new Error('expected an error');
}

describe('config', () => {
  it('accepts the contract example and expands ${VAR}', () => {
    const cfg = parseConfig(CONTRACT_YAML, 'warden.yaml', { WARDEN_SESSION_KEY: 'k1' });
    expect(cfg.sessions.keys).toEqual(['k1']);
    expect(cfg.upstreams[0].tools.create_ticket).toEqual({
      scope: 'jira:write',
      destructive: true,
    });
    expect(cfg.upstreams[1]).toMatchObject({
      command: 'node',
      default_scope: 'postgres:query:readonly',
    });
    expect(cfg.upstreams[0].default_scope).toBe('mcp:tools:call');
    expect(cfg.auth.audience).toBe('https://gw.example.com/mcp');
    expect(cfg.limits.max_payload_bytes).toBe(8192);
  });

  it('takes the replica address sessions.advertise_url (an http(s) URL, trailing / dropped)', () => {
    const yaml = 'sessions: { keys: [k], advertise_url: "http://${POD_IP}:8080/" }';
    const cfg = parseConfig(yaml, 'warden.yaml', { POD_IP: '10.0.0.7' });
    expect(cfg.sessions.advertise_url).toBe('http://10.0.0.7:8080');
    expect(parseConfig('sessions: { keys: [k] }', 'w.yaml', {}).sessions.advertise_url).toBe(
      undefined,
    );
    const e = errorOf(() =>
      parseConfig('sessions: { advertise_url: "10.0.0.7:8080" }', 'w.yaml', {}),
    );
    expect(e.where).toContain('sessions.advertise_url');
  });

  it('names a missing environment variable', () => {
    const e = errorOf(() => parseConfig(CONTRACT_YAML, 'warden.yaml', {}));
    expect(e.code).toBe('CONFIG_ENV_MISSING');
    expect(e.message).toContain('WARDEN_SESSION_KEY');
    expect(e.toLine()).toContain('sessions.keys[0]');
  });

  it('names the key path of a wrong type', () => {
    const yaml = CONTRACT_YAML.replace('scope: "jira:write"', 'scope: 42');
    const e = errorOf(() => parseConfig(yaml, 'warden.yaml', { WARDEN_SESSION_KEY: 'k' }));
    expect(e.toLine()).toBe(
      'warden.yaml:21:24: upstreams[0].tools.create_ticket.scope: expected a string, got number',
    );
  });

  it('names the key path of an unknown key', () => {
    const e = errorOf(() =>
      buildConfig(
        {
          upstreams: [
            { name: 'a', url: 'http://x/mcp' },
            { name: 'b', url: 'http://y', colour: 1 },
          ],
        },
        'x',
      ),
    );
    expect(e.where).toBe('upstreams[1].colour');
    expect(e.message).toMatch(/unknown key/);
  });

  it('checks cross-field rules', () => {
    expect(errorOf(() => buildConfig({ upstreams: [{ name: 'a' }] }, 'x')).where).toBe(
      'upstreams[0]',
    );
    expect(
      errorOf(() =>
        buildConfig(
          {
            upstreams: [
              { name: 'a', url: 'http://x' },
              { name: 'a', url: 'http://x' },
            ],
          },
          'x',
        ),
      ).where,
    ).toBe('upstreams[1].name');
    expect(errorOf(() => buildConfig({ listen: { port: 70000 } }, 'x')).where).toBe('listen.port');
    expect(errorOf(() => buildConfig({ auth: { audience: [1] } }, 'x')).where).toBe(
      'auth.audience[0]',
    );
    expect(errorOf(() => buildConfig({ auth: { audience: 1 } }, 'x')).toLine()).toBe(
      'auth.audience: expected a string or a list of strings, got number',
    );
    expect(errorOf(() => buildConfig({ audit: { sinks: [{ type: 'file' }] } }, 'x')).where).toBe(
      'audit.sinks[0].path',
    );
  });

  it('reports YAML syntax errors with line and column', () => {
    const e = errorOf(() => parseConfig('listen: {host: [\n', 'w.yaml'));
    expect(e.code).toBe('CONFIG_YAML');
    expect(e.where).toMatch(/^w\.yaml:\d+:\d+$/);
  });

  it('reads files and names unreadable ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-cfg-'));
    writeFileSync(join(dir, 'w.yaml'), 'listen: { port: 0 }\n');
    expect(loadConfigFile(join(dir, 'w.yaml')).listen).toEqual({ host: '127.0.0.1', port: 0 });
    expect(errorOf(() => loadConfigFile(join(dir, 'nope.yaml'))).code).toBe('CONFIG_UNREADABLE');
  });

  it('builds the embedded demo config', () => {
    const cfg = demoConfig({ ticketsUrl: 'http://127.0.0.1:1/mcp', port: 0 });
    expect(cfg.auth.demo).toBe(true);
    expect(cfg.upstreams.map((u) => u.name)).toEqual(['tickets', 'db']);
    expect(cfg.upstreams[1].default_scope).toBe('postgres:query:readonly');
  });
});
