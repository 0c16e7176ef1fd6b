// Policy bundles from a server, end to end (issue #8 item 2): a real OPA-style bundle server
// (node:http on 127.0.0.1:0, ETag/304) serves bundles built with our own writeBundle, and
// signed ones (signBundle, a jose ES256 key pair, `policy.public_key` from `${VAR}`); the
// gateway (`policy.path: http://…`) fronts a real SDK upstream, and SDK clients drive calls
// while the bundle swaps from "deny everything" to "allow". No call may fail with anything but
// the policy's own denial; audit records, /readyz and /metrics follow the revision; a tampered
// or unsigned bundle is rejected, logged and counted, and the old revision stays.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { exportSPKI, generateKeyPair } from 'jose';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createDemoIssuer, type DemoIssuer } from '../../src/auth/index.ts';
import { buildConfig } from '../../src/config/index.ts';
import { createGateway, type Gateway } from '../../src/gateway/gateway.ts';
import {
  compileDir,
  unpackTarball,
  writeBundle,
  type PolicyArtifact,
} from '../../src/policy/bundle.ts';
import { packTarball, signBundle } from '../../src/policy/signature.ts';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';
import { startBundleServer, type BundleServer } from '../policy/remote-helpers.ts';

// Denies every call with its own reason until a bundle's data opens it.
const POLICY = `package mcp.authz

default allow := false

allow if data.config.open == true

reasons := [] if allow

reasons := ["bundle denies everything"] if not allow

decision := {"allow": allow, "reasons": reasons}
`;
const DENIAL = /Denied by policy: bundle denies everything/;

let base: PolicyArtifact | undefined;
async function bundle(revision: string, open: boolean): Promise<Buffer> {
  if (!base) {
    const dir = await mkdtemp(join(tmpdir(), 'warden-rp-'));
    await writeFile(join(dir, 'authz.rego'), POLICY);
    base = await compileDir(dir);
    await rm(dir, { recursive: true, force: true });
  }
  return writeBundle({
    ...base,
    data: { config: { open } },
    revision,
    manifest: { ...base.manifest, revision },
  });
}

interface Rig {
  gw: Gateway;
  issuer: DemoIssuer;
  server: BundleServer;
  up: SdkUpstream;
  dir: string;
  logs: Array<{ level: number; msg: string }>;
}
const rigs: Rig[] = [];

async function startRig(
  first: Buffer,
  policy: Record<string, unknown>,
  env: NodeJS.ProcessEnv = {},
): Promise<Rig> {
  const server = await startBundleServer(first);
  const up = await startSdkUpstream({ json: true });
  const dir = await mkdtemp(join(tmpdir(), 'warden-rp-gw-'));
  const issuer = await createDemoIssuer();
  const logs: Rig['logs'] = [];
  // The gateway's own pino logger, captured: rejections must be logged.
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        logs.push(JSON.parse(line) as { level: number; msg: string });
      done();
    },
  });
  const config = buildConfig(
    {
      listen: { host: '127.0.0.1', port: 0 },
      auth: { demo: true },
      policy: { path: server.url, ...policy },
      audit: { mode: 'sync', sinks: [{ type: 'file', path: join(dir, 'audit.jsonl') }] },
      upstreams: [{ name: 'api', url: up.url }],
    },
    'test',
    env,
  );
  const gw = await createGateway(config, {
    demoIssuer: issuer,
    logger: pino({ level: 'info' }, sink),
  });
  await gw.listen();
  const rig = { gw, issuer, server, up, dir, logs };
  rigs.push(rig);
  return rig;
}

afterEach(async () => {
  for (const r of rigs.splice(0)) {
    await r.gw.close();
    await r.server.close();
    await r.up.close();
    await rm(r.dir, { recursive: true, force: true });
  }
});
afterAll(() => void (base = undefined));

async function client(rig: Rig, sub: string): Promise<Client> {
  const token = await rig.issuer.mint({
    sub,
    scopes: ['mcp:tools:call'],
    audience: `${rig.gw.url}/u/api/mcp`,
  });
  const c = new Client({ name: 'rp-client', version: '1.0.0' });
  await c.connect(
    new StreamableHTTPClientTransport(new URL(`${rig.gw.url}/u/api/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return c;
}

type Outcome = 'allowed' | 'denied';
async function callOnce(c: Client): Promise<Outcome> {
  try {
    const r = (await c.callTool({ name: 'echo', arguments: { text: 'hi' } })) as {
      isError?: boolean;
    };
    if (r.isError) throw new Error(`tool error: ${JSON.stringify(r)}`);
    return 'allowed';
  } catch (e) {
    // The only acceptable failure is the bundle's own denial.
    if (DENIAL.test((e as Error).message)) return 'denied';
    throw e;
  }
}

async function audit(rig: Rig): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(join(rig.dir, 'audit.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.tool === 'echo');
}

const readyz = async (rig: Rig) =>
  (await (await fetch(`${rig.gw.url}/readyz`)).json()) as {
    policy_revision: string;
    policy: {
      revision: string;
      activations: number;
      failures: number;
      lastError?: { code: string };
    };
  };

/** `name{labels} value` lines of /metrics, as a lookup by the full series text. */
async function metrics(rig: Rig): Promise<string[]> {
  return (await (await fetch(`${rig.gw.url}/metrics`)).text()).split('\n');
}

describe('policy bundles from a server, through the gateway', () => {
  it('swaps deny → allow under load without failing a call; audit, /readyz and /metrics follow', async () => {
    const rig = await startRig(await bundle('rev-deny', false), { poll_s: 3600 });
    expect(rig.gw.policy.revision).toBe('rev-deny');
    expect((await readyz(rig)).policy_revision).toBe('rev-deny');

    const clients = await Promise.all([1, 2, 3, 4].map((i) => client(rig, `load-${i}`)));
    // `started`/`at`: when the call was sent and answered.
    const outcomes: Array<{ outcome: Outcome; started: number; at: number }> = [];
    let running = true;
    const drivers = clients.map(async (c) => {
      while (running) {
        const started = Date.now();
        outcomes.push({ outcome: await callOnce(c), started, at: Date.now() });
      }
    });
    // Let some denied calls through, swap, then let some allowed ones through.
    await vi.waitFor(() => expect(outcomes.length).toBeGreaterThanOrEqual(20), { timeout: 20_000 });
    rig.server.body = await bundle('rev-allow', true);
    const swapStart = Date.now();
    expect(await rig.gw.remotePolicy!.refresh()).toBe('updated');
    const swapDone = Date.now();
    const afterSwap = () => outcomes.filter((o) => o.started > swapDone).length;
    await vi.waitFor(() => expect(afterSwap()).toBeGreaterThanOrEqual(20), { timeout: 20_000 });
    running = false;
    await Promise.all(drivers); // a call that failed otherwise would reject here
    await Promise.all(clients.map((c) => c.close()));

    // Every call was answered by one bundle or the other; before the swap all were denied,
    // after it all were allowed.
    for (const o of outcomes) {
      if (o.at < swapStart) expect(o.outcome).toBe('denied');
      if (o.started > swapDone) expect(o.outcome).toBe('allowed');
    }

    // Audit: one record per call, the revision changes with the decision.
    const records = await audit(rig);
    expect(records.length).toBe(outcomes.length);
    for (const r of records) {
      const start = Date.parse(r.time as string);
      const end = start + (r.duration_ms as number);
      expect(['rev-deny', 'rev-allow']).toContain(r.policy_revision);
      if (end < swapStart)
        expect(r).toMatchObject({ policy_revision: 'rev-deny', decision: 'deny' });
      if (start > swapDone)
        expect(r).toMatchObject({ policy_revision: 'rev-allow', decision: 'allow' });
    }
    expect(new Set(records.map((r) => r.policy_revision))).toEqual(
      new Set(['rev-deny', 'rev-allow']),
    );

    const ready = await readyz(rig);
    expect(ready.policy_revision).toBe('rev-allow');
    expect(ready.policy).toMatchObject({ revision: 'rev-allow', activations: 2, failures: 0 });

    const m = await metrics(rig);
    expect(m).toContain('warden_policy_revision_info{revision="rev-allow"} 1');
    expect(m.filter((l) => l.startsWith('warden_policy_revision_info{'))).toHaveLength(1);
    expect(m).toContain('warden_policy_bundle_activations_total 2');
    const ts = m.find((l) => l.startsWith('warden_policy_bundle_last_success_timestamp_seconds '));
    expect(Number(ts?.split(' ')[1])).toBeGreaterThanOrEqual(Math.floor(swapStart / 1000) - 1);

    // A reload with the same policy settings keeps the same remote (its poller and counters).
    const remote = rig.gw.remotePolicy;
    await rig.gw.reload(rig.gw.config);
    expect(rig.gw.remotePolicy).toBe(remote);
    expect((await readyz(rig)).policy.activations).toBe(2);

    // A new URL builds a new remote before the swap (the old one is closed).
    const other = await startBundleServer(await bundle('rev-other', true));
    try {
      await rig.gw.reload(
        buildConfig(
          {
            listen: { host: '127.0.0.1', port: 0 },
            auth: { demo: true },
            policy: { path: other.url, poll_s: 3600 },
            audit: { mode: 'sync', sinks: [{ type: 'file', path: join(rig.dir, 'audit.jsonl') }] },
            upstreams: [{ name: 'api', url: rig.up.url }],
          },
          'test',
        ),
      );
      expect(rig.gw.remotePolicy).not.toBe(remote);
      expect((await readyz(rig)).policy).toMatchObject({ url: other.url, revision: 'rev-other' });
    } finally {
      await other.close();
    }
  });

  it('verifies signed bundles (public_key from ${VAR}); a tampered one is rejected, logged, counted', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const pem = await exportSPKI(publicKey);
    const signed = async (rev: string, open: boolean) =>
      signBundle(await bundle(rev, open), privateKey, { alg: 'ES256', keyId: 'warden' });
    const rig = await startRig(
      await signed('rev-s1', false),
      { public_key: '${BUNDLE_KEY}', key_id: 'warden', poll_s: 1 },
      { BUNDLE_KEY: pem },
    );
    expect((await readyz(rig)).policy_revision).toBe('rev-s1');
    const c = await client(rig, 'signed');
    expect(await callOnce(c)).toBe('denied');

    // A new signed bundle arrives on the configured schedule (poll_s: 1).
    rig.server.body = await signed('rev-s2', true);
    await vi.waitFor(async () => expect((await readyz(rig)).policy_revision).toBe('rev-s2'), {
      timeout: 15_000,
      interval: 200,
    });
    expect(await callOnce(c)).toBe('allowed');

    // Tampered: the data changed after signing (deny everything again, as an attacker might).
    const files = await unpackTarball(await signed('rev-s3', true), 'tampered');
    files.set('data.json', Buffer.from(JSON.stringify({ config: { open: false } })));
    rig.server.body = packTarball([...files].map(([n, b]) => [`/${n}`, b]));
    await expect(rig.gw.remotePolicy!.refresh()).rejects.toThrow(/hash of data.json/);
    // Unsigned: rejected too while a key is configured.
    rig.server.body = await bundle('rev-unsigned', false);
    await expect(rig.gw.remotePolicy!.refresh()).rejects.toThrow();

    const ready = await readyz(rig);
    expect(ready.policy_revision).toBe('rev-s2');
    expect(ready.policy.failures).toBeGreaterThanOrEqual(2);
    expect(ready.policy.lastError?.code).toBeTruthy();
    expect(await callOnce(c)).toBe('allowed');
    const m = await metrics(rig);
    expect(m).toContain('warden_policy_revision_info{revision="rev-s2"} 1');
    const failures = m
      .filter((l) => l.startsWith('warden_policy_bundle_failures_total{'))
      .reduce((n, l) => n + Number(l.split(' ')[1]), 0);
    expect(failures).toBeGreaterThanOrEqual(2);
    expect(rig.logs.some((l) => l.level === 50 && /policy bundle rejected/.test(l.msg))).toBe(true);

    const records = await audit(rig);
    expect(records.map((r) => [r.policy_revision, r.decision])).toEqual([
      ['rev-s1', 'deny'],
      ['rev-s2', 'allow'],
      ['rev-s2', 'allow'],
    ]);
    await c.close();
  });
});
