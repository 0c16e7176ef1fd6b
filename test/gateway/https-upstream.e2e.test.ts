// An https upstream on both routes. The drop-in route once used a plain http.Agent for every
// upstream, so any https upstream failed with a 500 (ERR_INVALID_PROTOCOL); the SDK client
// transports use a node:http/https keep-alive fetch. The certificate comes from a CA made here
// with the openssl CLI and trusted through NODE_EXTRA_CA_CERTS, which Node reads at startup: so
// the gateway runs in a child process (test/fixtures/https-upstream-check.ts).

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const OPENSSL = spawnSync('openssl', ['version']).status === 0;
const CHECK = new URL('../fixtures/https-upstream-check.ts', import.meta.url).pathname;

describe.skipIf(!OPENSSL)('an https upstream', () => {
  it('is served through the drop-in route and /mcp', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-tls-'));
    const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    ossl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-days',
      '1',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
    );
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', CHECK, join(dir, 'key.pem'), join(dir, 'cert.pem')],
      {
        env: { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem') },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    const line = r.stdout.trim().split('\n').pop() ?? '';
    expect(line, r.stderr).toMatch(/^\{/);
    const out = JSON.parse(line);
    expect(out.error).toBeUndefined();
    expect(out.url).toMatch(/^https:/);
    for (const route of ['/u/api/mcp', '/mcp']) {
      expect(out[route].listed, route).toBe(true);
      expect(JSON.stringify(out[route].content)).toContain(`over tls via ${route}`);
    }
  }, 90_000);
});
