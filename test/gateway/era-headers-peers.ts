// Peers and helpers of the 2026-07-28 header-validation tests (era-headers*.e2e.test.ts): raw
// POSTs through node:http (as the conformance suite sends them: fetch would trim the whitespace
// cases itself), recording pass-through servers in front of the upstreams (what actually reaches
// them), and the test bed — the SDK v2 fixture (modern-only) and the SDK v1 fixture behind one
// gateway.
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect } from 'vitest';
import { startFixture26Server, type Fixture26Server } from '../conformance/fixture26-server.ts';
import { startFixtureServer, type FixtureServer } from '../conformance/fixture-server.ts';
import { startHarness, type Harness } from './harness.ts';

export const V = '2026-07-28';
export const SCOPES = ['mcp:tools:call'];
export const DENIED = 'test_error_handling'; // needs x:admin, which no token here holds
export const ENVELOPE = {
  'io.modelcontextprotocol/protocolVersion': V,
  'io.modelcontextprotocol/clientInfo': { name: 'era-headers-test', version: '1.0.0' },
  'io.modelcontextprotocol/clientCapabilities': { elicitation: {}, sampling: {} },
};

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  json: any;
  text: string;
}

/** A raw POST through node:http: header names and values reach the wire exactly as given. */
export function post(url: string, body: unknown, headers: Record<string, string>): Promise<Answer> {
  const u = new URL(url);
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: {
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
          'Content-Length': Buffer.byteLength(data),
          ...headers,
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            // SSE: the JSON-RPC message is a non-empty data line (a priming event has none).
            const data = [...text.matchAll(/^data: ?(.+)$/gm)].map((m) => m[1]);
            json = data.length > 0 ? JSON.parse(data[data.length - 1]) : undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json, text });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** What the upstream received: a pass-through in front of fixture26 that notes each POST. */
export interface Seen {
  method?: string;
  name?: string;
  headers: IncomingHttpHeaders;
}
export async function recorder(
  target: string,
): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const t = new URL(target);
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST') {
        try {
          const m = JSON.parse(body.toString('utf8'));
          seen.push({
            method: m.method,
            name: m.params?.name ?? m.params?.uri,
            headers: req.headers,
          });
        } catch {
          seen.push({ headers: req.headers });
        }
      }
      const up = request(
        { host: t.hostname, port: t.port, path: req.url, method: req.method, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      up.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}${t.pathname}`, seen, server };
}

export interface Bed {
  fx: Fixture26Server;
  legacy: FixtureServer;
  rec: Awaited<ReturnType<typeof recorder>>;
  oldRec: Awaited<ReturnType<typeof recorder>>;
  h: Harness;
  close(): Promise<void>;
}

/** Starts the bed before a file's tests (handing it to `ready`) and closes it after them. */
export function useBed(ready: (b: Bed) => void): void {
  let bed: Bed | undefined;
  beforeAll(async () => {
    bed = await startBed();
    ready(bed);
  }, 60_000);
  afterAll(async () => bed?.close());
}

let nextId = 100;
/** A 2026-07-28 request body: the suite's envelope in `_meta`. */
export const msg = (method: string, params: Record<string, unknown> = {}) => ({
  jsonrpc: '2.0',
  id: nextId++,
  method,
  params: { ...params, _meta: { ...ENVELOPE, ...(params._meta as object | undefined) } },
});

/** The audit records of one subject, once `n` of them are written. */
export async function recordsOf(
  h: Harness,
  sub: string,
  n: number,
): Promise<Array<Record<string, any>>> {
  const mine = () => h.audit().filter((r) => r.subject === sub);
  for (let i = 0; i < 100 && mine().length < n; i++) await new Promise((r) => setTimeout(r, 20));
  return mine();
}

/** The gateway with `fx` (fixture26, `DENIED` needing x:admin) and `old` (SDK v1), each
 * behind a recorder. */
export async function startBed(): Promise<Bed> {
  const fx = await startFixture26Server({ legacy: 'reject' });
  const legacy = await startFixtureServer();
  const rec = await recorder(fx.url);
  const oldRec = await recorder(legacy.url);
  const h = await startHarness({
    upstreams: [
      { name: 'fx', url: rec.url, tools: { [DENIED]: { scope: 'x:admin' } } },
      { name: 'old', url: oldRec.url },
    ],
  });
  return {
    fx,
    legacy,
    rec,
    oldRec,
    h,
    async close() {
      await h.close();
      await new Promise((r) => rec.server.close(r));
      await new Promise((r) => oldRec.server.close(r));
      await fx.close();
      await legacy.close();
    },
  };
}

export function expectMismatch(r: Answer, label: string) {
  expect(r.status, `${label}: ${r.text}`).toBe(400);
  expect(r.json?.error?.code, label).toBe(-32020);
}
export function expectSuccess(r: Answer, label: string) {
  expect(r.status, `${label}: ${r.text}`).toBe(200);
  expect(r.json?.error, label).toBeUndefined();
  expect(r.json?.result, label).toBeDefined();
}
