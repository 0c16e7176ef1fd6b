// /readyz tells the truth: it fails while the issuer's token keys (auth.jwks_uri) cannot be
// fetched — and the gateway logs the URL and why — and for `required: true` upstreams only;
// other upstreams' health is in the body. Real servers on port 0: a JWKS endpoint that can be
// switched between failing and serving a real key set.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair } from 'jose';
import { pino } from 'pino';
import { buildConfig } from '../../src/config/index.ts';
import { createGateway, type Gateway } from '../../src/gateway/gateway.ts';
import { startHarness, type Harness } from './harness.ts';

let jwksServer: Server;
let jwksUrl: string;
let serving = false;
let fetches = 0;

beforeAll(async () => {
  const { publicKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  jwksServer = createServer((_req, res) => {
    fetches++;
    if (!serving) return void res.writeHead(503).end('down');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((ok) => jwksServer.listen(0, '127.0.0.1', ok));
  jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;
});
afterAll(() => new Promise<void>((ok) => jwksServer.close(() => ok())));

async function readyz(base: string) {
  const r = await fetch(`${base}/readyz`);
  return { status: r.status, body: (await r.json()) as Record<string, any> };
}

async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const v = await f();
    if (ok(v) || i > 200) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('/readyz and the token keys', () => {
  let gw: Gateway | undefined;
  afterAll(async () => gw?.close());

  it('fails while the JWKS cannot be fetched, logs the URL and error, recovers when it can', async () => {
    const lines: string[] = [];
    gw = await createGateway(
      buildConfig(
        {
          auth: { issuer: 'https://login.example.com', jwks_uri: jwksUrl },
          audit: { sinks: [] },
          upstreams: [],
        },
        'test',
        {},
      ),
      {
        policy: { revision: 'r', decide: () => ({ allow: false, reasons: ['x'] }) },
        logger: pino({ level: 'info' }, { write: (s: string) => void lines.push(s) }),
      },
    );
    await gw.listen(0, '127.0.0.1');
    let r = await readyz(gw.url);
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({
      ready: false,
      auth: { jwks: { url: jwksUrl, ok: false, error: 'HTTP 503' } },
    });
    const logged = lines.map((l) => JSON.parse(l)).find((l) => l.jwks_uri === jwksUrl);
    expect(logged).toMatchObject({ level: 50, err: 'HTTP 503' });
    expect(logged.msg).toMatch(/token keys/);

    serving = true;
    r = await until(
      () => readyz(gw!.url),
      (x) => x.status === 200,
    );
    expect(r.status).toBe(200);
    expect(r.body.auth.jwks).toMatchObject({ ok: true, keys: 1 });
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/^warden_jwks_fetch_failures_total [1-9]/m);
    expect(metrics).toContain(`warden_jwks_up{jwks_uri="${jwksUrl}"} 1`);
    expect(fetches).toBeGreaterThanOrEqual(2);
  }, 30_000);
});

describe('/readyz and upstreams', () => {
  let h: Harness | undefined;
  afterAll(async () => h?.close());
  // A port nothing listens on: bound then closed.
  const deadUrl = async () => {
    const s = createServer();
    await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((ok) => s.close(() => ok()));
    return `http://127.0.0.1:${port}/mcp`;
  };

  it('stays ready with a dead optional upstream, shown in the body; fails for a required one', async () => {
    const url = await deadUrl();
    h = await startHarness({ upstreams: [{ name: 'thirdparty', url }] });
    let r = await readyz(h.gw.url);
    expect(r.status).toBe(200);
    expect(r.body.upstreams).toEqual([
      expect.objectContaining({ name: 'thirdparty', ready: false, required: false }),
    ]);
    expect(r.body.upstreams[0].error).toBeTruthy();
    await h.gw.reload(
      buildConfig(
        {
          listen: { host: '127.0.0.1', port: 0 },
          auth: { demo: true },
          audit: { sinks: [{ type: 'file', path: h.auditFile }] },
          upstreams: [{ name: 'thirdparty', url, required: true }],
        },
        'test',
        {},
      ),
      { policy: h.gw.policy },
    );
    r = await readyz(h.gw.url);
    expect(r.status).toBe(503);
    expect(r.body.upstreams[0]).toMatchObject({ ready: false, required: true });
  }, 30_000);
});
