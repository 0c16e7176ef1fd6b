// Policy bundles from a server (src/policy/remote.ts) against a real HTTP bundle server:
// ETag/304, atomic swaps under load, signature checks, bad bundles and a server that is down.
import { exportSPKI, generateKeyPair } from 'jose';
import { setFlagsFromString } from 'node:v8';
import vm from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { PolicyInput } from '../../src/policy/input.ts';
import {
  createRemotePolicy,
  isRemotePolicyPath,
  remotePolicyDecider,
  type RemotePolicy,
} from '../../src/policy/remote.ts';
import { packTarball, signBundle } from '../../src/policy/signature.ts';
import { unpackTarball } from '../../src/policy/bundle.ts';
import { bundleFor, captureLog, startBundleServer, type BundleServer } from './remote-helpers.ts';

setFlagsFromString('--expose-gc'); // for vm.runInNewContext('gc') below
const EP = 'mcp/authz/decision';
let server: BundleServer | undefined;
let remote: RemotePolicy | undefined;
afterEach(async () => {
  remote?.close();
  remote = undefined;
  await server?.close();
  server = undefined;
});

const tagOf = (r: RemotePolicy) => (r.current().evaluate({}, EP).result as { tag: string }).tag;

describe('remote policy bundles', () => {
  it('recognises bundle URLs', () => {
    expect(isRemotePolicyPath('https://bundles.example.com/mcp.tar.gz')).toBe(true);
    expect(isRemotePolicyPath('HTTP://x/b.tar.gz')).toBe(true);
    expect(isRemotePolicyPath('policies/')).toBe(false);
    expect(isRemotePolicyPath('bundle.tar.gz')).toBe(false);
  });

  it('loads the bundle, then polls with If-None-Match and keeps it on 304', async () => {
    server = await startBundleServer(await bundleFor('a'));
    remote = await createRemotePolicy({ url: server.url, intervalS: 3600, entrypoint: EP });
    expect(remote.revision).toBe('rev-a');
    expect(tagOf(remote)).toBe('a');
    expect(await remote.refresh()).toBe('unchanged');
    expect(await remote.refresh()).toBe('unchanged');
    expect(server.log.map((l) => l.status)).toEqual([200, 304, 304]);
    expect(server.log[0].ifNoneMatch).toBeUndefined();
    expect(server.log[1].ifNoneMatch).toBe(remote.status().etag);
    expect(remote.status()).toMatchObject({ revision: 'rev-a', activations: 1, failures: 0 });
  });

  it('swaps to a new bundle and reports it', async () => {
    server = await startBundleServer(await bundleFor('a'));
    const updates: { revision: string; previous?: string }[] = [];
    remote = await createRemotePolicy({
      url: server.url,
      intervalS: 3600,
      onUpdate: (_e, info) => void updates.push(info),
    });
    server.body = await bundleFor('b');
    expect(await remote.refresh()).toBe('updated');
    expect(remote.revision).toBe('rev-b');
    expect(tagOf(remote)).toBe('b');
    expect(updates).toEqual([{ revision: 'rev-a' }, { revision: 'rev-b', previous: 'rev-a' }]);
  });

  it('polls on its own schedule', async () => {
    server = await startBundleServer(await bundleFor('a'));
    remote = await createRemotePolicy({ url: server.url, intervalS: 0.02 });
    server.body = await bundleFor('b');
    await vi.waitFor(() => expect(remote?.revision).toBe('rev-b'), { timeout: 10_000 });
    await vi.waitFor(() => expect(server?.log.at(-1)?.status).toBe(304), { timeout: 10_000 });
  });

  it('never fails an evaluation while bundles swap under it', async () => {
    const bundles = await Promise.all(['a', 'b', 'c', 'd'].map((t) => bundleFor(t)));
    server = await startBundleServer(bundles[0]);
    remote = await createRemotePolicy({ url: server.url, intervalS: 3600 });
    const decider = remotePolicyDecider(remote, EP);
    let running = true;
    let evaluations = 0;
    const seen = new Set<string>();
    const failures: unknown[] = [];
    // Evaluators interleave with the swaps on the event loop (as request handlers do).
    const evaluator = async () => {
      while (running) {
        const d = decider.decide({} as PolicyInput) as unknown as {
          allow: boolean;
          revision: string;
        };
        if (!d.allow) failures.push(d);
        const tag = (remote as RemotePolicy).current().evaluate({}, EP).result as { tag: string };
        if (!tag?.tag) failures.push(tag);
        seen.add(d.revision);
        evaluations++;
        await new Promise((r) => setImmediate(r));
      }
    };
    const loops = [evaluator(), evaluator(), evaluator()];
    for (const b of [...bundles.slice(1), bundles[0], bundles[2]]) {
      server.body = b;
      expect(await remote.refresh()).toBe('updated');
    }
    running = false;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(evaluations).toBeGreaterThan(0);
    expect(seen.size).toBeGreaterThan(1);
    expect(remote.revision).toBe('rev-c');
  });

  it('rejects bad bundles, keeps the active one and logs why', async () => {
    server = await startBundleServer(await bundleFor('a'));
    const { lines, log } = captureLog();
    remote = await createRemotePolicy({ url: server.url, intervalS: 3600, entrypoint: EP, log });
    const rejects = async (body: Buffer, code: string) => {
      (server as BundleServer).body = body;
      await expect((remote as RemotePolicy).refresh()).rejects.toMatchObject({ code });
      expect((remote as RemotePolicy).revision).toBe('rev-a');
      expect(tagOf(remote as RemotePolicy)).toBe('a');
      expect(lines.at(-1)).toMatchObject({ level: 'error', obj: { err: { code } } });
    };
    await rejects(Buffer.from('not a tarball'), 'POLICY_BUNDLE_INVALID');
    const files = await unpackTarball(await bundleFor('b'), 'b');
    const noWasm = packTarball([
      ['/.manifest', files.get('.manifest') as Buffer],
      ['/data.json', files.get('data.json') as Buffer],
    ]);
    await rejects(noWasm, 'POLICY_BUNDLE_INVALID');
    const badWasm = packTarball(
      [...files].map(([n, b]) => [`/${n}`, n === 'policy.wasm' ? b.subarray(0, 40) : b]),
    );
    await rejects(badWasm, 'POLICY_BUNDLE_INVALID');
    const remote2 = await createRemotePolicy({
      url: server.url,
      intervalS: 3600,
      entrypoint: 'other/ep',
      startupTimeoutMs: 0,
    }).catch((e) => e);
    expect(remote2).toMatchObject({ code: 'POLICY_BUNDLE_INVALID' }); // server still serves badWasm
    expect(remote.status()).toMatchObject({ failures: 3, consecutiveFailures: 3, activations: 1 });
    server.body = await bundleFor('c');
    expect(await remote.refresh()).toBe('updated');
    expect(remote.status().consecutiveFailures).toBe(0);
  });

  it('rejects a bundle without the configured entrypoint', async () => {
    server = await startBundleServer(await bundleFor('a'));
    await expect(
      createRemotePolicy({ url: server.url, entrypoint: 'other/decision', startupTimeoutMs: 0 }),
    ).rejects.toMatchObject({ code: 'POLICY_ENTRYPOINT_UNKNOWN' });
  });

  it('enforces the download limit and the timeout', async () => {
    server = await startBundleServer(await bundleFor('a'));
    await expect(
      createRemotePolicy({ url: server.url, maxBytes: 100, startupTimeoutMs: 0 }),
    ).rejects.toMatchObject({
      code: 'POLICY_BUNDLE_INVALID',
      message: expect.stringMatching(/100 bytes/),
    });
    remote = await createRemotePolicy({ url: server.url, intervalS: 3600, timeoutMs: 300 });
    server.hang = true;
    // Collect garbage while the download hangs: on Node 20 a timeout signal that only a GC-able
    // composite (AbortSignal.any) carried to fetch was lost this way, and the poll hung forever.
    const gc = vm.runInNewContext('gc') as () => void;
    const collecting = setInterval(gc, 20);
    try {
      await expect(remote.refresh()).rejects.toMatchObject({
        code: 'POLICY_REMOTE_UNAVAILABLE',
        message: expect.stringMatching(/timed out/),
      });
    } finally {
      clearInterval(collecting);
    }
    expect(remote.revision).toBe('rev-a');
  });

  it('keeps the active bundle while the server is down or erroring, and recovers', async () => {
    server = await startBundleServer(await bundleFor('a'));
    const url = server.url;
    remote = await createRemotePolicy({ url, intervalS: 3600 });
    server.fail = 500;
    await expect(remote.refresh()).rejects.toMatchObject({
      code: 'POLICY_REMOTE_UNAVAILABLE',
      message: expect.stringMatching(/500/),
    });
    await server.close();
    server = undefined;
    await expect(remote.refresh()).rejects.toMatchObject({ code: 'POLICY_REMOTE_UNAVAILABLE' });
    expect(tagOf(remote)).toBe('a');
    expect(remote.status()).toMatchObject({
      revision: 'rev-a',
      consecutiveFailures: 2,
      lastError: { code: 'POLICY_REMOTE_UNAVAILABLE' },
    });
  });

  it('fails startup when no bundle can be had in time', async () => {
    server = await startBundleServer(null); // 404
    await expect(
      createRemotePolicy({ url: server.url, startupTimeoutMs: 1500 }),
    ).rejects.toMatchObject({ code: 'POLICY_REMOTE_UNAVAILABLE' });
    expect(server.log.length).toBeGreaterThan(1); // it retried with backoff before giving up
    await expect(createRemotePolicy({ url: 'file:///etc/passwd' })).rejects.toMatchObject({
      code: 'POLICY_SOURCE_UNREADABLE',
    });
  });

  it('verifies signatures: signed bundles load, tampered/unsigned/foreign ones are rejected', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const other = await generateKeyPair('ES256');
    const pem = await exportSPKI(publicKey);
    const signed = (tag: string, key = privateKey) =>
      bundleFor(tag).then((b) => signBundle(b, key, { alg: 'ES256', keyId: 'warden' }));
    server = await startBundleServer(await signed('a'));
    const { lines, log } = captureLog();
    remote = await createRemotePolicy({
      url: server.url,
      intervalS: 3600,
      publicKey: { publicKey: pem, keyId: 'warden' },
      log,
    });
    expect(remote.revision).toBe('rev-a');

    // Tampered: data.json changed after signing, the signature file left as it was.
    const files = await unpackTarball(await signed('b'), 'b');
    files.set('data.json', Buffer.from(JSON.stringify({ config: { open: true, tag: 'evil' } })));
    server.body = packTarball([...files].map(([n, b]) => [`/${n}`, b]));
    await expect(remote.refresh()).rejects.toMatchObject({
      message: expect.stringMatching(/hash of data.json/),
    });
    server.body = await bundleFor('c'); // unsigned
    await expect(remote.refresh()).rejects.toMatchObject({
      message: expect.stringMatching(/no .signatures.json/),
    });
    server.body = await signed('d', other.privateKey); // someone else's key
    await expect(remote.refresh()).rejects.toMatchObject({
      message: expect.stringMatching(/does not verify/),
    });
    expect(tagOf(remote)).toBe('a');
    expect(lines.filter((l) => l.level === 'error')).toHaveLength(3);

    server.body = await signed('e');
    expect(await remote.refresh()).toBe('updated');
    expect(tagOf(remote)).toBe('e');
  });
});
