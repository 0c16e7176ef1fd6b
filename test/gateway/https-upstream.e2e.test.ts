// An https upstream on both routes. The drop-in route once used a plain http.Agent for every
// upstream, so any https upstream failed with a 500 (ERR_INVALID_PROTOCOL); the SDK client
// transports use a node:http/https keep-alive fetch. The certificate comes from a CA made here
// with the openssl CLI and trusted through NODE_EXTRA_CA_CERTS, which Node reads at startup: so
// the gateway runs in a child process (test/fixtures/https-upstream-check.ts).

import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OPENSSL, selfSignedCert } from '../fixtures/tls.ts';

const CHECK = new URL('../fixtures/https-upstream-check.ts', import.meta.url).pathname;

describe.skipIf(!OPENSSL)('an https upstream', () => {
  it('is served through the drop-in route and /mcp', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-tls-'));
    const { key, cert } = selfSignedCert(dir, '127.0.0.1', 'IP:127.0.0.1');
    const r = spawnSync(process.execPath, ['--import', 'tsx', CHECK, key, cert], {
      env: { ...process.env, NODE_EXTRA_CA_CERTS: cert },
      encoding: 'utf8',
      timeout: 60_000,
    });
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
