// Sealed sessions in one gateway process (issue #8 item 1): with `sessions.keys` the gateway keeps
// no session map; the id is the sealed state, and every request rebuilds what it needs from it.
// The multi-replica proof behind nginx is replicas.e2e.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';
import { rawSession, rpc, startHarness, type Harness } from '../gateway/harness.ts';
import { createSessionSealer, sessionSubject } from '../../src/session/seal.ts';

const KEY = 'k'.repeat(16) + 'sealed-session-test-key';
let json: SdkUpstream;
let sse: SdkUpstream;
let h: Harness;

beforeAll(async () => {
  json = await startSdkUpstream({ json: true });
  sse = await startSdkUpstream({ json: false });
  h = await startHarness({
    sessions: { keys: [KEY] },
    upstreams: [
      { name: 'api', url: json.url },
      { name: 'sse', url: sse.url },
    ],
  });
});
afterAll(async () => {
  await h?.close();
  await json?.close();
  await sse?.close();
});

describe('sealed sessions (one process)', () => {
  it('serves the SDK client on /mcp: calls, progress, sampling and elicitation', async () => {
    const c = await h.client('/mcp', await h.token(['mcp:tools:call']), {
      sampling: true,
      elicitation: true,
    });
    c.setRequestHandler(CreateMessageRequestSchema, async () => ({
      role: 'assistant',
      model: 'm',
      content: { type: 'text', text: 'sealed' },
    }));
    c.setRequestHandler(ElicitRequestSchema, async () => ({
      action: 'accept',
      content: { name: 'Ada' },
    }));
    for (const up of ['api', 'sse']) {
      const r = await c.callTool({ name: `${up}.echo`, arguments: { text: `hi ${up}` } });
      expect(r.content).toEqual([{ type: 'text', text: `hi ${up}` }]);
    }
    const seen: number[] = [];
    const slow = await c.callTool({ name: 'sse.slow', arguments: { steps: 3 } }, undefined, {
      onprogress: (p) => void seen.push(p.progress),
    });
    expect(slow.content).toEqual([{ type: 'text', text: 'slow done 3' }]);
    expect(seen).toEqual([1, 2, 3]);
    expect((await c.callTool({ name: 'sse.ask_llm', arguments: {} })).content).toEqual([
      { type: 'text', text: 'llm said: sealed' },
    ]);
    expect((await c.callTool({ name: 'sse.ask_user', arguments: {} })).content).toEqual([
      { type: 'text', text: 'user said: accept {"name":"Ada"}' },
    ]);
    await c.close();
  });

  it.each(['/mcp', '/u/api/mcp'])(
    '%s: the id hides the upstream session, opens only for its subject, ends with DELETE',
    async (route) => {
      const url = `${h.gw.url}${route}`;
      const token = await h.token(['mcp:tools:call'], { route });
      const s = await rawSession(url, token);
      const sid = s['mcp-session-id'];
      const upstreamIds = json.seen.map((x) => x['mcp-session-id']).filter(Boolean) as string[];
      expect(upstreamIds.length).toBeGreaterThan(0);
      expect(upstreamIds.some((u) => sid.includes(u))).toBe(false);
      const list = { jsonrpc: '2.0', id: 5, method: 'tools/list' };
      expect((await rpc(url, list, s)).status).toBe(200);
      // The answer carries the client's id, never the upstream's.
      expect((await rpc(url, list, s)).headers.get('mcp-session-id') ?? sid).toBe(sid);
      const bob = await h.token(['mcp:tools:call'], { route, sub: 'bob' });
      expect((await rpc(url, list, { ...s, authorization: `Bearer ${bob}` })).status).toBe(404);
      // Sealed with our key for this subject, but created a day ago: expired.
      const old = createSessionSealer({ keys: [KEY], ttlS: 86_400 * 2 }).seal({
        sub: sessionSubject({ issuer: h.issuer.issuer, sub: 'alice' }),
        upstreamSessions: {},
        protocolVersion: '2025-06-18',
        createdAt: Date.now() - 86_400_000 - 1000,
        route,
      });
      expect((await rpc(url, list, { ...s, 'mcp-session-id': old })).status).toBe(404);
      const del = await fetch(url, { method: 'DELETE', headers: s });
      expect(del.status).toBeLessThan(300);
      expect((await rpc(url, list, s)).status).toBe(404);
    },
  );

  it('audits calls with the session they belong to', async () => {
    const token = await h.token(['mcp:tools:call'], { sub: 'auditee' });
    const s = await rawSession(`${h.gw.url}/mcp`, token);
    const r = await rpc(
      `${h.gw.url}/mcp`,
      {
        jsonrpc: '2.0',
        id: 9,
        method: 'tools/call',
        params: { name: 'api.echo', arguments: { text: 'audited' } },
      },
      s,
    );
    expect(r.status).toBe(200);
    const rec = h.audit().find((x) => x.subject === 'auditee' && x.method === 'tools/call');
    expect(rec).toMatchObject({ session: s['mcp-session-id'], decision: 'allow' });
  });
});
