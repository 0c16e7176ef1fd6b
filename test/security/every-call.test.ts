// Invariant 2, every call is a call: a message is classified by its `method`, whatever its id
// or framing. A tools/call with `"id": null` or with no id at all (a "notification" that would
// run a tool nobody decided on), a notification method with an id, and such messages inside a
// 2025-03-26 batch are refused with 400 / -32600 and audited; a batch's calls are each decided
// and recorded. Both routes, both eras, against the lenient upstream (which runs whatever has
// a method) and the SDK's express.json() one; the assertion is what the upstreams ran.

import { describe, expect, it } from 'vitest';
import {
  CELLS,
  auditWhere,
  call,
  inEra,
  ran,
  useReadOnlyPeers,
  type Era,
  type Target,
} from './peers.ts';

const peers = useReadOnlyPeers();
let nextId = 2000;

function send(t: Target, era: Era, body: unknown, version?: string) {
  const first = (Array.isArray(body) ? body[0] : body) as Record<string, unknown>;
  return peers.send(t, era, first, JSON.stringify(body), { version });
}

/** The refusals of a tools/call of `tool` on `route` recorded so far. */
const refusals = (route: string, tool: string) =>
  peers.p.h
    .audit()
    .filter(
      (r) =>
        r.route === route &&
        r.status === 400 &&
        r.method === 'tools/call' &&
        r.tool === tool &&
        r.outcome === 'error',
    ).length;

/** Waits (bounded) until more refusals than `before` are recorded. */
async function refusedSince(route: string, tool: string, before: number): Promise<number> {
  for (let i = 0; i < 100 && refusals(route, tool) <= before; i++)
    await new Promise((r) => setTimeout(r, 20));
  return refusals(route, tool) - before;
}

describe.each(CELLS)('%s', (_label, t, era) => {
  const tool = (n: string) => `${t.prefix}${n}`;

  it('refuses a tools/call with a null id (400 -32600), audited, and runs nothing', async () => {
    const before = ran(peers.p, t).length;
    const recorded = refusals(t.route, tool('create_ticket'));
    const r = await send(t, era, inEra(era, call(null, tool('create_ticket'))));
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(-32600);
    expect(r.json.error.message).toContain('null');
    expect(ran(peers.p, t).slice(before)).toEqual([]);
    expect(await refusedSince(t.route, tool('create_ticket'), recorded)).toBe(1);
  });

  it('refuses a tools/call sent as a notification (no id), audited, and runs nothing', async () => {
    const before = ran(peers.p, t).length;
    const recorded = refusals(t.route, tool('delete_all'));
    const r = await send(t, era, inEra(era, call(undefined, tool('delete_all'))));
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(-32600);
    expect(r.json.error.message).toContain('needs an id');
    expect(ran(peers.p, t).slice(before)).toEqual([]);
    expect(await refusedSince(t.route, tool('delete_all'), recorded)).toBe(1);
    // Nor may an allowed tool run undecided and unrecorded.
    const r2 = await send(t, era, inEra(era, call(undefined, tool('read_notes'))));
    expect(r2.status).toBe(400);
    expect(ran(peers.p, t).slice(before)).toEqual([]);
  });

  it('refuses any request method without an id, and a notification with one', async () => {
    const before = peers.p.lenient.executed.length;
    const r = await send(t, era, inEra(era, { jsonrpc: '2.0', method: 'tools/list' }));
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(-32600);
    const n = await send(t, era, {
      jsonrpc: '2.0',
      id: nextId++,
      method: 'notifications/initialized',
    });
    expect(n.status).toBe(400);
    expect(peers.p.lenient.executed.slice(before).map((e) => e.method)).toEqual([]);
  });

  it('decides and records a call with a string or number id as usual', async () => {
    const id = `s-${nextId++}`;
    const before = ran(peers.p, t).length;
    const r = await send(t, era, inEra(era, call(id, tool('read_notes'))));
    expect(r.status).toBe(200);
    expect(ran(peers.p, t).slice(before)).toEqual(['read_notes']);
    expect(await auditWhere(peers.p.h, (x) => x.request_id === id)).toMatchObject([
      { tool: tool('read_notes'), decision: 'allow', status: 200 },
    ]);
  });

  if (era === '2025') {
    const BATCH = '2025-03-26';

    it('refuses a batch hiding a tools/call without an id or with a null one', async () => {
      const before = ran(peers.p, t).length;
      const recorded = refusals(t.route, tool('create_ticket'));
      for (const hidden of [
        call(undefined, tool('create_ticket')),
        call(null, tool('create_ticket')),
      ]) {
        const r = await send(t, era, [call(nextId++, tool('read_notes')), hidden], BATCH);
        expect(r.status).toBe(400);
        expect(r.json.error.code).toBe(-32600);
      }
      expect(ran(peers.p, t).slice(before)).toEqual([]);
      await refusedSince(t.route, tool('create_ticket'), recorded + 1);
      expect(refusals(t.route, tool('create_ticket')) - recorded).toBe(2);
    });

    it('decides every call of a batch: one denied refuses the batch, each is recorded', async () => {
      const before = ran(peers.p, t).length;
      const a = nextId++;
      const b = nextId++;
      const r = await send(
        t,
        era,
        [call(a, tool('read_notes')), call(b, tool('create_ticket'))],
        BATCH,
      );
      expect(r.status).toBe(403);
      expect(ran(peers.p, t).slice(before)).toEqual([]);
      expect(await auditWhere(peers.p.h, (x) => x.request_id === b)).toMatchObject([
        { tool: tool('create_ticket'), decision: 'deny', outcome: 'denied' },
      ]);
      const c = nextId++;
      const d = nextId++;
      const ok = await send(
        t,
        era,
        [call(c, tool('read_notes')), call(d, tool('read_notes'))],
        BATCH,
      );
      expect(ok.status).toBe(200);
      expect(ran(peers.p, t).slice(before)).toEqual(['read_notes', 'read_notes']);
      for (const id of [c, d])
        expect(await auditWhere(peers.p.h, (x) => x.request_id === id)).toMatchObject([
          { tool: tool('read_notes'), decision: 'allow' },
        ]);
    });

    it('passes a client response (no method) on as before', async () => {
      const r = await send(t, era, { jsonrpc: '2.0', id: 'from-client', result: {} });
      expect(r.status).toBeLessThan(500);
      expect(r.status).not.toBe(400);
    });
  } else {
    it('refuses a batch in 2026-07-28 (batches ended with 2025-03-26)', async () => {
      const before = ran(peers.p, t).length;
      const r = await send(t, era, [inEra(era, call(nextId++, tool('read_notes')))]);
      expect(r.status).toBe(400);
      expect(ran(peers.p, t).slice(before)).toEqual([]);
    });
  }
});
