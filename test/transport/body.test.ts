// readBody on a real node:http server: a body that arrived with its headers (taken from the
// stream's buffer), one that arrives in pieces, chunked bodies over the limit either way, and a
// keep-alive connection that still serves the next request after each of them; a body that
// never finishes (408). Then parsing: UTF-8 only, the BOM, duplicate members, classification
// by method, and values the record cannot hold.

import { createServer, request, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  invalidUtf8Offset,
  parseMessage,
  parseMessages,
  readBody,
  serialize,
} from '../../src/transport/body.ts';
import { MAX_DEPTH } from '../../src/transport/message.ts';
import { canonicalize } from '../../src/audit/canonical.ts';

const LIMIT = 1024;
let server: Server;
let url: string;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
  server = createServer((req, res) => {
    // Let the whole request arrive first when asked to (the fast path), else read at once.
    const wait = req.headers['x-wait'] === '1' ? 30 : 0;
    setTimeout(() => {
      const timeout = Number(req.headers['x-timeout'] ?? 10_000);
      readBody(req, LIMIT, timeout).then(
        (b) => res.end(JSON.stringify({ ok: true, bytes: b.length, text: b.toString('utf8') })),
        (e: Error & { status?: number }) => {
          res.statusCode = e.status ?? 500;
          res.end(JSON.stringify({ ok: false, error: e.message }));
        },
      );
    }, wait);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  agent.destroy();
  await new Promise<void>((ok) => server.close(() => ok()));
});

/** POSTs `parts` (written with a pause between them) and resolves with status and JSON. */
function send(
  parts: string[],
  headers: Record<string, string> = {},
): Promise<{ status: number; json: { ok: boolean; bytes?: number; text?: string } }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    let i = 0;
    const next = () => {
      if (i === parts.length) return req.end();
      req.write(parts[i++]);
      setTimeout(next, 10);
    };
    next();
  });
}

describe('readBody', () => {
  it('returns a body that arrived whole before it was asked for', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', note: 'é✓' });
    const r = await send([body], {
      'x-wait': '1',
      'content-length': String(Buffer.byteLength(body)),
    });
    expect(r).toEqual({
      status: 200,
      json: { ok: true, bytes: Buffer.byteLength(body), text: body },
    });
  });

  it('returns a body that arrives in pieces', async () => {
    const parts = ['{"jsonrpc":"2.0",', '"id":2,', '"method":"ping"}'];
    const r = await send(parts);
    expect(r.json).toMatchObject({ ok: true, text: parts.join('') });
  });

  it('refuses a chunked body over the limit, whole or in pieces, and the connection goes on', async () => {
    const big = 'x'.repeat(LIMIT + 1);
    expect((await send([big], { 'x-wait': '1' })).status).toBe(413);
    expect((await send([big.slice(0, 600), big.slice(600)])).status).toBe(413);
    expect((await send(['{}'], { 'x-wait': '1' })).json).toMatchObject({ ok: true, text: '{}' });
  });

  it('refuses a declared length over the limit before reading', async () => {
    const big = 'y'.repeat(LIMIT + 10);
    const r = await send([big], { 'content-length': String(big.length) });
    expect(r.status).toBe(413);
  });
});

describe('readBody deadline', () => {
  it('refuses a body that does not arrive within the deadline with 408', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(url, {
        method: 'POST',
        headers: { 'content-length': '100', 'x-timeout': '200', connection: 'close' },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
        req.destroy();
      });
      req.on('error', reject);
      req.write('{"jsonrpc":'); // and never the rest
    });
    expect(status).toBe(408);
  });
});

const parse = (text: string | Buffer, batch = false) =>
  parseMessages(typeof text === 'string' ? Buffer.from(text) : text, batch);
const refusal = (text: string | Buffer, batch = false) => {
  try {
    parse(text, batch);
  } catch (e) {
    const w = e as {
      code: string;
      status: number;
      rpcCode: number;
      message: string;
      details?: { path?: string };
    };
    return {
      code: w.code,
      status: w.status,
      rpc: w.rpcCode,
      message: w.message,
      path: w.details?.path,
    };
  }
  throw new Error('not refused');
};

describe('parseMessages: one reading', () => {
  it('strips a leading BOM; the serialization has none', () => {
    const m = parse(
      Buffer.concat([
        Buffer.from([0xef, 0xbb, 0xbf]),
        Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping"}'),
      ]),
    );
    expect(serialize(m).toString()).toBe('{"jsonrpc":"2.0","id":1,"method":"ping"}');
  });

  it('refuses bytes that are not UTF-8, naming the first bad one', () => {
    const b = Buffer.from('{"jsonrpc":"2.0","id":1,"method":"ping","x":"ab"}');
    b[b.length - 3] = 0xc0; // an overlong lead byte
    expect(refusal(b)).toMatchObject({
      status: 400,
      rpc: -32700,
      message: expect.stringContaining(`byte ${b.length - 3}`),
    });
  });

  it('finds the same bad bytes as the WHATWG decoder (property)', () => {
    const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (b) => {
        let ok = true;
        try {
          strict.decode(b);
        } catch {
          ok = false;
        }
        expect(invalidUtf8Offset(b) === -1).toBe(ok);
      }),
      { numRuns: 2000 },
    );
  });

  it('resolves a duplicated member to its last value, serialized once', () => {
    const m = parse(
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","name":"b"}}',
    );
    expect(serialize(m).toString()).toBe(
      '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"b"}}',
    );
  });
});

describe('parseMessages: every call is a call', () => {
  it.each([
    [
      'a null id',
      '{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"x"}}',
      'null',
    ],
    ['no id', '{"jsonrpc":"2.0","method":"tools/call","params":{"name":"x"}}', 'needs an id'],
    ['no id, any request method', '{"jsonrpc":"2.0","method":"custom/run"}', 'needs an id'],
    [
      'a notification with an id',
      '{"jsonrpc":"2.0","id":3,"method":"notifications/cancelled"}',
      'must not have an id',
    ],
    ['params that are an array', '{"jsonrpc":"2.0","id":3,"method":"ping","params":[]}', 'params'],
  ])('refuses a request with %s (400 -32600)', (_what, text, words) => {
    expect(refusal(text)).toMatchObject({
      status: 400,
      rpc: -32600,
      message: expect.stringContaining(words),
    });
  });

  it('applies the same to every element of a batch', () => {
    const ok = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    expect(
      refusal(`[${ok},{"jsonrpc":"2.0","method":"tools/call","params":{"name":"x"}}]`, true),
    ).toMatchObject({ rpc: -32600 });
    expect(
      parse(`[${ok},{"jsonrpc":"2.0","method":"notifications/initialized"}]`, true),
    ).toHaveLength(2);
  });

  it('takes notifications without ids and client responses as they are', () => {
    expect(
      parseMessage(Buffer.from('{"jsonrpc":"2.0","method":"notifications/initialized"}')),
    ).toMatchObject({});
    expect(
      parseMessage(Buffer.from('{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"m"}}')),
    ).toMatchObject({});
    expect(parseMessage(Buffer.from('{"jsonrpc":"2.0","id":"s1","result":{}}'))).toMatchObject({});
  });

  it('refuses a tools/call whose name is not a string or whose arguments are not an object (-32602)', () => {
    expect(
      refusal('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":["create_ticket"]}}'),
    ).toMatchObject({ status: 400, rpc: -32602, path: '/params/name' });
    expect(
      refusal(
        '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x","arguments":[1]}}',
      ),
    ).toMatchObject({ rpc: -32602, path: '/params/arguments' });
  });
});

describe('parseMessages: what the record can hold', () => {
  const call = (args: string) =>
    `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":${args}}}`;

  it('refuses numbers out of range with their pointer', () => {
    expect(refusal(call('{"a/b":[0,1e999]}'))).toMatchObject({
      status: 400,
      rpc: -32602,
      path: '/params/arguments/a~1b/1',
    });
    expect(refusal('{"jsonrpc":"2.0","id":-1e999,"method":"ping"}')).toMatchObject({
      rpc: -32600,
      path: '/id',
    });
  });

  it(`takes ${MAX_DEPTH} levels of nesting and refuses one more, without recursion`, () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(() => parse(call(`{"d":${deep(MAX_DEPTH - 3)}}`))).not.toThrow();
    expect(refusal(call(`{"d":${deep(MAX_DEPTH - 2)}}`))).toMatchObject({ rpc: -32602 });
    expect(refusal(call(`{"d":${deep(100_000)}}`))).toMatchObject({
      rpc: -32602,
      message: expect.stringContaining(`deeper than ${MAX_DEPTH}`),
    });
  });

  it('refuses __proto__ members anywhere', () => {
    expect(refusal(call('{"x":[{"__proto__":1}]}'))).toMatchObject({
      rpc: -32602,
      path: '/params/arguments/x/0/__proto__',
    });
    expect(refusal('{"jsonrpc":"2.0","id":1,"method":"ping","__proto__":{}}')).toMatchObject({
      rpc: -32600,
      path: '/__proto__',
    });
  });
});

describe('parseMessages: admission covers the record', () => {
  const RAW = ['1e999', '-0', '"\\ud800"', '{"__proto__":1}', '[[[[[[[[[[]]]]]]]]]]'];
  const deep = (n: number) => '{"a":'.repeat(n) + '0' + '}'.repeat(n);

  it('whatever it accepts, the audit canonicalizes exactly (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.json({ maxDepth: 4 }), fc.constantFrom(...RAW), fc.nat(80).map(deep)),
          {
            maxLength: 4,
          },
        ),
        (parts) => {
          const text = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t","arguments":{${parts
            .map((v, i) => `"k${i}":${v}`)
            .join(',')}}}}`;
          let msg;
          try {
            msg = parse(text);
          } catch (e) {
            expect((e as { status?: number }).status).toBe(400);
            return;
          }
          // The record's canonical form holds the message as forwarded, member for member.
          const canon = canonicalize(msg);
          expect(JSON.parse(canon)).toEqual(JSON.parse(serialize(msg).toString()));
        },
      ),
      { numRuns: 500 },
    );
  });
});
