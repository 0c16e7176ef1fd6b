// The gateway's audit wiring (issue #5 item 4, issue #4 item 7), in-process: every answered
// request yields exactly one record, redaction shows in the file (and, when configured, in
// what the client sees), a full remote spool with on_full=reject answers 503, and the chain
// written through the gateway verifies. The kill -9 test is audit-kill.e2e.test.ts.

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
    upstreams: [{ name: 'api', url: up.url, tools: { safe_write: { scope: 'x:admin' } } }],
    limits: { max_body_bytes: 4096 },
    audit: { mode: 'sync', redaction: { results_to_client: true } },
  });
});
afterAll(async () => {
  await h?.close();
  await up?.close();
});

/** Waits until the file holds `n` more records than `before` that pass `mine`, then a little
 * longer to see that no extra one follows. */
async function newRecords(
  before: number,
  n: number,
  mine: (r: Record<string, unknown>) => boolean,
): Promise<Array<Record<string, unknown>>> {
  const fresh = () => h.audit().slice(before).filter(mine);
  for (let i = 0; i < 100 && fresh().length < n; i++) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 100));
  return fresh();
}

const call = (id: number, name: string, args: unknown = {}) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name, arguments: args },
});

for (const route of ['/u/api/mcp', '/mcp']) {
  const tool = (t: string) => (route === '/mcp' ? `api.${t}` : t);

  describe(`audit through ${route}`, () => {
    it('redacts an email in the arguments in the record, and in the result the client sees', async () => {
      const c = await h.client(route, await h.token(BASE, { route, sub: `red-${route}` }));
      const r = (await c.callTool({
        name: tool('echo'),
        arguments: { text: 'write to bob.smith@example.com now' },
      })) as { content: Array<{ text: string }> };
      // results_to_client: the echoed address is redacted before it reaches the client.
      expect(r.content[0].text).toBe('write to [REDACTED:email] now');
      await c.close();
      const rec = h.audit().find((x) => x.subject === `red-${route}` && x.method === 'tools/call')!;
      expect(rec).toBeDefined();
      expect(rec.arguments).toEqual({ text: 'write to [REDACTED:email] now' });
      expect(rec.redactions).toMatchObject({ email: 1 });
      expect(JSON.stringify(h.audit())).not.toContain('bob.smith@example.com');
    });

    it('writes exactly one record per answered request, whatever the answer', async () => {
      const url = `${h.gw.url}${route}`;
      const sub = `one-${route}`;
      const token = await h.token(BASE, { route, sub });
      const s = await rawSession(url, token);
      const cases: Array<[string, () => Promise<{ status: number }>, number]> = [
        ['allowed', () => rpc(url, call(11, tool('echo'), { text: 'hi' }), s), 200],
        ['step-up 403', () => rpc(url, call(12, tool('safe_write')), s), 403],
        ['policy denial', () => rpc(url, call(13, tool('nope')), s), 200],
        ['no token 401', () => rpc(url, call(14, tool('echo'))), 401],
        ['bad JSON 400', () => rpc(url, '{"jsonrpc":', s), 400],
        [
          'too large 413',
          () => rpc(url, call(15, tool('echo'), { text: 'x'.repeat(5000) }), s),
          413,
        ],
        [
          'unknown session 404',
          () => rpc(url, call(16, tool('echo')), { ...s, 'mcp-session-id': 'nope' }),
          404,
        ],
      ];
      for (const [label, send, status] of cases) {
        const before = h.audit().length;
        const r = await send();
        expect(r.status, label).toBe(status);
        // Only this test's records: other tests' sessions may still be closing (DELETE).
        const recs = await newRecords(
          before,
          1,
          (x) => x.route === route && (x.subject === sub || x.subject === null),
        );
        expect(recs.length, `${label}: ${JSON.stringify(recs)}`).toBe(1);
        expect(recs[0].status, label).toBe(status);
        expect(recs[0].route, label).toBe(route);
      }
    });
  });
}

describe('audit chain and admission', () => {
  it('writes a chain that `verifyFiles` accepts', async () => {
    const res = await verifyFiles([h.auditFile]);
    expect(res.ok).toBe(true);
  });

  it('answers 503 with Retry-After when a remote spool is full and on_full is reject', async () => {
    const g = await startHarness({
      upstreams: [{ name: 'api', url: up.url }],
      limits: { shutdown_grace_ms: 200 }, // the collector never comes back: don't wait for it
      audit: {
        on_full: 'reject',
        // A collector that is down (nothing listens on the port), with a tiny spool.
        sinks: [{ type: 'http', name: 'down', url: 'http://127.0.0.1:9/collect' }],
        spool: { dir: `${h.auditFile}.spool`, max_bytes: 1024 },
      },
    });
    try {
      const url = `${g.gw.url}/u/api/mcp`;
      const s = await rawSession(url, await g.token(BASE, { route: '/u/api/mcp' }));
      let last: Awaited<ReturnType<typeof rpc>> | undefined;
      for (let i = 0; i < 20; i++) {
        last = await rpc(url, call(100 + i, 'echo', { text: 'fill' }), s);
        if (last.status === 503) break;
      }
      expect(last!.status).toBe(503);
      expect(last!.headers.get('retry-after')).toBe('1');
      expect(last!.json.error.code).toBe(-32013);
    } finally {
      await g.close();
    }
  });
});
