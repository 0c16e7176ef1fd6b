// Invariant 3, no effect without a record: what the audit record or the policy input cannot
// hold is refused before anything is forwarded — a number JSON cannot carry (`1e999` parses to
// Infinity), nesting past MAX_DEPTH, a `__proto__` member — with 400 and -32602 (in params) or
// -32600 (in the envelope), naming the JSON Pointer at fault, and the refusal is recorded.
// What is accepted runs with a record that holds exactly the arguments the upstream executed.
// Both routes, both eras, the lenient and the express.json() upstreams.

import { describe, expect, it } from 'vitest';
import { MAX_DEPTH } from '../../src/transport/message.ts';
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
let nextId = 3000;

const send = (t: Target, era: Era, msg: Record<string, unknown>, text: string) =>
  peers.send(t, era, msg, text);

/** `levels` arrays nested in one another, as JSON text. */
const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

describe.each(CELLS)('%s', (_label, t, era) => {
  const tool = (n: string) => `${t.prefix}${n}`;
  const recorded = (id: number) => auditWhere(peers.p.h, (x) => x.request_id === id);

  /** Sends `msg` with `"__HOLE__"` in it replaced by raw JSON text; expects a refusal. */
  async function refused(id: number, raw: string, code: number, path: string) {
    const msg = inEra(era, call(id, tool('read_notes'), { q: '__HOLE__' }));
    const before = ran(peers.p, t).length;
    const r = await send(t, era, msg, JSON.stringify(msg).replace('"__HOLE__"', raw));
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(code);
    expect(r.json.error.data).toMatchObject({ path });
    expect(r.json.error.message).toContain(path);
    expect(ran(peers.p, t).slice(before)).toEqual([]);
    expect(await recorded(id)).toMatchObject([
      { method: 'tools/call', tool: tool('read_notes'), status: 400, outcome: 'error' },
    ]);
    return r;
  }

  it('refuses a number JSON cannot carry (1e999) in the arguments, -32602, recorded', async () => {
    const r = await refused(nextId++, '1e999', -32602, '/params/arguments/q');
    expect(r.json.error.message).toContain('out of range');
    await refused(nextId++, '[1, {"x": -1e400}]', -32602, '/params/arguments/q/1/x');
  });

  it('refuses nesting past the limit (~10 KB of brackets) without a 5xx, recorded', async () => {
    const r = await refused(
      nextId++,
      nested(5000),
      -32602,
      '/params/arguments/q' + '/0'.repeat(MAX_DEPTH - 3),
    );
    expect(r.json.error.message).toContain(`deeper than ${MAX_DEPTH}`);
  });

  it('takes nesting up to the limit, and the record holds what ran', async () => {
    // The message, params and arguments are three levels: q may add MAX_DEPTH - 3.
    const id = nextId++;
    // (Not `q`: the tool's inputSchema wants a string there.)
    const msg = inEra(era, call(id, tool('read_notes'), { deep: '__HOLE__' }));
    const before = ran(peers.p, t).length;
    const deep = nested(MAX_DEPTH - 3);
    const r = await send(t, era, msg, JSON.stringify(msg).replace('"__HOLE__"', deep));
    expect(r.status).toBe(200);
    expect(ran(peers.p, t).slice(before)).toEqual(['read_notes']);
    const [rec] = await recorded(id);
    expect(rec).toMatchObject({ tool: tool('read_notes'), decision: 'allow', status: 200 });
    expect(rec.arguments).toEqual({ deep: JSON.parse(deep) });
    if (t.upstream === 'lenient')
      expect(peers.p.lenient.calls().at(-1)!.arguments).toEqual({ deep: JSON.parse(deep) });
    // One level more is refused.
    await refused(
      nextId++,
      nested(MAX_DEPTH - 2),
      -32602,
      '/params/arguments/q' + '/0'.repeat(MAX_DEPTH - 3),
    );
  });

  it('refuses a __proto__ member (the record would lose it), -32602', async () => {
    await refused(
      nextId++,
      '{"__proto__": {"admin": true}}',
      -32602,
      '/params/arguments/q/__proto__',
    );
  });

  it('refuses an envelope the record cannot hold with -32600', async () => {
    const id = nextId++;
    const msg = inEra(era, call(id, tool('read_notes')));
    const before = ran(peers.p, t).length;
    const text = JSON.stringify(msg).replace(/^\{/, `{"extra": ${nested(200)},`);
    const r = await send(t, era, msg, text);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(-32600);
    expect(r.json.error.data.path).toMatch(/^\/extra\//);
    const inf = await send(t, era, msg, JSON.stringify(msg).replace(`"id":${id}`, '"id":1e999'));
    expect(inf.status).toBe(400);
    expect(inf.json.error).toMatchObject({ code: -32600, data: { path: '/id' } });
    expect(ran(peers.p, t).slice(before)).toEqual([]);
  });

  it('runs what JSON can carry (-0, 1e308, a lone surrogate) with a record of it', async () => {
    const id = nextId++;
    const args = { q: 'x', z: -0, big: 1e308, s: '\ud800' };
    const msg = inEra(era, call(id, tool('read_notes'), args));
    const before = ran(peers.p, t).length;
    const r = await send(t, era, msg, JSON.stringify(msg));
    expect(r.status).toBe(200);
    expect(ran(peers.p, t).slice(before)).toEqual(['read_notes']);
    const [rec] = await recorded(id);
    expect(rec.arguments).toEqual({ q: 'x', z: 0, big: 1e308, s: '\ud800' });
    if (t.upstream === 'lenient')
      expect(peers.p.lenient.calls().at(-1)!.arguments).toEqual({
        q: 'x',
        z: 0,
        big: 1e308,
        s: '\ud800',
      });
  });
});
