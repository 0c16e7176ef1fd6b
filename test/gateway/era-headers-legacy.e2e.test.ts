// MCP 2026-07-28 requests on the drop-in route in front of a legacy-only (2025-era) upstream:
// -32022 listing the upstream's 2025 revision, and a header alone never takes a notification
// past the 2025 session checks. Both routes in front of a 2026-07-28 upstream:
// era-headers.e2e.test.ts.
import { describe, expect, it } from 'vitest';
import type { Harness } from './harness.ts';
import { SCOPES, V, post, useBed, msg, recordsOf, type Bed } from './era-headers-peers.ts';

let h: Harness;
let oldRec: Bed['oldRec'];
useBed((b) => ({ h, oldRec } = b));

describe('a legacy-only upstream on the drop-in route', () => {
  it('answers a 2026-07-28 request with -32022 listing its 2025 revision', async () => {
    const route = '/u/old/mcp';
    const token = await h.token(SCOPES, { route, sub: 'legacy-client' });
    const r = await post(`${h.gw.url}${route}`, msg('tools/list'), {
      Authorization: `Bearer ${token}`,
      'MCP-Protocol-Version': V,
      'Mcp-Method': 'tools/list',
    });
    expect(r.status, r.text).toBe(400);
    expect(r.json.error.code).toBe(-32022);
    expect(r.json.error.data.requested).toBe(V);
    expect(r.json.error.data.supported).not.toContain(V);
    expect(r.json.error.data.supported.length).toBeGreaterThan(0);
    for (const v of r.json.error.data.supported) expect(v).toMatch(/^2025-/);
    const [x] = await recordsOf(h, 'legacy-client', 1);
    expect(x).toMatchObject({ route, status: 400, outcome: 'error', decision: 'none' });
  });

  // Found by this test and fixed: a header-only 2026-07-28 notification carrying another
  // subject's Mcp-Session-Id was classified modern (no session check) and forwarded into that
  // session; a 2025-03-26 server, which ignores the header, would have processed it.
  it('never forwards a header-only 2026-07-28 notification, least of all in another subject’s session', async () => {
    const route = '/u/old/mcp';
    const url = `${h.gw.url}${route}`;
    const alice = await h.token(SCOPES, { route, sub: 'alice-legacy' });
    const init = await post(
      url,
      {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 'a', version: '1' },
        },
      },
      { Authorization: `Bearer ${alice}` },
    );
    expect(init.status, init.text).toBe(200);
    const sid = String(init.headers['mcp-session-id']);
    const bob = await h.token(SCOPES, { route, sub: 'bob-legacy' });
    const note = { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7 } };
    // With the 2025 header the gateway itself refuses the foreign session (control).
    const legacyHeader = await post(url, note, {
      Authorization: `Bearer ${bob}`,
      'Mcp-Session-Id': sid,
      'MCP-Protocol-Version': '2025-11-25',
    });
    expect(legacyHeader.status, legacyHeader.text).toBe(404);
    const before = oldRec.seen.length;
    const r = await post(url, note, {
      Authorization: `Bearer ${bob}`,
      'Mcp-Session-Id': sid,
      'MCP-Protocol-Version': V,
      'Mcp-Method': 'notifications/cancelled',
    });
    expect(oldRec.seen.slice(before).map((x) => x.headers['mcp-session-id'])).toEqual([]);
    expect(r.status, r.text).toBe(400);
    expect(r.json.error.code).toBe(-32022);
  });
});
