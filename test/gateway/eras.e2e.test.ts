// Protocol eras end to end (issue #7): SDK v1 (`@modelcontextprotocol/sdk`, 2025 era) and SDK v2
// (`@modelcontextprotocol/client`, negotiating 2026-07-28 or falling back to 2025, and pinned to
// the legacy era) as real clients, in front of the three upstream kinds — the SDK v1 fixture
// (2025 only), fixture26 modern-only and fixture26 serving both eras — through the drop-in
// route and the aggregated endpoint. Every cell lists tools, calls a plain tool and, where the
// pairing can carry it, a call that needs client input; the cells that cannot work by design
// assert the error the client gets. Then one gateway with all three upstreams (client input
// across the era boundary: elicitation, sampling, roots, multi-round, prompts/get), and targeted
// checks: requestState bound to the subject and the request, the audit trail of 2026-07-28
// calls, missing client capabilities, and policy denials (403 step-up) on 2026-07-28 requests.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';
import {
  ADMIN_SCOPE,
  ADMIN_TOOL,
  ANSWER,
  BASE,
  ROOT,
  SAMPLED,
  V26,
  connect,
  connectV1,
  connectV2,
  modern,
  startUpstream,
  textOf,
  upstreamEntry,
  type ClientKind,
  type UpstreamKind,
  type UpstreamPeer,
} from './eras-peers.ts';

/** Upstream name in the gateway config, per kind (also the /mcp tool prefix). */
const NAME: Record<UpstreamKind, string> = { v1: 'old', v26reject: 'modern', v26fallback: 'dual' };

const peers = new Map<UpstreamKind, UpstreamPeer>();
/** One gateway per upstream kind, so /mcp lists exactly that upstream's tools. */
const single = new Map<UpstreamKind, Harness>();
/** One gateway with all three upstreams at once. */
let all: Harness;

beforeAll(async () => {
  const kinds: UpstreamKind[] = ['v1', 'v26reject', 'v26fallback'];
  for (const p of await Promise.all(kinds.map(startUpstream))) peers.set(p.kind, p);
  // The gateway probes each upstream with server/discover at start to learn its era.
  for (const k of kinds)
    single.set(k, await startHarness({ upstreams: [upstreamEntry(NAME[k], peers.get(k)!.url)] }));
  all = await startHarness({
    upstreams: kinds.map((k) => upstreamEntry(NAME[k], peers.get(k)!.url)),
  });
});
afterAll(async () => {
  await all?.close();
  for (const h of single.values()) await h.close();
  for (const p of peers.values()) await p.close();
});

/** The call that needs client input, per upstream: a 2025 server-to-client request, or an MRTR. */
function inputCall(kind: UpstreamKind, prefix: string) {
  return kind === 'v1'
    ? {
        name: `${prefix}test_elicitation`,
        arguments: { message: 'Who are you?' },
        asked: 'Who are you?',
        expected: `"username":"${ANSWER.username}"`,
      }
    : {
        name: `${prefix}test_input_required_result_elicitation`,
        arguments: {},
        asked: 'What is your name?',
        expected: `Hello, ${ANSWER.name}!`,
      };
}

type Outcome =
  /** list, plain call and an input call answered by the client's handler */
  | 'ok'
  /** the connect fails: the upstream answers a 2025-era initialize 400 -32022 */
  | 'refused'
  /** list and plain call work; the upstream's stateless 2025 leg cannot ask for input */
  | 'no-input';

interface Cell {
  client: ClientKind;
  upstream: UpstreamKind;
  route: 'drop-in' | '/mcp';
  outcome: Outcome;
  /** The era the SDK v2 client ends up in. */
  era?: 'modern' | 'legacy';
}

function cellsFor(client: ClientKind): Cell[] {
  const cells: Cell[] = [];
  for (const upstream of ['v1', 'v26reject', 'v26fallback'] as const) {
    // Drop-in: no era translation. A 2025-era client only works where the upstream serves 2025.
    const legacyClient = client !== 'v2';
    const dropIn: Outcome =
      !legacyClient || upstream === 'v1' ? 'ok' : upstream === 'v26reject' ? 'refused' : 'no-input';
    const dropEra = !legacyClient && upstream !== 'v1' ? 'modern' : 'legacy';
    cells.push({ client, upstream, route: 'drop-in', outcome: dropIn, era: dropEra });
    // /mcp: the gateway serves both eras and translates between them.
    cells.push({
      client,
      upstream,
      route: '/mcp',
      outcome: 'ok',
      era: legacyClient ? 'legacy' : 'modern',
    });
  }
  return cells;
}

const CELLS = (['v1', 'v2', 'v2legacy'] as const).flatMap(cellsFor);

describe('era matrix: client × upstream × route', () => {
  it.each(CELLS)('$client client × $upstream upstream via $route → $outcome', async (cell) => {
    const name = NAME[cell.upstream];
    const route = cell.route === '/mcp' ? '/mcp' : `/u/${name}/mcp`;
    const prefix = cell.route === '/mcp' ? `${name}.` : '';
    const h = single.get(cell.upstream)!;
    const token = await h.token(BASE, { route });
    if (cell.outcome === 'refused') {
      // The drop-in route forwards the 2025-era initialize; the modern-only upstream refuses it
      // (MCP 2026-07-28 "Versioning": 400, -32022 UnsupportedProtocolVersion, with the
      // versions it supports) and the gateway passes that answer through unchanged.
      const err = await connect(cell.client, h, route, token).then(
        () => undefined,
        (e: unknown) => e as { code?: unknown; message: string },
      );
      expect(err).toBeDefined();
      expect(err!.message).toContain('-32022');
      expect(err!.message).toContain(`"supported":["${V26}"]`);
      if (cell.client === 'v1') expect(err!.code).toBe(400);
      return;
    }

    const { client, asked, v2 } = await connect(cell.client, h, route, token);
    try {
      if (v2) expect(v2.client.getProtocolEra()).toBe(cell.era);
      if (cell.client === 'v2' && cell.era === 'legacy') {
        // SDK v2 'auto' in front of a 2025-era upstream: the drop-in route answers the
        // server/discover probe 400 -32022 and the client falls back to initialize.
        expect(v2!.wire.slice(0, 2)).toEqual([
          { method: 'server/discover', status: 400 },
          { method: 'initialize', status: 200 },
        ]);
      }

      const tools = (await client.listTools()).tools.map((t) => t.name);
      expect(tools).toContain(`${prefix}test_simple_text`);
      expect(tools).toContain(inputCall(cell.upstream, prefix).name);
      // Filtered per token: the admin-scoped tool is not listed to a BASE token.
      expect(tools).not.toContain(`${prefix}${ADMIN_TOOL}`);
      for (const t of tools) expect(t.startsWith(prefix)).toBe(true);

      const plain = await client.callTool({ name: `${prefix}test_simple_text`, arguments: {} });
      expect(textOf(plain)).toBe('This is a simple text response for testing.');

      const input = inputCall(cell.upstream, prefix);
      const result = await client.callTool({ name: input.name, arguments: input.arguments });
      if (cell.outcome === 'no-input') {
        // fixture26's 2025 leg is per-request (SDK legacy: 'stateless'): it has no channel for
        // server-to-client requests, so the MRTR tool answers isError and nobody is asked.
        expect(result).toMatchObject({ isError: true });
        expect(textOf(result)).toContain('did not declare the required capability');
        expect(asked.elicit).toEqual([]);
        return;
      }
      expect(textOf(result)).toContain(input.expected);
      expect(asked.elicit).toEqual([input.asked]);
    } finally {
      await client.close();
    }
  });
});

describe('one gateway, all three upstreams on /mcp', () => {
  const kinds: UpstreamKind[] = ['v1', 'v26reject', 'v26fallback'];

  it.each(['v1', 'v2'] as const)('%s client calls a tool of each upstream', async (kind) => {
    const { client, asked, v2 } = await connect(kind, all, '/mcp', await all.token(BASE));
    try {
      if (v2) expect(v2.client.getProtocolEra()).toBe('modern');
      const tools = (await client.listTools()).tools.map((t) => t.name);
      for (const k of kinds) {
        expect(tools).toContain(`${NAME[k]}.test_simple_text`);
        expect(tools).not.toContain(`${NAME[k]}.${ADMIN_TOOL}`);
      }
      for (const k of kinds) {
        const plain = await client.callTool({ name: `${NAME[k]}.test_simple_text`, arguments: {} });
        expect(textOf(plain)).toBe('This is a simple text response for testing.');
        const input = inputCall(k, `${NAME[k]}.`);
        const r = await client.callTool({ name: input.name, arguments: input.arguments });
        expect(textOf(r)).toContain(input.expected);
      }
      expect(asked.elicit).toEqual(kinds.map((k) => inputCall(k, '').asked));
      // Sampling across the era boundary, both ways: the 2025 upstream's sampling/createMessage
      // and the 2026 upstream's input_required sampling each reach this client's handler.
      const s1 = await client.callTool({ name: 'old.test_sampling', arguments: { prompt: 'hi' } });
      expect(textOf(s1)).toContain(SAMPLED);
      const s2 = await client.callTool({
        name: 'modern.test_input_required_result_sampling',
        arguments: {},
      });
      expect(textOf(s2)).toContain(SAMPLED);
      expect(asked.sample).toBe(2);
    } finally {
      await client.close();
    }
  });

  it.each(['/mcp', '/u/modern/mcp'])(
    'v2 client completes a multi-round input_required call via %s',
    async (route) => {
      const prefix = route === '/mcp' ? 'modern.' : '';
      const v2 = await connectV2(`${all.gw.url}${route}`, await all.token(BASE, { route }));
      try {
        const r = await v2.client.callTool({
          name: `${prefix}test_input_required_result_multi_round`,
          arguments: {},
        });
        expect(v2.asked.elicit).toEqual([
          'Step 1: What is your name?',
          'Step 2: What is your favorite color?',
        ]);
        expect(textOf(r)).toBe(`${ANSWER.name} likes ${ANSWER.color}`);
      } finally {
        await v2.client.close();
      }
    },
  );

  it('v1 client gets each round of a 2026-07-28 multi-round call as a real elicitation', async () => {
    const { client, asked } = await connectV1(all, '/mcp', await all.token(BASE));
    try {
      const r = await client.callTool({
        name: 'modern.test_input_required_result_multi_round',
        arguments: {},
      });
      expect(asked.elicit).toEqual([
        'Step 1: What is your name?',
        'Step 2: What is your favorite color?',
      ]);
      expect(textOf(r)).toBe(`${ANSWER.name} likes ${ANSWER.color}`);
    } finally {
      await client.close();
    }
  });
});

describe('client input across the era boundary, all three kinds at once', () => {
  const ROUTES = [
    { client: 'v1', route: '/mcp' },
    { client: 'v2', route: '/mcp' },
    { client: 'v2', route: '/u/modern/mcp' },
  ] as const;

  it.each(ROUTES)(
    '$client client via $route: elicitation, sampling and roots in one input_required',
    async ({ client: kind, route }) => {
      const prefix = route === '/mcp' ? 'modern.' : '';
      const { client, asked } = await connect(kind, all, route, await all.token(BASE, { route }));
      try {
        const r = await client.callTool({
          name: `${prefix}test_input_required_result_multiple_inputs`,
          arguments: {},
        });
        expect(textOf(r)).toBe(`name=${ANSWER.name}; greeting=${SAMPLED}; roots=${ROOT.uri}`);
        expect(asked).toEqual({ elicit: ['What is your name?'], sample: 1, roots: 1 });
      } finally {
        await client.close();
      }
    },
  );

  it.each(ROUTES)('$client client via $route: input_required on prompts/get', async (c) => {
    const prefix = c.route === '/mcp' ? 'modern.' : '';
    const { client, asked } = await connect(c.client, all, c.route, await all.token(BASE, c));
    try {
      const p = await (client as unknown as PromptClient).getPrompt({
        name: `${prefix}test_input_required_result_prompt`,
      });
      expect(p.messages[0].content).toEqual({ type: 'text', text: `Context: ${ANSWER.context}` });
      expect(asked.elicit).toEqual(['What context should the prompt use?']);
    } finally {
      await client.close();
    }
  });
});

/** getPrompt, shared by both SDK clients. */
interface PromptClient {
  getPrompt(p: { name: string }): Promise<{ messages: Array<{ content: unknown }> }>;
}

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
