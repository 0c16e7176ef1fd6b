// Bounded reads: a request body that does not arrive within `limits.body_timeout_ms` is
// answered 408, recorded, and its connection closed (a slow body held its buffer and socket for
// minutes before); the server's header timeout is set. On the drop-in route and on /mcp, in
// either era (the deadline runs before the era is known: it is the same code path).

import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ, auditWhere, startPeers, V26, type Peers } from './peers.ts';

let p: Peers;
beforeAll(async () => {
  p = await startPeers({ limits: { body_timeout_ms: 300 } });
});
afterAll(async () => {
  await p?.close();
});

/** Sends the headers and the start of a body over a raw socket; resolves with what came back
 * and whether the gateway closed the connection. */
function slowBody(
  route: string,
  token: string,
  headers: string,
): Promise<{ head: string; closed: boolean }> {
  const { port } = new URL(p.h.gw.url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(port), '127.0.0.1');
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (c: string) => (got += c));
    s.on('end', () => resolve({ head: got, closed: true }));
    s.on('error', reject);
    s.write(
      `POST ${route} HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\nauthorization: Bearer ${token}\r\n` +
        'content-type: application/json\r\naccept: application/json, text/event-stream\r\n' +
        `${headers}content-length: 1000\r\n\r\n{"jsonrpc":"2.0","id":1,`,
    );
  });
}

describe.each(['/u/lenient/mcp', '/mcp'])('%s', (route) => {
  it.each([
    ['2025', 'mcp-protocol-version: 2025-06-18\r\n'],
    ['2026-07-28', `mcp-protocol-version: ${V26}\r\nmcp-method: tools/call\r\n`],
  ])(
    'answers a body that never completes with 408 (%s), records it and closes',
    async (_era, extra) => {
      const token = await p.h.token(READ, { route });
      const before = p.lenient.executed.length;
      const r = await slowBody(route, token, extra);
      expect(r.head).toMatch(/^HTTP\/1\.1 408 /);
      expect(r.head.toLowerCase()).toContain('connection: close');
      expect(r.closed).toBe(true);
      expect(p.lenient.executed.slice(before)).toEqual([]);
      const recs = await auditWhere(p.h, (x) => x.route === route && x.status === 408);
      expect(recs[0]).toMatchObject({ outcome: 'error', subject: 'alice' });
    },
  );
});

it('bounds the time a client has for its headers', () => {
  expect(p.h.gw.http.headersTimeout).toBeGreaterThan(0);
  expect(p.h.gw.http.headersTimeout).toBeLessThanOrEqual(10_000);
  expect(p.h.gw.http.requestTimeout).toBeGreaterThan(p.h.gw.http.headersTimeout);
});
