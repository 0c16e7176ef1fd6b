// Invariants 1–3 under fast-check: arbitrary JSON-RPC envelopes (ids of every kind, request
// and notification methods, batches), params and arguments (values JSON cannot carry, deep
// nesting, `__proto__`, duplicate members), headers (either era's, right or lying),
// Content-Types with any charset, and encodings (BOM, UTF-16, Latin-1, UTF-7, a broken byte),
// against both routes in both eras, with a read-only token. The properties: no answer is a 5xx;
// every tool call an upstream executed is one the audit recorded as allowed (counted per
// upstream and tool); and no destructive tool ever ran.

import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  READ,
  TARGETS,
  V26,
  headersFor,
  inEra,
  post,
  startPeers,
  type Era,
  type Peers,
} from './peers.ts';

let p: Peers;
const sessions = new Map<string, Record<string, string>>();
const tokens = new Map<string, string>();
beforeAll(async () => {
  p = await startPeers();
});
afterAll(async () => {
  await p?.close();
});

/** Raw JSON text put where a placeholder string stands. */
const RAW = [
  '1e999',
  '-1e999',
  '-0',
  '1e308',
  '"\\ud800"',
  '{"__proto__":{"admin":true}}',
  '['.repeat(70) + ']'.repeat(70),
  '['.repeat(3000) + ']'.repeat(3000),
  '{"a":'.repeat(40) + '1' + '}'.repeat(40),
];

const value = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.nat(RAW.length - 1).map((i) => `__RAW_${i}__`) },
);

/** Mostly what a client sends, so that calls get through; the rest is hostile. */
const mostly = <T>(usual: fc.Arbitrary<T>, ...odd: Array<fc.Arbitrary<T>>): fc.Arbitrary<T> =>
  fc.oneof(
    { weight: 3 * odd.length, arbitrary: usual },
    ...odd.map((arbitrary) => ({ weight: 1, arbitrary })),
  );

const ID = mostly<unknown>(
  fc.integer({ min: 1, max: 1e9 }),
  fc.string({ maxLength: 6 }),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant('__RAW_0__'),
  fc.constant({}),
);

const TOOLS = ['read_notes', 'create_ticket', 'delete_all', 'nope', ''];

const message = fc
  .record({
    id: ID,
    method: mostly(
      fc.constant('tools/call'),
      fc.constantFrom('tools/list', 'ping', 'notifications/initialized'),
      fc.constantFrom('tools/+AGM-all', 'custom/run'),
    ),
    name: mostly<unknown>(
      fc.constant('read_notes'),
      fc.constantFrom(...TOOLS),
      fc.constantFrom(['create_ticket'], undefined),
    ),
    prefixed: mostly(fc.constant(true), fc.constant(false)),
    args: mostly<unknown>(
      fc.dictionary(fc.constantFrom('q', 'title', 'x', 'deep'), fc.jsonValue({ maxDepth: 2 }), {
        maxKeys: 3,
      }),
      fc.dictionary(fc.constantFrom('q', 'x', 'deep'), value, { maxKeys: 3 }),
      value,
    ),
    extra: mostly(
      fc.constant(undefined),
      fc.dictionary(fc.constantFrom('x', '__RAW__'), value, { maxKeys: 1 }),
    ),
  })
  .map((r) => ({ ...r, idAbsent: r.id === undefined }));

type Generated = typeof message extends fc.Arbitrary<infer T> ? T : never;

const request = fc.record({
  target: fc.nat(TARGETS.length - 1),
  era: fc.constantFrom<Era>('2025', '2026'),
  msgs: fc.array(message, { minLength: 1, maxLength: 3 }),
  batch: fc.boolean(),
  contentType: mostly(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'application/json;charset="UTF-8"',
    ),
    fc.constantFrom(
      'application/json; charset=utf-7',
      'application/json; charset=utf-16le',
      'application/json; charset=iso-8859-1',
      'application/json; charset=utf-8; charset=utf-7',
      'text/plain',
    ),
  ),
  encoding: mostly(
    fc.constantFrom('plain', 'bom'),
    fc.constantFrom('utf16le', 'latin1', 'utf7', 'broken', 'dup'),
  ),
  coding: mostly(fc.constantFrom(undefined, 'identity'), fc.constant('gzip')),
  lie: mostly(fc.constant(undefined), fc.constantFrom('mcp-method', 'mcp-name')),
});

function build(m: Generated, prefix: string): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  if (m.method === 'tools/call' || m.method === 'tools/+AGM-all') {
    if (m.name !== undefined)
      params.name = typeof m.name === 'string' && m.prefixed ? `${prefix}${m.name}` : m.name;
    params.arguments = m.args;
  }
  return {
    jsonrpc: '2.0',
    ...(m.idAbsent ? {} : { id: m.id }),
    method: m.method,
    params,
    ...(m.extra ?? {}),
  };
}

function encode(text: string, encoding: string): Buffer {
  switch (encoding) {
    case 'bom':
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    case 'utf16le':
      return Buffer.from(text, 'utf16le');
    case 'latin1':
      return Buffer.from(text + 'é', 'latin1');
    case 'utf7':
      // UTF-7 (RFC 2152) with the quotation marks base64-encoded, as a UTF-7 encoder may.
      return Buffer.from(text.replace(/\+/g, '+-').replace(/"/g, '+ACI-'));
    case 'broken': {
      const b = Buffer.from(text);
      b[Math.floor(b.length / 2)] = 0xfe;
      return b;
    }
    case 'dup':
      return Buffer.from(text.replace(/"name":/g, '"name":"create_ticket","name":'));
    default:
      return Buffer.from(text);
  }
}

it('no 5xx, and every tool call that ran is one the audit allowed', async () => {
  const odd: string[] = [];
  let runs = 0;
  await fc.assert(
    fc.asyncProperty(request, async (r) => {
      runs++;
      const t = TARGETS[r.target];
      // The SDK upstream speaks 2025 only: the drop-in route refuses 2026 for it (no surface),
      // but the refusal is still fuzzed here.
      let token = tokens.get(t.route);
      if (!token) tokens.set(t.route, (token = await p.h.token(READ, { route: t.route })));
      const msgs = r.msgs.map((m) => inEra(r.era, build(m, t.prefix)));
      const doc = r.batch && msgs.length > 1 ? msgs : msgs[0];
      let text = JSON.stringify(doc);
      text = text.replace(/"__RAW_(\d)__"/g, (_m, i: string) => RAW[Number(i)]);
      text = text.replace(/"__RAW__":/g, '"__proto__":');
      const version = r.batch ? '2025-03-26' : '2025-06-18';
      const h = await headersFor(p, t, r.era, token, msgs[0], sessions, version);
      h['content-type'] = r.contentType;
      if (r.coding) h['content-encoding'] = r.coding;
      if (r.lie && r.era === '2026') h[r.lie] = 'tools/call';
      if (r.era === '2026') h['mcp-protocol-version'] = V26;
      const res = await post(`${p.h.gw.url}${t.route}`, encode(text, r.encoding), h);
      if (res.status >= 500)
        odd.push(
          `${res.status} ${t.route} ${r.era} ${text.slice(0, 160)} → ${res.text.slice(0, 200)}`,
        );
    }),
    { numRuns: 250 },
  );
  expect(odd).toEqual([]);
  expect(runs).toBe(250);

  // What ran, per upstream and tool, against what the audit allowed.
  const executed = new Map<string, number>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const c of p.lenient.calls()) bump(executed, `lenient ${c.name}`);
  for (const c of p.sdk.calls) bump(executed, `sdk ${c.name}`);
  const allowedOf = () => {
    const allowed = new Map<string, number>();
    for (const rec of p.h.audit())
      if (rec.method === 'tools/call' && rec.decision === 'allow' && typeof rec.tool === 'string')
        bump(allowed, `${String(rec.upstream)} ${rec.tool.replace(/^(lenient|sdk)\./, '')}`);
    return allowed;
  };
  let allowed = allowedOf();
  const short = () => [...executed].filter(([k, n]) => (allowed.get(k) ?? 0) < n);
  for (let i = 0; i < 100 && short().length > 0; i++) {
    await new Promise((ok) => setTimeout(ok, 20));
    allowed = allowedOf();
  }
  expect(short()).toEqual([]);
  expect([...executed.keys()].filter((k) => /create_ticket|delete_all/.test(k))).toEqual([]);
  // The run reached the upstreams at all (the property is not vacuous).
  expect(executed.size).toBeGreaterThan(0);
}, 120_000);
