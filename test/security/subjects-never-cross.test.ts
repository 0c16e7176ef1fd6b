// Subjects never cross on a stdio child shared by several users. Nothing on stdio JSON-RPC says
// which call a log message or a server-to-client request belongs to, so the gateway gives one
// to a call only when that call is the one in flight on the child, routes progress by the
// SDK's own per-request token, and otherwise drops the message (audited) — it never hands one
// user's log line, progress or elicitation to another, nor takes one user's answer for
// another's call. Real SDK clients (alice and bob) on both routes, 2025 sessions and
// 2026-07-28 (input_required); the child is an SDK stdio server run by `node -e`.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { rpc, startHarness, type Harness } from '../gateway/harness.ts';

/** solo: logs, reports progress and elicits about the account it is given, returns the
 *  answer. pair: the same, once two pair calls are in flight on the child. */
const CHILD = `
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import * as t from '@modelcontextprotocol/sdk/types.js';
const server = new Server({ name: 'bank', version: '1' },
  { capabilities: { tools: {}, logging: {} } });
const input = { type: 'object', properties: { account: { type: 'string' } } };
server.setRequestHandler(t.ListToolsRequestSchema, () => ({ tools: ['solo', 'pair', 'pid', 'stray']
  .map((name) => ({ name, inputSchema: input, annotations: { readOnlyHint: true } })) }));
let waiting = [];
server.setRequestHandler(t.CallToolRequestSchema, async (r, extra) => {
  const { name, arguments: a = {} } = r.params;
  if (name === 'pid') return { content: [{ type: 'text', text: String(process.pid) }] };
  if (name === 'stray') {
    // Progress under a token the gateway never sent: belongs to no call.
    await extra.sendNotification({ method: 'notifications/progress',
      params: { progressToken: 987654, progress: 1, message: 'stray ' + a.account } });
    return { content: [{ type: 'text', text: 'sent' }] };
  }
  if (name === 'pair') {
    await new Promise((go) => {
      waiting.push(go);
      if (waiting.length >= 2) for (const w of waiting.splice(0)) w();
      setTimeout(go, 2000).unref();
    });
  }
  await extra.sendNotification({ method: 'notifications/message',
    params: { level: 'info', data: 'account ' + a.account } });
  const token = extra._meta?.progressToken;
  if (token !== undefined)
    await extra.sendNotification({ method: 'notifications/progress',
      params: { progressToken: token, progress: 1, total: 1, message: 'progress ' + a.account } });
  let answer;
  try {
    const res = await extra.sendRequest({ method: 'elicitation/create', params: {
      message: 'confirm transfer from ' + a.account,
      requestedSchema: { type: 'object', properties: { who: { type: 'string' } } } } },
      t.ElicitResultSchema);
    answer = 'answer:' + JSON.stringify(res.content ?? null);
  } catch (e) {
    answer = 'refused:' + e.message;
  }
  return { content: [{ type: 'text', text: answer }] };
});
await server.connect(new StdioServerTransport());
`;

const SCOPES = ['mcp:tools:call'];
let h: Harness;
const open: Client[] = [];

beforeAll(async () => {
  h = await startHarness({
    upstreams: [
      {
        name: 'bank',
        command: process.execPath,
        args: ['--input-type=module', '-e', CHILD],
        cwd: process.cwd(), // resolves @modelcontextprotocol/sdk from the project
      },
      {
        name: 'vault',
        command: process.execPath,
        args: ['--input-type=module', '-e', CHILD],
        cwd: process.cwd(),
        isolation: 'per_subject',
        max_children: 2,
      },
    ],
  });
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.close().catch(() => undefined)));
  await h?.close();
});

/** What one user's client saw: log lines, progress messages, elicitation messages. */
interface Seen {
  logs: string[];
  progress: string[];
  asked: string[];
}

async function user(route: string, sub: string, answer: () => Promise<unknown> = async () => {}) {
  const c = await h.client(route, await h.token(SCOPES, { route, sub }), { elicitation: true });
  open.push(c);
  const seen: Seen = { logs: [], progress: [], asked: [] };
  c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    seen.logs.push(String(n.params.data));
  });
  c.setRequestHandler(ElicitRequestSchema, async (req) => {
    seen.asked.push(req.params.message);
    await answer();
    return { action: 'accept', content: { who: sub } };
  });
  const call = async (tool: string, account: string) => {
    const r = await c.request(
      { method: 'tools/call', params: { name: tool, arguments: { account } } },
      CallToolResultSchema,
      { onprogress: (p) => void seen.progress.push(String(p.message)) },
    );
    return (r.content as Array<{ text: string }>)[0].text;
  };
  return { c, seen, call };
}

/** Waits (bounded) for audit records that match. */
async function records(match: (r: Record<string, unknown>) => boolean, atLeast = 1) {
  for (let i = 0; i < 100; i++) {
    const found = h.audit().filter(match);
    if (found.length >= atLeast) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  return h.audit().filter(match);
}

const everything = (s: Seen) => [...s.logs, ...s.progress, ...s.asked].join('\n');

describe.each([
  { route: '/u/bank/mcp', tool: (t: string) => t },
  { route: '/mcp', tool: (t: string) => `bank.${t}` },
])('a stdio child shared by alice and bob, via $route (2025 sessions)', ({ route, tool }) => {
  it('gives alice her own log, progress and elicitation when hers is the one call in flight', async () => {
    const alice = await user(route, 'alice');
    const bob = await user(route, 'bob');
    await bob.call(tool('solo'), 'BOB-0000'); // bob uses the child too
    bob.seen.logs.length = bob.seen.progress.length = bob.seen.asked.length = 0;
    const text = await alice.call(tool('solo'), 'ACCT-1111');
    expect(text).toBe('answer:{"who":"alice"}');
    expect(alice.seen.logs).toEqual(['account ACCT-1111']);
    expect(alice.seen.progress).toEqual(['progress ACCT-1111']);
    expect(alice.seen.asked).toEqual(['confirm transfer from ACCT-1111']);
    expect(everything(bob.seen)).toBe('');
  });

  it('drops what two users’ concurrent calls cannot be told apart by, and records the drop', async () => {
    const alice = await user(route, 'alice');
    const bob = await user(route, 'bob');
    const before = h.audit().length;
    const [a, b] = await Promise.all([
      alice.call(tool('pair'), 'ACCT-2222'),
      bob.call(tool('pair'), 'BOB-2222'),
    ]);
    // Nobody answered either elicitation: the child was refused, not given the other's answer.
    expect(a).toMatch(/^refused:/);
    expect(b).toMatch(/^refused:/);
    expect(everything(bob.seen)).not.toContain('ACCT-2222');
    expect(everything(alice.seen)).not.toContain('BOB-2222');
    expect(alice.seen.asked).toEqual([]);
    expect(bob.seen.asked).toEqual([]);
    expect(alice.seen.logs).toEqual([]);
    expect(bob.seen.logs).toEqual([]);
    // Progress carries the SDK's per-request token: each gets its own, even now.
    expect(alice.seen.progress).toEqual(['progress ACCT-2222']);
    expect(bob.seen.progress).toEqual(['progress BOB-2222']);
    const drops = await records(
      (r) => r.outcome === 'dropped' && r.upstream === 'bank' && r.method === 'elicitation/create',
      2,
    );
    expect(drops.length).toBeGreaterThanOrEqual(2);
    expect(drops[0]).toMatchObject({
      subject: null,
      decision: 'none',
      reasons: [expect.stringMatching(/calls in flight on the shared stdio child/)],
    });
    const logDrops = h
      .audit()
      .slice(before)
      .filter((r) => r.outcome === 'dropped' && r.method === 'notifications/message');
    expect(logDrops.length).toBeGreaterThanOrEqual(2);
    // The dropped records carry no account number either (the message itself is not kept).
    expect(
      JSON.stringify(
        h
          .audit()
          .slice(before)
          .filter((r) => r.outcome === 'dropped'),
      ),
    ).not.toMatch(/ACCT-2222|BOB-2222/);
  });

  it('takes alice’s answer only from alice: bob cannot reach her session or her request', async () => {
    let bobTried: Promise<void> | undefined;
    let sessionOfAlice = '';
    const bobToken = await h.token(SCOPES, { route, sub: 'bob' });
    const bob = await user(route, 'bob');
    const alice = await user(route, 'alice', async () => {
      // While alice's elicitation is open, bob answers it: on her session, and on his own.
      bobTried = (async () => {
        const answer = {
          jsonrpc: '2.0',
          id: 0,
          result: { action: 'accept', content: { who: 'bob' } },
        };
        const onHers = await rpc(`${h.gw.url}${route}`, answer, {
          authorization: `Bearer ${bobToken}`,
          'mcp-session-id': sessionOfAlice,
          'mcp-protocol-version': '2025-06-18',
        });
        expect(onHers.status).toBe(404);
        for (let id = 0; id < 4; id++)
          await rpc(
            `${h.gw.url}${route}`,
            { ...answer, id },
            {
              authorization: `Bearer ${bobToken}`,
              'mcp-session-id': (bob.c.transport as StreamableHTTPClientTransport).sessionId!,
              'mcp-protocol-version': '2025-06-18',
            },
          );
      })();
      await bobTried;
    });
    sessionOfAlice = (alice.c.transport as StreamableHTTPClientTransport).sessionId!;
    const text = await alice.call(tool('solo'), 'ACCT-3333');
    await bobTried;
    expect(text).toBe('answer:{"who":"alice"}');
    expect(everything(bob.seen)).not.toContain('ACCT-3333');
  });
});

describe('progress under a token of no call', () => {
  it('is dropped and recorded, not delivered', async () => {
    const alice = await user('/u/bank/mcp', 'alice');
    expect(await alice.call('stray', 'ACCT-8888')).toBe('sent');
    expect(alice.seen.progress).toEqual([]);
    const drops = await records(
      (r) => r.outcome === 'dropped' && r.method === 'notifications/progress',
    );
    expect(drops.at(-1)).toMatchObject({
      upstream: 'bank',
      reasons: ['progress token of no call'],
    });
  });
});

const META = (caps: Record<string, unknown>) => ({
  'io.modelcontextprotocol/protocolVersion': '2026-07-28',
  'io.modelcontextprotocol/clientCapabilities': caps,
});

describe.each([
  { route: '/u/bank/mcp', tool: 'solo' },
  { route: '/mcp', tool: 'bank.solo' },
])('2026-07-28 clients on the shared child via $route', ({ route, tool }) => {
  const call = async (sub: string, id: number, account: string, extra: object = {}) =>
    rpc(
      `${h.gw.url}${route}`,
      {
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: {
          name: tool,
          arguments: { account },
          ...extra,
          _meta: { ...META({ elicitation: {} }), progressToken: 1 },
        },
      },
      {
        authorization: `Bearer ${await h.token(SCOPES, { route, sub })}`,
        'mcp-protocol-version': '2026-07-28',
        'mcp-method': 'tools/call',
        'mcp-name': tool,
      },
    );

  it('asks alice (input_required) about her account; bob cannot answer with her state', async () => {
    const first = await call('alice', 41, 'ACCT-4444');
    expect(first.status, first.text).toBe(200);
    expect(first.json.result.resultType).toBe('input_required');
    const [[key, asked]] = Object.entries(first.json.result.inputRequests as Record<string, any>);
    expect(asked.params.message).toBe('confirm transfer from ACCT-4444');
    const state = first.json.result.requestState as string;
    // bob replays alice's state with his own answer: refused, alice's call untouched.
    const stolen = await call('bob', 42, 'ACCT-4444', {
      requestState: state,
      inputResponses: { [key]: { action: 'accept', content: { who: 'bob' } } },
    });
    expect(stolen.text).not.toContain('"resultType":"complete"');
    expect(stolen.json?.error?.code ?? stolen.status).not.toBe(200);
    const done = await call('alice', 43, 'ACCT-4444', {
      requestState: state,
      inputResponses: { [key]: { action: 'accept', content: { who: 'alice' } } },
    });
    expect(done.status, done.text).toBe(200);
    expect(done.json.result.resultType).toBe('complete');
    expect(done.json.result.content[0].text).toBe('answer:{"who":"alice"}');
  });

  it('never gives a 2025 session the elicitation of a 2026-07-28 call running beside it', async () => {
    const bob = await user(route, 'bob');
    // The 2026-07-28 call elicits while bob's call runs beside it: neither is given it.
    const pairTool = tool.replace('solo', 'pair');
    const [a, b] = await Promise.all([
      rpc(
        `${h.gw.url}${route}`,
        {
          jsonrpc: '2.0',
          id: 44,
          method: 'tools/call',
          params: {
            name: pairTool,
            arguments: { account: 'ACCT-5555' },
            _meta: { ...META({ elicitation: {} }), progressToken: 0 },
          },
        },
        {
          authorization: `Bearer ${await h.token(SCOPES, { route, sub: 'alice' })}`,
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': 'tools/call',
          'mcp-name': pairTool,
        },
      ),
      bob.call(pairTool, 'BOB-5555'),
    ]);
    expect(a.status, a.text).toBe(200);
    expect(a.json.result.resultType).toBe('complete');
    expect(a.json.result.content[0].text).toMatch(/^refused:/);
    expect(b).toMatch(/^refused:/);
    // alice's client-chosen progress token 0 is not sent to the child: bob's progress is his.
    expect(everything(bob.seen)).not.toContain('ACCT-5555');
    expect(bob.seen.progress).toEqual(['progress BOB-5555']);
  });
});

describe('isolation: per_subject — one child per subject', () => {
  it('runs alice and bob on children of their own: concurrent calls each get their own input', async () => {
    const route = '/u/vault/mcp';
    const alice = await user(route, 'alice');
    const bob = await user(route, 'bob');
    const [a, b] = await Promise.all([
      alice.call('solo', 'ACCT-6666'),
      bob.call('solo', 'BOB-6666'),
    ]);
    expect(a).toBe('answer:{"who":"alice"}');
    expect(b).toBe('answer:{"who":"bob"}');
    expect(alice.seen.logs).toEqual(['account ACCT-6666']);
    expect(bob.seen.logs).toEqual(['account BOB-6666']);
    expect(alice.seen.asked).toEqual(['confirm transfer from ACCT-6666']);
    expect(everything(bob.seen)).not.toContain('ACCT-6666');
    expect(everything(alice.seen)).not.toContain('BOB-6666');
    const [pa, pb] = [await alice.call('pid', ''), await bob.call('pid', '')];
    expect(pa).not.toBe(pb);
    // alice's session on /mcp reaches her child too.
    const again = await user('/mcp', 'alice');
    expect(await again.call('vault.pid', '')).toBe(pa);
    const vault = h.gw.upstreams.find((u) => u.name === 'vault')!;
    expect(vault.children).toBe(2);
    expect(vault.process!.pid).not.toBe(Number(pa)); // discovery keeps its own child
  });

  it('answers 503 for a third subject while max_children (2) children are busy', async () => {
    const route = '/u/vault/mcp';
    // alice's and bob's children are busy with pair calls (each waits for a partner).
    const alice = await user(route, 'alice');
    const bob = await user(route, 'bob');
    const busy = Promise.all([alice.call('pair', 'ACCT-7'), bob.call('pair', 'BOB-7')]);
    const vault = h.gw.upstreams.find((u) => u.name === 'vault')!;
    const carol = await h.client(route, await h.token(SCOPES, { route, sub: 'carol' }));
    open.push(carol);
    const r = await carol.callTool({ name: 'pid', arguments: {} }).catch((e: Error) => e);
    expect(String((r as Error).message)).toMatch(/503|max_children/);
    expect(vault.children).toBe(2);
    const rec = await records((x) => x.subject === 'carol' && x.route === route);
    expect(rec.at(-1)).toMatchObject({ status: 503, outcome: 'error', error_code: -32014 });
    await busy;
  });
});
