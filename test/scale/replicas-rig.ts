// The replicas rig (issue #8 item 5): 3 `warden serve` processes with one config and one session
// key, behind a real nginx in round-robin on loopback, in front of a real SDK upstream. Tokens
// come from a jose key pair whose JWKS this process serves, so every replica verifies them.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';
import { startEventsUpstream, type EventsUpstream } from './replicas-events-upstream.ts';

const BIN = new URL('../../bin/warden.js', import.meta.url).pathname;
const POLICIES = new URL('../../policies/', import.meta.url).pathname;
export const NGINX = '/usr/sbin/nginx';

export interface Replica {
  child: ChildProcess;
  url: string;
  auditFile: string;
  log: () => string;
}

export interface Rig {
  /** nginx's base URL: what clients use. */
  base: string;
  replicas: Replica[];
  upstream: SdkUpstream;
  /** A second upstream with an event store (GET stream resumption). */
  events: EventsUpstream;
  token(sub?: string): Promise<string>;
  /** Audit records of every replica, each tagged with its replica index. */
  audit(): Array<Record<string, any> & { replica: number }>;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

async function jwksServer() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'rig', alg: 'ES256', use: 'sig' };
  const server: Server = createHttpServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const issuer = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { server, issuer, privateKey };
}

async function startReplica(dir: string, config: string, i: number, key: string): Promise<Replica> {
  const auditFile = join(dir, `audit-${i}.jsonl`);
  // A port known before the start: the replica advertises its own URL to the others.
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve', '--config', config, '--port', `${port}`], {
    cwd: dir,
    env: {
      ...process.env,
      WARDEN_SESSION_KEY: key,
      WARDEN_AUDIT_FILE: auditFile,
      WARDEN_ADVERTISE_URL: `http://127.0.0.1:${port}`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((ok, fail) => {
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) ok({ child, url: m[1], auditFile, log: () => out });
    });
    child.on('exit', (code) => fail(new Error(`replica ${i} exited ${code}: ${out}`)));
  });
}

async function startNginx(dir: string, port: number, replicas: Replica[]): Promise<ChildProcess> {
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `daemon off;
# One process: nothing can outlive it (a SIGKILLed master would orphan its workers).
master_process off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'nginx-error.log')} warn;
events { worker_connections 256; }
http {
  access_log ${join(dir, 'nginx-access.log')};
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream warden {
${replicas.map((r) => `    server ${new URL(r.url).host} max_fails=1 fail_timeout=30s;`).join('\n')}
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://warden;
      proxy_http_version 1.1;
      # No keep-alive to the replicas: every request picks the next one (round-robin).
      proxy_set_header Connection "close";
      proxy_set_header Host $http_host;
      # SSE answers stream through as they are written.
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_read_timeout 60s;
    }
  }
}
`,
  );
  const child = spawn(NGINX, ['-c', conf, '-p', dir, '-e', join(dir, 'nginx-error.log')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  // Ready when it accepts connections.
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${err}`);
    const up = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      () => true,
      () => false,
    );
    if (up) return child;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not start: ${err}`);
}

export async function startRig(): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'warden-replicas-'));
  const upstream = await startSdkUpstream();
  const events = await startEventsUpstream();
  const jwks = await jwksServer();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const config = join(dir, 'warden.yaml');
  writeFileSync(
    config,
    [
      'listen: { host: 127.0.0.1, port: 0 }',
      `public_url: ${base}`,
      `auth: { issuer: ${jwks.issuer}, jwks_uri: ${jwks.issuer}/jwks }`,
      `policy: { path: ${JSON.stringify(POLICIES)} }`,
      'sessions: { keys: ["${WARDEN_SESSION_KEY}"], advertise_url: "${WARDEN_ADVERTISE_URL}" }',
      'log: { level: warn }',
      'audit:',
      '  mode: sync',
      '  sinks: [{ type: file, path: "${WARDEN_AUDIT_FILE}" }]',
      'upstreams:',
      `  - { name: api, url: ${JSON.stringify(upstream.url)} }`,
      `  - { name: events, url: ${JSON.stringify(events.url)} }`,
      '',
    ].join('\n'),
  );
  const key = randomBytes(32).toString('base64');
  const replicas: Replica[] = [];
  const children: ChildProcess[] = [];
  const live = (c: ChildProcess) => c.exitCode === null && c.signalCode === null;
  // Even if the test runner exits without afterAll, no child outlives it.
  const killAll = () => children.filter(live).forEach((c) => c.kill('SIGKILL'));
  process.once('exit', killAll);
  const close = async () => {
    const exits = children
      .filter(live)
      .map((c) => new Promise<void>((ok) => c.once('exit', () => ok())));
    killAll();
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 5000))]);
    process.off('exit', killAll);
    await upstream.close().catch(() => undefined);
    await events.close().catch(() => undefined);
    await new Promise<void>((ok) => jwks.server.close(() => ok()));
  };
  try {
    for (let i = 0; i < 3; i++) {
      const r = await startReplica(dir, config, i, key);
      children.push(r.child);
      replicas.push(r);
    }
    children.push(await startNginx(dir, port, replicas));
  } catch (e) {
    await close();
    throw e;
  }
  return {
    base,
    replicas,
    upstream,
    events,
    token: (sub = 'alice') =>
      new SignJWT({ scope: 'mcp:tools:call', client_id: 'rig' })
        .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: 'rig' })
        .setIssuer(jwks.issuer)
        .setSubject(sub)
        .setAudience([`${base}/mcp`, `${base}/u/api/mcp`])
        .setIssuedAt()
        .setExpirationTime('1h')
        .setJti(randomUUID())
        .sign(jwks.privateKey),
    audit: () =>
      replicas.flatMap((r, replica) => {
        let text = '';
        try {
          text = readFileSync(r.auditFile, 'utf8');
        } catch {
          return [];
        }
        return text
          .split('\n')
          .filter(Boolean)
          .map((l) => ({ ...(JSON.parse(l) as Record<string, unknown>), replica }));
      }),
    close,
  };
}
