// Invariant 1, one reading: the message the gateway decides on is the message the upstream
// executes. The upstream gets the gateway's re-serialization of the parsed message (UTF-8,
// no BOM, each member once, `application/json` with its own length), never the client's
// bytes; a body in another charset (415) or not in UTF-8 (400 -32700) is refused, audited,
// before anything is forwarded. Each attack runs on the drop-in route and on /mcp, in a 2025
// session and statelessly in 2026-07-28, against the lenient upstream and the SDK's
// express.json() one; what the upstreams executed is the assertion.

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
let nextId = 1000;

/** Sends `bytes` as the body of `msg` (the message as the gateway will read it). */
const attack = (
  t: Target,
  era: Era,
  msg: Record<string, unknown>,
  bytes: string | Buffer,
  headers: Record<string, string> = {},
) => peers.send(t, era, msg, bytes, { headers });

const refusedRecord = (route: string, status: number) =>
  auditWhere(peers.p.h, (r) => r.route === route && r.status === status && r.outcome === 'error');

describe.each(CELLS)('%s', (_label, t, era) => {
  const tool = (n: string) => `${t.prefix}${n}`;

  it('refuses a charset that would make the upstream read another method (415, audited)', async () => {
    const id = nextId++;
    // As UTF-8 the method is "tools/+AGM-all"; as UTF-7 (body-parser honours it) "tools/call".
    const msg = { ...inEra(era, call(id, tool('create_ticket'))), method: 'tools/+AGM-all' };
    const before = ran(peers.p, t).length;
    const r = await attack(t, era, msg, JSON.stringify(msg), {
      'content-type': 'application/json; charset=utf-7',
    });
    expect(r.status).toBe(415);
    expect(r.json.error.message).toContain('utf-7');
    expect(ran(peers.p, t).slice(before)).toEqual([]);
    expect((await refusedRecord(t.route, 415)).length).toBeGreaterThan(0);
    // Every charset parameter counts, not only the first.
    const r2 = await attack(t, era, msg, JSON.stringify(msg), {
      'content-type': 'application/json; charset=utf-8; charset=utf-7',
    });
    expect(r2.status).toBe(415);
    // A content coding is refused too (the forwarded body is never the client's).
    const r3 = await attack(t, era, msg, JSON.stringify(msg), { 'content-encoding': 'gzip' });
    expect(r3.status).toBe(415);
    expect(ran(peers.p, t).slice(before)).toEqual([]);
  });

  it('forwards what it read: the same bytes sent as plain JSON stay an unknown method upstream', async () => {
    const id = nextId++;
    const msg = { ...inEra(era, call(id, tool('create_ticket'))), method: 'tools/+AGM-all' };
    const before = ran(peers.p, t).length;
    const r = await attack(t, era, msg, JSON.stringify(msg), {
      'content-type': 'application/json; charset="UTF-8"',
    });
    expect(r.status).toBeLessThan(500);
    expect(ran(peers.p, t).slice(before)).toEqual([]);
  });

  it('strips a BOM and forwards the message without it', async () => {
    const id = nextId++;
    const msg = inEra(era, call(id, tool('read_notes'), { q: 'bom' }));
    const before = ran(peers.p, t).length;
    const bytes = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(JSON.stringify(msg)),
    ]);
    const r = await attack(t, era, msg, bytes);
    expect(r.status).toBe(200);
    expect(r.json.result.content[0].text).toBe('executed read_notes');
    expect(ran(peers.p, t).slice(before)).toEqual(['read_notes']);
    if (t.route === '/u/lenient/mcp') {
      const raw = peers.p.lenient.calls().at(-1)!.raw;
      expect(raw[0]).toBe(0x7b); // "{"
      expect(raw.toString('utf8')).toBe(JSON.stringify(msg));
    }
    const recs = await auditWhere(peers.p.h, (x) => x.request_id === id);
    expect(recs).toMatchObject([{ tool: tool('read_notes'), decision: 'allow', status: 200 }]);
  });

  it('refuses a body that is not UTF-8 with -32700 naming the byte', async () => {
    const id = nextId++;
    const msg = inEra(era, call(id, tool('read_notes'), { q: 'X' }));
    const text = Buffer.from(JSON.stringify(msg));
    const at = text.indexOf('"X"') + 1;
    text[at] = 0xff; // a byte that never occurs in UTF-8
    const before = ran(peers.p, t).length;
    const r = await attack(t, era, msg, text);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(-32700);
    expect(r.json.error.message).toContain(`byte ${at}`);
    expect(ran(peers.p, t).slice(before)).toEqual([]);
    expect((await refusedRecord(t.route, 400)).length).toBeGreaterThan(0);
  });

  it('decides a duplicated member by its last value, and forwards only that one', async () => {
    // Decided as create_ticket: denied for a read-only token, nothing runs.
    const id = nextId++;
    const denied = inEra(era, call(id, tool('create_ticket')));
    const before = ran(peers.p, t).length;
    const dupDenied = JSON.stringify(denied).replace(
      `"name":"${tool('create_ticket')}"`,
      `"name":"${tool('read_notes')}","name":"${tool('create_ticket')}"`,
    );
    const r = await attack(t, era, denied, dupDenied);
    expect(r.status).toBe(403);
    expect(ran(peers.p, t).slice(before)).toEqual([]);
    // Decided as read_notes: read_notes is what runs, and the upstream sees one name.
    const id2 = nextId++;
    const allowed = inEra(era, call(id2, tool('read_notes')));
    const dupAllowed = JSON.stringify(allowed).replace(
      `"name":"${tool('read_notes')}"`,
      `"name":"${tool('create_ticket')}","name":"${tool('read_notes')}"`,
    );
    const r2 = await attack(t, era, allowed, dupAllowed);
    expect(r2.status).toBe(200);
    expect(ran(peers.p, t).slice(before)).toEqual(['read_notes']);
    if (t.route === '/u/lenient/mcp') {
      const raw = peers.p.lenient.calls().at(-1)!.raw.toString('utf8');
      expect(raw.match(/"name"/g)).toHaveLength(1);
    }
    const recs = await auditWhere(peers.p.h, (x) => x.request_id === id2);
    expect(recs).toMatchObject([{ tool: tool('read_notes'), decision: 'allow' }]);
  });
});

describe.each(['2025', '2026'] as const)('the drop-in route in %s', (era) => {
  const t = CELLS.find(([, c, e]) => c.route === '/u/lenient/mcp' && e === era)![1];

  it('sends the re-serialization, as application/json with its own length', async () => {
    const id = nextId++;
    const msg = inEra(era, call(id, 'read_notes', { q: '\u{1F600} é' }));
    // Insignificant whitespace and escapes the gateway reads away.
    const text = JSON.stringify(msg, null, 2)
      .replace('"tools/call"', '"tools\\u002fcall"')
      .replace('"read_notes"', '"read\\u005fnotes"');
    const r = await attack(t, era, msg, text, {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(r.status).toBe(200);
    const got = peers.p.lenient.calls().at(-1)!;
    expect(got.name).toBe('read_notes');
    expect(got.raw.toString('utf8')).toBe(JSON.stringify(msg));
    expect(got.headers['content-type']).toBe('application/json');
    expect(Number(got.headers['content-length'])).toBe(got.raw.length);
    expect(got.headers['transfer-encoding']).toBeUndefined();
  });
});
