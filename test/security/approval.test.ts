// Approval means an approval: a destructive tool runs only with the approval scope and a
// numeric, fresh approval stamp (`approved_at` by default; `auth.approval.time_claims`). A
// string, an ISO date, null, a negative or a future time, or no stamp at all (however fresh the
// token's `iat`) is no approval: 403 step-up, and the lenient upstream never runs the tool.
// Both routes (drop-in /u/<name>/mcp and /mcp), both eras (2025 sessions and 2026-07-28).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawSession, rpc, startHarness, type Harness } from '../gateway/harness.ts';
import { startLenientUpstream, type LenientUpstream } from '../fixtures/lenient-upstream.ts';

const V26 = '2026-07-28';
const SCOPES = ['mcp:tools:call', 'approved:by:human'];
let h: Harness;
let up: LenientUpstream;

beforeAll(async () => {
  up = await startLenientUpstream({ modern: true });
  h = await startHarness({ upstreams: [{ name: 'lenient', url: up.url }] });
});
afterAll(async () => {
  await h?.close();
  await up?.close();
});

const now = () => Math.floor(Date.now() / 1000);
/** Approval claims as the token carries them; `undefined` = the claim is absent. */
const MALFORMED: Array<[string, () => Record<string, unknown>]> = [
  ['a string of digits', () => ({ approved_at: String(now()) })],
  ['an ISO date', () => ({ approved_at: new Date().toISOString() })],
  ['null', () => ({ approved_at: null })],
  ['absent, with a fresh iat', () => ({ approved_at: undefined })],
  ['negative', () => ({ approved_at: -1 })],
  ['an hour in the future', () => ({ approved_at: now() + 3600 })],
  ['"NaN"', () => ({ approved_at: 'NaN' })],
  ['an object', () => ({ approved_at: { t: now() } })],
  ['an array', () => ({ approved_at: [now()] })],
  ['true', () => ({ approved_at: true })],
];

const ROUTES = [
  { route: '/u/lenient/mcp', tool: 'create_ticket' },
  { route: '/mcp', tool: 'lenient.create_ticket' },
];

/** One tools/call of the destructive tool in the given era; returns the HTTP answer. */
async function call(route: string, tool: string, claims: Record<string, unknown>, era: string) {
  const url = `${h.gw.url}${route}`;
  const token = await h.issuer.mint({
    sub: 'alice',
    scopes: SCOPES,
    audience: url,
    claims,
  });
  const msg = { jsonrpc: '2.0', id: 7, method: 'tools/call' };
  if (era === '2025') {
    const headers = await rawSession(url, token);
    return rpc(url, { ...msg, params: { name: tool, arguments: { title: 't' } } }, headers);
  }
  const _meta = {
    'io.modelcontextprotocol/protocolVersion': V26,
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  return rpc(
    url,
    { ...msg, params: { name: tool, arguments: { title: 't' }, _meta } },
    {
      authorization: `Bearer ${token}`,
      'mcp-protocol-version': V26,
      'mcp-method': 'tools/call',
      'mcp-name': tool,
    },
  );
}

const ran = () => up.calls().filter((c) => c.name === 'create_ticket').length;

describe.each(['2025', V26])('era %s', (era) => {
  describe.each(ROUTES)('$route', ({ route, tool }) => {
    it.each(MALFORMED)('approved_at %s: 403 step-up, not executed', async (_label, claims) => {
      const before = ran();
      const r = await call(route, tool, claims(), era);
      expect(r.status).toBe(403);
      expect(r.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
      expect(r.headers.get('www-authenticate')).toContain('approved:by:human');
      expect(ran()).toBe(before);
    });

    it('a numeric, fresh approved_at runs it', async () => {
      const before = ran();
      const r = await call(route, tool, { approved_at: now() - 5 }, era);
      expect(r.status).toBe(200);
      expect(JSON.stringify(r.json)).toContain('executed create_ticket');
      expect(ran()).toBe(before + 1);
    });
  });
});

describe('auth.approval.time_claims', () => {
  it('auth_time counts only where configured, and a malformed approved_at is not skipped', async () => {
    const gw = await startHarness({
      auth: { demo: true, approval: { time_claims: ['approved_at', 'auth_time'] } },
      upstreams: [{ name: 'lenient', url: up.url }],
    });
    const saved = h;
    h = gw;
    try {
      const route = '/u/lenient/mcp';
      let before = ran();
      expect((await call(route, 'create_ticket', { auth_time: now() - 5 }, '2025')).status).toBe(
        200,
      );
      expect(ran()).toBe(before + 1);
      before = ran();
      const r = await call(
        route,
        'create_ticket',
        { approved_at: 'yesterday', auth_time: now() - 5 },
        '2025',
      );
      expect(r.status).toBe(403);
      expect(ran()).toBe(before);
    } finally {
      h = saved;
      await gw.close();
    }
    // The default harness: auth_time alone is no approval.
    const before = ran();
    const r = await call('/mcp', 'lenient.create_ticket', { auth_time: now() - 5 }, '2025');
    expect(r.status).toBe(403);
    expect(ran()).toBe(before);
  });
});
