// Audit records tell what really happened, through the gateway on both routes: a client that
// left before its answer is `client_gone` (not ok/200 with no result), a call the gateway
// stopped waiting for is `timeout` with `upstream_state: "unknown"` (it ran upstream), a call
// denied for its size keeps only a bounded prefix of its arguments, and line separators in
// client text are escaped so a line-splitting reader still sees one record per line.

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyFiles } from '../../src/audit/index.ts';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';
import { rawSession, rpc, startHarness, type Harness } from './harness.ts';

const BASE = ['mcp:tools:call'];
let up: SdkUpstream;
let h: Harness;

beforeAll(async () => {
  up = await startSdkUpstream({ json: true });
  h = await startHarness({
    upstreams: [{ name: 'api', url: up.url, timeout_ms: 400 }],
    limits: { max_body_bytes: 200_000, max_payload_bytes: 8192 },
  });
});
afterAll(async () => {
  await h?.close();
  await up?.close();
});

/** Polls the audit file for a tools/call record of request `id` on `route`. */
async function recordOf(route: string, id: number): Promise<Record<string, any>> {
  for (let i = 0; i < 250; i++) {
    const r = h
      .audit()
      .find((x) => x.route === route && x.request_id === id && x.method === 'tools/call');
    if (r) return r;
    await new Promise((ok) => setTimeout(ok, 20));
  }
  throw new Error(`no record of ${route} #${id}`);
}

const call = (id: number, name: string, args: unknown) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});

for (const route of ['/u/api/mcp', '/mcp']) {
  const tool = (t: string) => (route === '/mcp' ? `api.${t}` : t);
  const url = () => `${h.gw.url}${route}`;

  describe(`records through ${route}`, () => {
    it('a client that left before the answer: client_gone, not ok', async () => {
      const headers = await rawSession(url(), await h.token(BASE, { route }));
      const started = up.slowStarted;
      const ac = new AbortController();
      const res = fetch(url(), {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify(call(71, tool('slow'), { steps: 3, ms: 100 })),
        signal: ac.signal,
      }).catch(() => undefined);
      for (let i = 0; i < 250 && up.slowStarted === started; i++)
        await new Promise((ok) => setTimeout(ok, 10));
      ac.abort();
      await res;
      const rec = await recordOf(route, 71);
      expect(rec).toMatchObject({
        outcome: 'client_gone',
        status: 499,
        decision: 'allow',
        upstream_state: 'unknown',
      });
      expect(rec.result).toBeUndefined();
    });

    it('a call the gateway timed out: timeout, upstream_state unknown', async () => {
      const headers = await rawSession(url(), await h.token(BASE, { route }));
      const r = await rpc(url(), call(72, tool('slow'), { steps: 4, ms: 300 }), headers);
      expect(JSON.stringify(r.json)).toMatch(/timed out/);
      expect(await recordOf(route, 72)).toMatchObject({
        outcome: 'timeout',
        upstream_state: 'unknown',
      });
    });

    it('a call denied for size keeps a bounded prefix of its arguments', async () => {
      const headers = await rawSession(url(), await h.token(BASE, { route }));
      const big = { text: 'x'.repeat(50_000), who: 'mallory@example.com' };
      const r = await rpc(url(), call(73, tool('echo'), big), headers);
      expect(JSON.stringify(r.json)).toMatch(/payload too large/);
      const rec = await recordOf(route, 73);
      expect(rec).toMatchObject({ decision: 'deny', arguments_truncated: true });
      expect(typeof rec.arguments).toBe('string');
      expect(Buffer.byteLength(rec.arguments as string)).toBeLessThanOrEqual(4096);
      expect(rec.arguments).toMatch(/^\{"text":"xxxx/);
      expect(rec.sizes.arguments_bytes).toBeGreaterThan(50_000);
      const line = readFileSync(h.auditFile, 'utf8')
        .split('\n')
        .find((l) => l.includes('"request_id":73') && l.includes(route));
      expect(Buffer.byteLength(line!)).toBeLessThan(8192);
    });

    it('line separators in client text are escaped: one record, one line, for every reader', async () => {
      const headers = await rawSession(url(), await h.token(BASE, { route }));
      const text = 'a\u2028b\u2029c\u0085d\u000be\u001cf';
      // (Not rpc(): its SSE fallback reads `data:` with a RegExp `.`, which stops at U+2028.)
      const r = await fetch(url(), {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify(call(74, tool('echo'), { text })),
      });
      expect(r.status).toBe(200);
      await r.text();
      const rec = await recordOf(route, 74);
      expect(rec.arguments).toEqual({ text });
      const raw = readFileSync(h.auditFile, 'utf8');
      expect(raw).not.toMatch(/[\u0085\u2028\u2029\u000b\u001c]/);
      // Python's str.splitlines() breaks at all of these.
      const pyLines = raw.split(/\r\n|[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]/).filter(Boolean);
      expect(pyLines.length).toBe(h.audit().length);
      expect((await verifyFiles([h.auditFile])).ok).toBe(true);
    });
  });
}
