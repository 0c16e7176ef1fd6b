// readBody on a real node:http server: a body that arrived with its headers (taken from the
// stream's buffer), one that arrives in pieces, chunked bodies over the limit either way, and a
// keep-alive connection that still serves the next request after each of them.

import { createServer, request, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBody } from '../../src/transport/body.ts';

const LIMIT = 1024;
let server: Server;
let url: string;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
  server = createServer((req, res) => {
    // Let the whole request arrive first when asked to (the fast path), else read at once.
    const wait = req.headers['x-wait'] === '1' ? 30 : 0;
    setTimeout(() => {
      readBody(req, LIMIT).then(
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
