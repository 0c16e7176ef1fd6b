// Protocol eras end to end (issue #7), targeted checks on 2026-07-28 requests, with all three
// upstream kinds behind one gateway: requestState bound to the subject and the request, the
// audit trail of 2026-07-28 calls, missing client capabilities, and policy denials (403 step-up).
// The matrix: eras.e2e.test.ts; client input across the era boundary: eras-mixed.e2e.test.ts.

import { describe, expect, it } from 'vitest';
import type { Harness } from './harness.ts';
import {
  ADMIN_SCOPE,
  ADMIN_TOOL,
  ANSWER,
  BASE,
  V26,
  connectV2,
  modern,
  textOf,
  useAllUpstreams,
} from './eras-peers.ts';

let all: Harness;
useAllUpstreams((h) => (all = h));

describe('2026-07-28 requests, targeted', () => {
  const url = (route: string) => `${all.gw.url}${route}`;

  it('drop-in: served by a modern upstream, refused 400 -32022 in front of a 2025 one', async () => {
    const t = await all.token(BASE, { route: '/u/modern/mcp' });
    const ok = await modern(url('/u/modern/mcp'), t, 1, 'server/discover');
    expect(ok.status).toBe(200);
    expect(ok.json.result.supportedVersions).toContain(V26);
    const old = await all.token(BASE, { route: '/u/old/mcp' });
    for (const [method, params] of [
      ['server/discover', {}],
      ['tools/call', { name: 'test_simple_text', arguments: {} }],
    ] as const) {
      const r = await modern(url('/u/old/mcp'), old, 2, method, params);
      expect(r.status).toBe(400);
      expect(r.json.error).toMatchObject({ code: -32022, data: { requested: V26 } });
      expect(r.json.error.data.supported).not.toContain(V26);
    }
  });

  it.each(['/u/modern/mcp', '/mcp'])(
    'tools/list via %s is filtered per token and private',
    async (route) => {
      const prefix = route === '/mcp' ? 'modern.' : '';
      const list = async (scopes: string[]) => {
        const r = await modern(url(route), await all.token(scopes, { route }), 3, 'tools/list');
        expect(r.status).toBe(200);
        // fixture26 says cacheScope 'public'; the answer varies by authorization (2026-07-28
        // "Caching": such answers must be 'private').
        expect(r.json.result).toMatchObject({ resultType: 'complete', cacheScope: 'private' });
        expect(typeof r.json.result.ttlMs).toBe('number');
        return (r.json.result.tools as Array<{ name: string }>).map((t) => t.name);
      };
      const base = await list(BASE);
      expect(base).toContain(`${prefix}test_simple_text`);
      expect(base).not.toContain(`${prefix}${ADMIN_TOOL}`);
      expect(await list([...BASE, ADMIN_SCOPE])).toContain(`${prefix}${ADMIN_TOOL}`);
    },
  );

  const REPLAYS = [
    {
      label: 'drop-in, upstream requestState sealed by the gateway',
      route: '/u/modern/mcp',
      tool: 'test_input_required_result_request_state',
      args: {},
      done: 'state-ok',
    },
    {
      label: '/mcp, 2026-07-28 upstream',
      route: '/mcp',
      tool: 'modern.test_input_required_result_request_state',
      args: {},
      done: 'state-ok',
    },
    {
      label: '/mcp, held call on a 2025 upstream',
      route: '/mcp',
      tool: 'old.test_elicitation',
      args: { message: 'Who are you?' },
      done: 'action=accept',
    },
  ];
  it.each(REPLAYS)('requestState replayed by another subject → -32602 ($label)', async (c) => {
    const alice = await all.token(BASE, { route: c.route, sub: 'alice' });
    const mallory = await all.token(BASE, { route: c.route, sub: 'mallory' });
    const call = (t: string, id: number, extra: Record<string, unknown> = {}) =>
      modern(url(c.route), t, id, 'tools/call', { name: c.tool, arguments: c.args, ...extra });
    const first = await call(alice, 1);
    expect(first.json.result).toMatchObject({ resultType: 'input_required' });
    const requestState = first.json.result.requestState as string;
    // fixture26's own states start "v1."; what the client holds is the gateway's seal.
    expect(requestState).toEqual(expect.any(String));
    expect(requestState).not.toMatch(/^v1\./);
    const keys = Object.keys(first.json.result.inputRequests as object);
    const content = c.tool.endsWith('request_state') ? { ok: true } : ANSWER;
    const inputResponses = Object.fromEntries(keys.map((k) => [k, { action: 'accept', content }]));

    const stolen = await call(mallory, 2, { requestState, inputResponses });
    expect(stolen.json.error).toMatchObject({ code: -32602 });
    expect(stolen.json.result).toBeUndefined();
    const own = await call(alice, 3, { requestState, inputResponses });
    expect(own.json.result).toMatchObject({ resultType: 'complete' });
    expect(textOf(own.json.result)).toContain(c.done);
  });

  /** Polls the audit file for this subject's tools/call records. */
  async function auditOf(sub: string, n: number) {
    const mine = () => all.audit().filter((r) => r.subject === sub);
    for (let i = 0; i < 100 && mine().length < n; i++) await new Promise((r) => setTimeout(r, 20));
    return mine();
  }

  /** A replay by `sub` of a state alice got: the refused call's audit record. */
  async function refusedReplay(route: string, tool: string, sub: string) {
    const first = await modern(url(route), await all.token(BASE, { route }), 1, 'tools/call', {
      name: tool,
      arguments: {},
    });
    const r = await modern(url(route), await all.token(BASE, { route, sub }), 2, 'tools/call', {
      name: tool,
      arguments: {},
      requestState: first.json.result.requestState,
      inputResponses: { confirm: { action: 'accept', content: { ok: true } } },
    });
    expect(r.json.error).toMatchObject({ code: -32602 });
    return auditOf(sub, 1);
  }

  it('/mcp: the refused replay is audited with its tool and -32602', async () => {
    const tool = 'modern.test_input_required_result_request_state';
    expect(await refusedReplay('/mcp', tool, 'replayer-mcp')).toEqual([
      expect.objectContaining({ method: 'tools/call', tool, outcome: 'error', error_code: -32602 }),
    ]);
  });

  // A call refused before its authorization stage still names its tool (found here).
  it('drop-in: the refused replay is audited with its tool and -32602', async () => {
    const tool = 'test_input_required_result_request_state';
    expect(await refusedReplay('/u/modern/mcp', tool, 'replayer-dropin')).toEqual([
      expect.objectContaining({ method: 'tools/call', tool, outcome: 'error', error_code: -32602 }),
    ]);
  });

  // A 2026-07-28 call refused -32022 (2025-era upstream) is recorded as what it was.
  it('drop-in: a 2026-07-28 call refused -32022 is audited as tools/call', async () => {
    const sub = 'refused-era';
    const t = await all.token(BASE, { route: '/u/old/mcp', sub });
    const r = await modern(url('/u/old/mcp'), t, 4, 'tools/call', {
      name: 'test_simple_text',
      arguments: {},
    });
    expect(r.status).toBe(400);
    expect(await auditOf(sub, 1)).toEqual([
      expect.objectContaining({
        method: 'tools/call',
        tool: 'test_simple_text',
        outcome: 'error',
        status: 400,
        error_code: -32022,
      }),
    ]);
  });

  it('/mcp: a 2026-07-28 upstream asking a client without the capability → -32021', async () => {
    const r = await modern(
      url('/mcp'),
      await all.token(BASE),
      7,
      'tools/call',
      { name: 'modern.test_input_required_result_elicitation', arguments: {} },
      {},
    );
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: -32021 });
  });

  // The same the other way round: a 2026-07-28 client that declared no elicitation calls a 2025
  // upstream's tool that elicits. Not -32601/404 (what the upstream was answered): -32021, 400.
  it('/mcp: a held 2025 call asking a client without the capability → -32021', async () => {
    const r = await modern(
      url('/mcp'),
      await all.token(BASE),
      8,
      'tools/call',
      { name: 'old.test_elicitation', arguments: { message: 'Who are you?' } },
      {},
    );
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: -32021 });
  });

  it('drop-in: a sealed requestState is bound to its tool too (-32602 on another)', async () => {
    const route = '/u/modern/mcp';
    const t = await all.token(BASE, { route });
    const first = await modern(url(route), t, 1, 'tools/call', {
      name: 'test_input_required_result_request_state',
      arguments: {},
    });
    const r = await modern(url(route), t, 2, 'tools/call', {
      name: 'test_input_required_result_tampered_state',
      arguments: {},
      requestState: first.json.result.requestState,
      inputResponses: { confirm: { action: 'accept', content: { ok: true } } },
    });
    expect(r.json.error).toMatchObject({ code: -32602 });
  });

  it.each([
    ['/u/modern/mcp', ADMIN_TOOL],
    ['/mcp', `modern.${ADMIN_TOOL}`],
    ['/mcp', `old.${ADMIN_TOOL}`],
  ])('policy denial via %s (%s) → 403 insufficient_scope', async (route, tool) => {
    const t = await all.token(BASE, { route });
    const r = await modern(url(route), t, 9, 'tools/call', { name: tool, arguments: {} });
    expect(r.status).toBe(403);
    const challenge = r.headers.get('www-authenticate') ?? '';
    expect(challenge).toMatch(/^Bearer /);
    expect(challenge).toContain('error="insufficient_scope"');
    expect(challenge).toMatch(new RegExp(`scope="[^"]*${ADMIN_SCOPE}`));
    expect(r.json).toMatchObject({ id: 9, error: { code: -32003 } });
    // The SDK v2 client reads the challenge: a typed insufficient-scope error naming the scope.
    const v2 = await connectV2(url(route), t);
    try {
      await expect(v2.client.callTool({ name: tool, arguments: {} })).rejects.toThrow(
        new RegExp(`Insufficient scope.*${ADMIN_SCOPE}`),
      );
    } finally {
      await v2.client.close();
    }
  });

  it('audits 2026-07-28 calls: tool, decision and outcome, on both routes', async () => {
    const sub = 'auditor-26';
    const calls = [
      ['/u/modern/mcp', 'test_simple_text', 'modern'],
      ['/mcp', 'modern.test_simple_text', 'modern'],
      ['/mcp', 'old.test_simple_text', 'old'],
    ] as const;
    for (const [route, tool] of calls) {
      const r = await modern(url(route), await all.token(BASE, { route, sub }), 5, 'tools/call', {
        name: tool,
        arguments: {},
      });
      expect(r.json.result).toMatchObject({ resultType: 'complete' });
    }
    const denied = await modern(url('/mcp'), await all.token(BASE, { sub }), 6, 'tools/call', {
      name: `modern.${ADMIN_TOOL}`,
      arguments: {},
    });
    expect(denied.status).toBe(403);

    const mine = () => all.audit().filter((r) => r.subject === sub && r.method === 'tools/call');
    for (let i = 0; i < 100 && mine().length < calls.length + 1; i++)
      await new Promise((r) => setTimeout(r, 20));
    const records = mine();
    for (const [route, tool, upstream] of calls)
      expect(records).toContainEqual(
        expect.objectContaining({ route, tool, upstream, decision: 'allow', outcome: 'ok' }),
      );
    expect(records).toContainEqual(
      expect.objectContaining({
        route: '/mcp',
        tool: `modern.${ADMIN_TOOL}`,
        decision: 'deny',
        outcome: 'denied',
        status: 403,
      }),
    );
  });
});
