// Route × era parity: ONE list of tools/call cases, run with the same assertions on every
// route and protocol era the gateway serves, on the model of a shared router case file (hono's
// `runTest` suite, run against each router). A pair differs only in how the request is spoken:
//   - 2025 era: a real SDK v1 client in a session (its wire answer recorded by its own fetch);
//   - 2026-07-28: a raw stateless POST with the `_meta` envelope and the Mcp-* headers.
// and in which upstream serves the tool: the SDK v1 session upstream (test/fixtures/
// sdk-upstream.ts, `echo`) or the 2026-07-28 conformance fixture (`slow_compute`, which also
// runs as a task, SEP-2663). Each case checks what the client received (the result redacted,
// `audit.redaction.results_to_client`; denial shapes: HTTP status, WWW-Authenticate, JSON-RPC
// code, reasons) and the audit record (decision, outcome, tool, upstream, reasons, redacted
// arguments and result, request id).

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startFixture26Server, type Fixture26Server } from '../conformance/fixture26-server.ts';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';
import { modern } from './eras-peers.ts';
import { rawSession, rpc, startHarness, type Harness } from './harness.ts';

const BASE = ['mcp:tools:call'];
const ADMIN_SCOPE = 'x:admin';
const MAX_PAYLOAD = 512;
const TASKS = { extensions: { 'io.modelcontextprotocol/tasks': {} } };
const CAPS = { elicitation: {}, sampling: {} };

const EMAIL = 'bob.smith@example.com';
const CARD = '4111 1111 1111 1111';
const SECRET = `mail ${EMAIL}, card ${CARD}`;

/** The same kind of tool on each upstream: one that echoes a string argument. */
interface UpstreamTools {
  name: 'old' | 'fx';
  echo: string;
  args: (text: string) => Record<string, unknown>;
  /** Arguments that break the tool's input schema, and the JSON pointer at fault. */
  bad: Record<string, unknown>;
  badPath: string;
  /** Scoped above BASE in the config: the step-up case. */
  admin: string;
}

const OLD: UpstreamTools = {
  name: 'old',
  echo: 'echo',
  args: (text) => ({ text }),
  bad: { text: 42 },
  badPath: '/text',
  admin: 'safe_write',
};
const FX: UpstreamTools = {
  name: 'fx',
  echo: 'slow_compute',
  args: (text) => ({ seconds: 0, label: text }),
  bad: { seconds: 'soon' },
  badPath: '/seconds',
  admin: 'test_simple_text',
};

interface Pair {
  route: string;
  era: '2025' | '2026';
  up: UpstreamTools;
}

const PAIRS: Pair[] = [
  { route: '/mcp', era: '2025', up: OLD },
  { route: '/mcp', era: '2025', up: FX },
  { route: '/mcp', era: '2026', up: OLD },
  { route: '/mcp', era: '2026', up: FX },
  { route: '/u/old/mcp', era: '2025', up: OLD },
  { route: '/u/fx/mcp', era: '2026', up: FX },
];

/** What the client received for one request, as it came off the wire. */
interface Wire {
  id: number | string;
  status: number;
  headers: Headers;
  json: { result?: any; error?: { code: number; message: string; data?: any } };
}

type Rec = Record<string, any>;

let old: SdkUpstream;
let fx: Fixture26Server;
let h: Harness;
const clients: Client[] = [];

beforeAll(async () => {
  [old, fx] = await Promise.all([startSdkUpstream(), startFixture26Server()]);
  h = await startHarness({
    upstreams: [
      { name: 'old', url: old.url, tools: { [OLD.admin]: { scope: ADMIN_SCOPE } } },
      { name: 'fx', url: fx.url, tools: { [FX.admin]: { scope: ADMIN_SCOPE } } },
    ],
    limits: { max_payload_bytes: MAX_PAYLOAD },
    audit: { mode: 'sync', results: 'full', redaction: { results_to_client: true } },
  });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await h?.close();
  await Promise.all([old?.close(), fx?.close()]);
});

/** Parses a JSON body, or the SSE event that answers request `id`. */
function answerOf(text: string, id: unknown): Wire['json'] {
  try {
    return JSON.parse(text);
  } catch {
    const events = [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]));
    return events.find((e) => e.id === id) ?? {};
  }
}

/** A party speaking one pair's era as one subject: tools/call and tasks/get. */
interface Speaker {
  sub: string;
  call(name: string, args: unknown, capabilities?: Record<string, object>): Promise<Wire>;
  tasksGet(taskId: string): Promise<Wire>;
}

let nextId = 1000;

async function speaker(pair: Pair, sub: string): Promise<Speaker> {
  const url = `${h.gw.url}${pair.route}`;
  const token = await h.token(BASE, { route: pair.route, sub });
  if (pair.era === '2026') {
    const send = async (
      method: string,
      params: Record<string, unknown>,
      caps: Record<string, object> = CAPS,
    ) => {
      const id = nextId++;
      const r = await modern(url, token, id, method, params, caps);
      return { id, status: r.status, headers: r.headers, json: r.json ?? {} };
    };
    return {
      sub,
      call: (name, args, caps) => send('tools/call', { name, arguments: args }, caps),
      tasksGet: (taskId) => send('tasks/get', { taskId }, { ...CAPS, ...TASKS }),
    };
  }
  // The SDK v1 client; its fetch records each tools/call answer exactly as received.
  const seen: Array<Promise<Wire>> = [];
  const recording = async (input: string | URL | Request, init?: RequestInit) => {
    const res = await fetch(input, init);
    const msg = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    if (msg?.method === 'tools/call') {
      const copy = res.clone();
      seen.push(
        copy.text().then((text) => ({
          id: msg.id,
          status: copy.status,
          headers: copy.headers,
          json: answerOf(text, msg.id),
        })),
      );
    }
    return res;
  };
  const client = new Client({ name: 'parity-v1', version: '1.0.0' }, { capabilities: {} });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
      fetch: recording,
    }),
  );
  clients.push(client);
  return {
    sub,
    async call(name, args) {
      const before = seen.length;
      // Denials reach the SDK as errors; the wire answer is what the case asserts on.
      await client
        .callTool({ name, arguments: args as Record<string, unknown> })
        .catch(() => undefined);
      expect(seen.length, 'one tools/call POST').toBe(before + 1);
      return seen[before];
    },
    tasksGet: () => Promise.reject(new Error('no tasks in the 2025 era')),
  };
}

/** The one audit record of request `id` by `sub` on `route`. */
async function recordOf(route: string, sub: string, id: unknown, method = 'tools/call') {
  const mine = () =>
    h
      .audit()
      .filter(
        (r) => r.route === route && r.subject === sub && r.request_id === id && r.method === method,
      );
  await vi.waitFor(() => expect(mine().length).toBeGreaterThan(0));
  expect(mine(), 'exactly one record').toHaveLength(1);
  return mine()[0] as Rec;
}

const textOf = (result: any): string =>
  ((result?.content ?? []) as Array<{ text?: string }>).map((c) => c.text ?? '').join('\n');

/** The secret is shown redacted, never in the clear. */
function expectRedacted(what: string, label: string): void {
  expect(what, label).toContain('[REDACTED:email]');
  expect(what, label).toContain('[REDACTED:card]');
  expect(what, label).not.toContain(EMAIL);
  expect(what, label).not.toContain(CARD);
}

interface Case {
  name: string;
  tool: (u: UpstreamTools) => string;
  args: (u: UpstreamTools) => unknown;
  client: (w: Wire, u: UpstreamTools, exposed: string) => void;
  record: (r: Rec, u: UpstreamTools, exposed: string) => void;
}

const CASES: Case[] = [
  {
    name: 'an allowed call: its result is redacted for the client and in the record',
    tool: (u) => u.echo,
    args: (u) => u.args(SECRET),
    client(w) {
      expect(w.status).toBe(200);
      expect(w.json.error).toBeUndefined();
      expect(w.json.result.isError).toBeFalsy();
      expectRedacted(textOf(w.json.result), 'client result');
    },
    record(r, u, exposed) {
      expect(r).toMatchObject({
        decision: 'allow',
        outcome: 'ok',
        tool: exposed,
        upstream: u.name,
        reasons: [],
        status: 200,
      });
      expectRedacted(JSON.stringify(r.arguments), 'recorded arguments');
      expect(r.result).toMatchObject({ is_error: false, content_types: ['text'] });
      expectRedacted(textOf(r.result.value), 'recorded result');
      expect(r.redactions).toMatchObject({ email: 2, card: 2 });
    },
  },
  {
    name: 'a missing scope: 403 with a step-up challenge',
    tool: (u) => u.admin,
    args: () => ({}),
    client(w) {
      expect(w.status).toBe(403);
      const challenge = w.headers.get('www-authenticate') ?? '';
      expect(challenge).toMatch(/^Bearer /);
      expect(challenge).toContain('error="insufficient_scope"');
      expect(challenge).toContain(ADMIN_SCOPE);
    },
    record(r, u, exposed) {
      expect(r).toMatchObject({
        decision: 'deny',
        outcome: 'denied',
        tool: exposed,
        upstream: u.name,
        status: 403,
      });
      expect(r.reasons.join('; ')).toContain(ADMIN_SCOPE);
      expect(r.result).toBeUndefined();
    },
  },
  {
    name: 'a policy denial: 200 with -32003 and the reasons',
    tool: (u) => u.echo,
    args: (u) => u.args(`${SECRET} ${'x'.repeat(MAX_PAYLOAD)}`),
    client(w) {
      expect(w.status).toBe(200);
      expect(w.json.error).toMatchObject({
        code: -32003,
        data: { reasons: [`payload too large (> ${MAX_PAYLOAD} bytes)`] },
      });
    },
    record(r, u, exposed) {
      expect(r).toMatchObject({
        decision: 'deny',
        outcome: 'denied',
        tool: exposed,
        upstream: u.name,
        reasons: [`payload too large (> ${MAX_PAYLOAD} bytes)`],
        status: 200,
      });
      expectRedacted(JSON.stringify(r.arguments), 'recorded arguments of a denied call');
      expect(r.result).toBeUndefined();
    },
  },
  {
    name: 'an unknown tool: denied by the policy, naming it',
    tool: () => 'no_such_tool',
    args: () => ({}),
    client(w, _u, exposed) {
      expect(w.status).toBe(200);
      expect(w.json.error).toMatchObject({
        code: -32003,
        data: { reasons: [`no such tool: ${exposed}`] },
      });
    },
    record(r, _u, exposed) {
      expect(r).toMatchObject({
        decision: 'deny',
        outcome: 'denied',
        tool: exposed,
        reasons: [`no such tool: ${exposed}`],
        status: 200,
      });
    },
  },
  {
    name: 'invalid arguments: -32602 naming the field',
    tool: (u) => u.echo,
    args: (u) => u.bad,
    client(w, u) {
      expect(w.status).toBe(200);
      expect(w.json.error?.code).toBe(-32602);
      expect(w.json.error?.message).toContain(u.badPath);
    },
    record(r, u, exposed) {
      expect(r).toMatchObject({ decision: 'deny', tool: exposed, upstream: u.name, status: 200 });
      expect(r.reasons.join('; ')).toContain(u.badPath);
      expect(r.result).toBeUndefined();
    },
  },
];

describe.each(PAIRS)('$route × $era (upstream $up.name)', (pair) => {
  const exposed = (tool: string) => (pair.route === '/mcp' ? `${pair.up.name}.${tool}` : tool);
  let who: Speaker;
  beforeAll(async () => {
    who = await speaker(pair, `parity ${pair.route} ${pair.era} ${pair.up.name}`);
  });

  it.each(CASES)('$name', async (c) => {
    const name = exposed(c.tool(pair.up));
    const w = await who.call(name, c.args(pair.up));
    c.client(w, pair.up, name);
    c.record(await recordOf(pair.route, who.sub, w.id), pair.up, name);
  });

  // A finished task's result reaches the client through tasks/get: redacted as a tools/call's.
  if (pair.era === '2026' && pair.up === FX)
    it('a completed task fetched with tasks/get: its result is redacted', async () => {
      const name = exposed(FX.echo);
      const created = await who.call(name, { seconds: 0.2, label: SECRET }, { ...CAPS, ...TASKS });
      expect(created.json.result).toMatchObject({ resultType: 'task' });
      let done: Wire | undefined;
      for (let i = 0; i < 100 && done?.json.result?.status !== 'completed'; i++) {
        if (i) await new Promise((ok) => setTimeout(ok, 50));
        done = await who.tasksGet(created.json.result.taskId);
      }
      expect(done!.json.result.status).toBe('completed');
      expectRedacted(textOf(done!.json.result.result), 'task result to the client');
      const r = await recordOf(pair.route, who.sub, done!.id, 'tasks/get');
      expect(r).toMatchObject({ tool: name, outcome: 'ok' });
      expectRedacted(textOf(r.result.value), 'recorded task result');
    });
});

// A 2025-03-26 batch carries several tools/call results in one answer: each is redacted as a
// single call's would be, on both routes.
describe.each(['/mcp', '/u/old/mcp'])('a 2025-03-26 batch via %s', (route) => {
  it('redacts every tool result it carries', async () => {
    const url = `${h.gw.url}${route}`;
    const sub = `parity batch ${route}`;
    const s = await rawSession(url, await h.token(BASE, { route, sub }), '2025-03-26');
    const name = route === '/mcp' ? 'old.echo' : 'echo';
    const calls = [1, 2].map((id) => ({
      jsonrpc: '2.0',
      id,
      method: 'tools/call',
      params: { name, arguments: { text: SECRET } },
    }));
    const r = await rpc(url, calls, s);
    expect(r.status, r.text).toBe(200);
    // One JSON array, or (an SSE answer) one event per response or a batch of them.
    const answers = (
      r.headers.get('content-type')?.includes('text/event-stream')
        ? [...r.text.matchAll(/^data: (.*)$/gm)].flatMap((m) => JSON.parse(m[1]))
        : r.json
    ) as Wire['json'][];
    expect(answers).toHaveLength(2);
    for (const a of answers) expectRedacted(textOf(a.result), 'batched result to the client');
    for (const id of [1, 2]) {
      const rec = await recordOf(route, sub, id);
      expect(rec).toMatchObject({ decision: 'allow', outcome: 'ok', tool: name, upstream: 'old' });
      expectRedacted(JSON.stringify(rec.arguments), 'recorded batched arguments');
    }
  });
});
