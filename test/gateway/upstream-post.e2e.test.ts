// The drop-in route's own upstream POSTs (tools/call, tools/list: gateway/upstream-post.ts, an
// undici pool): what reaches the upstream, a dead upstream, an SSE answer whose client leaves
// mid-stream, and an SSE answer relayed to a client that reads slowly. Real SDK upstreams.

import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';
import { rawSession, rpc, startHarness, type Harness } from './harness.ts';

const ROUTE = '/u/sse/mcp';
let up: SdkUpstream;
let json: SdkUpstream;
let h: Harness;

beforeAll(async () => {
  up = await startSdkUpstream({ json: false });
  json = await startSdkUpstream({ json: true });
  h = await startHarness({
    upstreams: [
      { name: 'sse', url: up.url },
      { name: 'json', url: json.url },
    ],
  });
});
afterAll(async () => {
  await h.close();
  await up.close();
  await json.close();
});

const call = (id: number, name: string, args: Record<string, unknown>, meta?: object) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args, ...(meta ? { _meta: meta } : {}) },
});

const until = async (ok: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
};

/**
 * A raw POST on node:http (fetch refuses hop-by-hop headers and hides how a stream ends):
 * `read` gets the answer and the request, and settles the result itself.
 */
function rawPost<T>(
  url: string,
  headers: Record<string, string>,
  body: unknown,
  read: (res: IncomingMessage, req: ClientRequest, done: (v: T) => void) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: {
        ...headers,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
    });
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      read(res, req, resolve);
    });
    // Once answered, an error is the test hanging up on purpose; before, a real failure.
    req.on('error', (e) => (answered ? undefined : reject(e)));
    req.end(JSON.stringify(body));
  });
}

/** Reads a whole answer as text. */
const whole = (
  res: IncomingMessage,
  _req: ClientRequest,
  done: (v: { status: number; text: string }) => void,
) => {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (c: string) => (text += c));
  res.on('end', () => done({ status: res.statusCode!, text }));
};

describe('drop-in tools/call on the pooled client', () => {
  it('sends the upstream no client token and no hop-by-hop headers, with its own Host', async () => {
    const s = await rawSession(
      `${h.gw.url}${ROUTE}`,
      await h.token(['mcp:tools:call'], { route: ROUTE }),
    );
    const before = up.seen.length;
    const r = await rawPost(
      `${h.gw.url}${ROUTE}`,
      { ...s, connection: 'keep-alive', 'keep-alive': 'timeout=5' },
      call(7, 'echo', { text: 'hi' }),
      whole,
    );
    expect(r.status).toBe(200);
    expect(r.text).toContain('"text":"hi"');
    const sent = up.seen.slice(before).at(-1)!;
    expect(sent.authorization).toBeUndefined();
    expect(sent['keep-alive']).toBeUndefined();
    expect(sent.host).toBe(new URL(up.url).host);
    expect(sent['mcp-session-id']).toBe(s['mcp-session-id']);
    expect(sent['mcp-protocol-version']).toBe('2025-06-18');
  });

  it('answers 502 -32010 when the upstream is gone, audits it, and serves the rest', async () => {
    const doomed = await startSdkUpstream({ json: true });
    const g = await startHarness({
      upstreams: [
        { name: 'doomed', url: doomed.url },
        { name: 'live', url: json.url },
      ],
    });
    try {
      const route = '/u/doomed/mcp';
      const s = await rawSession(
        `${g.gw.url}${route}`,
        await g.token(['mcp:tools:call'], { route }),
      );
      await doomed.close();
      const r = await rpc(`${g.gw.url}${route}`, call(9, 'echo', { text: 'x' }), s);
      expect(r.status).toBe(502);
      expect(r.json).toMatchObject({ id: 9, error: { code: -32010 } });
      expect(r.json.error.message).toMatch(/upstream doomed is unreachable: ECONNREFUSED/);
      await until(() => g.audit().some((x) => x.request_id === 9));
      expect(g.audit().find((x) => x.request_id === 9)).toMatchObject({
        tool: 'echo',
        decision: 'allow',
        outcome: 'error',
        status: 502,
        error_code: -32010,
      });
      const live = '/u/live/mcp';
      const s2 = await rawSession(
        `${g.gw.url}${live}`,
        await g.token(['mcp:tools:call'], { route: live }),
      );
      const ok = await rpc(`${g.gw.url}${live}`, call(10, 'echo', { text: 'still here' }), s2);
      expect(ok.json.result.content[0].text).toBe('still here');
    } finally {
      await g.close();
    }
  });

  it('relays an SSE answer event by event; a client leaving mid-stream costs nothing else', async () => {
    const s = await rawSession(
      `${h.gw.url}${ROUTE}`,
      await h.token(['mcp:tools:call'], { route: ROUTE }),
    );
    const started = up.slowStarted;
    // The client reads the first progress event, then hangs up.
    const first = await rawPost<string>(
      `${h.gw.url}${ROUTE}`,
      s,
      call(21, 'slow', { steps: 40, ms: 25 }, { progressToken: 'p21' }),
      (res, req, done) => {
        expect(res.headers['content-type']).toContain('text/event-stream');
        res.setEncoding('utf8');
        res.once('data', (chunk: string) => {
          done(chunk);
          req.destroy();
        });
      },
    );
    expect(first).toMatch(/notifications\/progress/);
    expect(up.slowStarted).toBe(started + 1);
    // One record for the abandoned call, and the session keeps working.
    await until(() => h.audit().some((x) => x.request_id === 21));
    expect(h.audit().find((x) => x.request_id === 21)).toMatchObject({ tool: 'slow' });
    const r = await rpc(`${h.gw.url}${ROUTE}`, call(22, 'echo', { text: 'after' }), s);
    expect(r.json).toMatchObject({
      id: 22,
      result: { content: [{ type: 'text', text: 'after' }] },
    });
  });

  it('ends the client stream when the upstream goes away mid-answer, and audits the call', async () => {
    const doomed = await startSdkUpstream({ json: false });
    const g = await startHarness({ upstreams: [{ name: 'doomed', url: doomed.url }] });
    try {
      const route = '/u/doomed/mcp';
      const url = `${g.gw.url}${route}`;
      const s = await rawSession(url, await g.token(['mcp:tools:call'], { route }));
      const text = await rawPost<string>(
        url,
        s,
        call(41, 'slow', { steps: 50, ms: 20 }, { progressToken: 'p41' }),
        (res, _req, done) => {
          let all = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            all += c;
            if (all.includes('notifications/progress')) void doomed.close();
          });
          // Ended or cut: either way the client is not left hanging.
          res.on('end', () => done(all));
          res.on('error', () => done(all));
          res.on('close', () => done(all));
        },
      );
      expect(text).toMatch(/notifications\/progress/);
      expect(text).not.toMatch(/slow done/);
      await until(() => g.audit().some((x) => x.request_id === 41));
      expect(g.audit().find((x) => x.request_id === 41)).toMatchObject({ tool: 'slow' });
      const ok = await fetch(`${g.gw.url}/healthz`);
      expect(ok.status).toBe(200);
    } finally {
      await g.close();
    }
  });

  it('relays every event of a long SSE answer to a client that reads slowly', async () => {
    const s = await rawSession(
      `${h.gw.url}${ROUTE}`,
      await h.token(['mcp:tools:call'], { route: ROUTE }),
    );
    const steps = 60;
    const text = await rawPost<string>(
      `${h.gw.url}${ROUTE}`,
      s,
      call(31, 'slow', { steps, ms: 1 }, { progressToken: 'p31' }),
      (res, _req, done) => {
        res.setEncoding('utf8');
        let all = '';
        res.pause();
        // Read in bursts with pauses between them.
        const tick = setInterval(() => {
          let c: string | null;
          while ((c = res.read() as string | null) !== null) all += c;
        }, 30);
        res.on('end', () => {
          clearInterval(tick);
          done(all);
        });
      },
    );
    const events = text.split('\n').filter((l) => l.startsWith('data: '));
    expect(events.filter((l) => l.includes('notifications/progress'))).toHaveLength(steps);
    expect(JSON.parse(events.at(-1)!.slice(6))).toMatchObject({
      id: 31,
      result: { content: [{ type: 'text', text: `slow done ${steps}` }] },
    });
  });
});

describe('upstreams[].max_answer_bytes', () => {
  // Over the answer bound, under the policy's 8 KB argument limit; the bound leaves room for
  // the upstream's tools/list (discovery goes through it too).
  const LIMIT = 6000;
  const big = 'b'.repeat(7000);

  it.each([
    ['JSON', true],
    ['SSE', false],
  ])(
    'refuses a %s answer over the bound with 502 -32010, audits it, and goes on',
    async (_, isJson) => {
      const upstream = await startSdkUpstream({ json: isJson });
      const g = await startHarness({
        upstreams: [{ name: 'u', url: upstream.url, max_answer_bytes: LIMIT }],
      });
      try {
        const route = '/u/u/mcp';
        const url = `${g.gw.url}${route}`;
        const s = await rawSession(url, await g.token(['mcp:tools:call'], { route }));
        const r = await rpc(url, call(51, 'echo', { text: big }), s);
        expect(r.status).toBe(502);
        expect(r.json).toMatchObject({ id: 51, error: { code: -32010 } });
        expect(r.json.error.message).toMatch(/upstream u: .*exceeds 6000/);
        await until(() => g.audit().some((x) => x.request_id === 51));
        expect(g.audit().find((x) => x.request_id === 51)).toMatchObject({
          tool: 'echo',
          outcome: 'error',
          status: 502,
          error_code: -32010,
        });
        const ok = await rpc(url, call(52, 'echo', { text: 'small' }), s);
        expect(ok.json).toMatchObject({ id: 52, result: { content: [{ text: 'small' }] } });
        // The aggregated endpoint's upstream client has the same bound, on JSON answers and on
        // each SSE event; the call fails at once (-32010), not at its timeout.
        const c = await g.client('/mcp', await g.token(['mcp:tools:call']));
        await expect(
          c.callTool({ name: 'u.echo', arguments: { text: big } }, undefined, { timeout: 20_000 }),
        ).rejects.toThrow(/-32010.*exceeds 6000/); // a wait for the timeout would be -32001
        expect((await c.callTool({ name: 'u.echo', arguments: { text: 'ok' } })).content).toEqual([
          { type: 'text', text: 'ok' },
        ]);
        await c.close();
      } finally {
        await g.close();
        await upstream.close();
      }
    },
  );

  it('is a config key with a default, per upstream and in limits', async () => {
    const { buildConfig } = await import('../../src/config/index.ts');
    const c = buildConfig(
      {
        limits: { max_answer_bytes: 1000 },
        upstreams: [
          { name: 'a', url: 'http://127.0.0.1:1/mcp' },
          { name: 'b', url: 'http://127.0.0.1:1/mcp', max_answer_bytes: 50 },
        ],
      },
      'test',
    );
    expect(c.upstreams.map((u) => u.max_answer_bytes)).toEqual([1000, 50]);
    expect(buildConfig({ upstreams: [] }, 'test').limits.max_answer_bytes).toBe(32 << 20);
    expect(() => buildConfig({ limits: { max_answer_bytes: 0 } }, 'test')).toThrow(
      expect.objectContaining({ where: 'limits.max_answer_bytes' }),
    );
  });
});
