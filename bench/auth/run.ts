// Cost of `authenticate` per request: cache warm (hash + LRU hit + audience check) versus cold
// (full JWS verification, keys already fetched from the JWKS endpoint), per algorithm.
// Run: npx tsx bench/auth/run.ts [iterations]

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { createResourceServer } from '../../src/auth/index.ts';

const N = Number(process.argv[2]) || 5000;
const ISS = 'https://login.example.test';
const RESOURCE = 'https://gw.example.test/mcp';

async function keyFor(alg: string) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: alg, alg, use: 'sig' };
  const now = Math.floor(Date.now() / 1000);
  const token = await new SignJWT({ scope: 'tools:read jira:write', client_id: 'bench' })
    .setProtectedHeader({ alg, kid: alg, typ: 'at+jwt' })
    .setIssuer(ISS)
    .setSubject('bench-user')
    .setAudience(RESOURCE)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(privateKey);
  return { jwk, token };
}

interface Row {
  name: string;
  p50: number;
  p99: number;
  opsPerS: number;
}

async function measure(name: string, fn: () => Promise<unknown>): Promise<Row> {
  for (let i = 0; i < Math.min(500, N); i++) await fn(); // warm-up (JIT, JWKS fetch)
  const samples = new Float64Array(N);
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  const totalS = Number(process.hrtime.bigint() - start) / 1e9;
  samples.sort();
  const q = (p: number) => samples[Math.min(N - 1, Math.floor(p * N))];
  return { name, p50: q(0.5), p99: q(0.99), opsPerS: N / totalS };
}

async function main(): Promise<void> {
  const algs = ['ES256', 'RS256', 'PS256', 'EdDSA'];
  const keys = await Promise.all(algs.map(keyFor));
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: keys.map((k) => k.jwk) }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  const make = (cacheMaxEntries: number) =>
    createResourceServer(
      { issuer: ISS, jwks_uri: jwksUri, cache_max_entries: cacheMaxEntries },
      { publicUrl: 'https://gw.example.test', scopesSupported: () => [] },
    );
  const rows: Row[] = [];
  for (const [i, alg] of algs.entries()) {
    const req = { headers: { authorization: `Bearer ${keys[i].token}` }, url: '/mcp' };
    const check = (out: { ok: boolean }) => {
      if (!out.ok) throw new Error(`bench token rejected: ${JSON.stringify(out)}`);
    };
    const cold = make(0);
    rows.push(
      await measure(`${alg} cold (verify)`, async () =>
        check(await cold.authenticate(req, RESOURCE)),
      ),
    );
    const warm = make(10_000);
    rows.push(
      await measure(`${alg} warm (cache hit)`, async () =>
        check(await warm.authenticate(req, RESOURCE)),
      ),
    );
  }
  server.close();

  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  console.log(
    `machine: ${cpu} × ${os.cpus().length}, node ${process.version}, ${os.platform()} ${os.arch()}`,
  );
  console.log(
    `method: ${N} sequential authenticate() calls per row after ${Math.min(500, N)} warm-up calls; JWKS on loopback, fetched once`,
  );
  const pad = (s: string, n: number) => s.padEnd(n);
  const num = (v: number, d = 1) => v.toFixed(d).padStart(10);
  console.log(
    `${pad('case', 26)}${'p50 µs'.padStart(10)}${'p99 µs'.padStart(10)}${'ops/s'.padStart(10)}`,
  );
  for (const r of rows)
    console.log(`${pad(r.name, 26)}${num(r.p50)}${num(r.p99)}${num(r.opsPerS, 0)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
