// OPA bundle signatures (src/policy/signature.ts): the .signatures.json format of OPA's
// "Bundle Signing", with real keys from jose, and the hashing rules for structured files.
import { createHash } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { unpackTarball } from '../../src/policy/bundle.ts';
import {
  bundleFileHash,
  canonicalJson,
  packTarball,
  signBundle,
  verifyBundleSignatures,
} from '../../src/policy/signature.ts';
import { bundleFor } from './remote-helpers.ts';

const files = (tarball: Buffer) => unpackTarball(tarball, 'test');
const repack = (m: Map<string, Buffer>) => packTarball([...m].map(([n, b]) => [`/${n}`, b]));
const sha256 = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

describe('canonical JSON for structured bundle files', () => {
  it('sorts keys, drops whitespace and keeps number literals', () => {
    expect(canonicalJson(' { "b" : [ 1.0 , 2e3, -0 ], "a": {"z": null, "y": true} } ')).toBe(
      '{"a":{"y":true,"z":null},"b":[1.0,2e3,-0]}',
    );
    expect(canonicalJson('{"n": 123456789012345678901234567890}')).toBe(
      '{"n":123456789012345678901234567890}',
    );
  });

  it("escapes strings as Go's json.Marshal does and sorts keys by UTF-8 bytes", () => {
    expect(canonicalJson('{"s": "<a&b>\\u2028", "t": "\\"q\\"\\n"}')).toBe(
      '{"s":"\\u003ca\\u0026b\\u003e\\u2028","t":"\\"q\\"\\n"}',
    );
    // U+FF5E sorts before U+1F600 in UTF-16 code units' opposite order: bytes decide.
    expect(canonicalJson('{"\\ud83d\\ude00": 1, "\\uff5e": 2}')).toBe('{"～":2,"😀":1}');
  });

  it('rejects malformed JSON', () => {
    for (const bad of ['{', '{"a":}', '[1,]', '{"a":1}x', "{'a':1}", '01'])
      expect(() => canonicalJson(bad), bad).toThrow(SyntaxError);
  });

  it('hashes data and manifest files canonically, everything else raw', () => {
    const pretty = Buffer.from('{\n  "b": 1,\n  "a": 2\n}\n');
    expect(bundleFileHash('data.json', pretty)).toBe(sha256('{"a":2,"b":1}'));
    expect(bundleFileHash('x/y/data.json', pretty)).toBe(sha256('{"a":2,"b":1}'));
    expect(bundleFileHash('.manifest', pretty)).toBe(sha256('{"a":2,"b":1}'));
    expect(bundleFileHash('data.yaml', Buffer.from('b: 1\na: [x]\n'))).toBe(
      sha256('{"a":["x"],"b":1}'),
    );
    expect(bundleFileHash('policy.rego', pretty)).toBe(sha256(pretty));
    expect(bundleFileHash('other.json', pretty)).toBe(sha256(pretty));
    expect(bundleFileHash('policy.wasm', pretty, 'SHA-512')).toBe(
      createHash('sha512').update(pretty).digest('hex'),
    );
    expect(() => bundleFileHash('policy.wasm', pretty, 'MD5')).toThrow(/unsupported/);
  });
});

describe('bundle signature verification', () => {
  for (const alg of ['RS256', 'ES256', 'PS384', 'EdDSA']) {
    it(`verifies a bundle signed with ${alg} (PEM and JWK keys)`, async () => {
      const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
      const signed = await signBundle(await bundleFor('a'), privateKey, { alg });
      const f = await files(signed);
      expect([...f.keys()].sort()).toEqual([
        '.manifest',
        '.signatures.json',
        'data.json',
        'policy.wasm',
      ]);
      const pem = await exportSPKI(publicKey);
      await expect(verifyBundleSignatures(f, { publicKey: pem }, 'b')).resolves.toEqual({
        keyId: undefined,
        files: 3,
      });
      const jwk = await exportJWK(publicKey);
      await expect(
        verifyBundleSignatures(f, { publicKey: jwk, algorithm: alg }, 'b'),
      ).resolves.toBeTruthy();
    });
  }

  it('accepts a re-formatted data.json (structured hash) but not a changed one', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const pem = await exportSPKI(publicKey);
    const f = await files(await signBundle(await bundleFor('a'), privateKey, { alg: 'ES256' }));
    const data = JSON.parse((f.get('data.json') as Buffer).toString()) as unknown;
    f.set('data.json', Buffer.from(JSON.stringify(data, null, 4)));
    await expect(verifyBundleSignatures(f, { publicKey: pem }, 'b')).resolves.toBeTruthy();
    f.set('data.json', Buffer.from(JSON.stringify({ config: { open: false, tag: 'a' } })));
    await expect(verifyBundleSignatures(f, { publicKey: pem }, 'b')).rejects.toThrow(
      /hash of data.json does not match/,
    );
  });

  it('rejects extra files, missing files, wrong scope or key id, and several signatures', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const pem = await exportSPKI(publicKey);
    const signed = await signBundle(await bundleFor('a'), privateKey, {
      alg: 'ES256',
      keyId: 'k1',
      scope: 'write',
    });
    const v = { publicKey: pem };
    const extra = await files(signed);
    extra.set('evil.rego', Buffer.from('package evil'));
    await expect(verifyBundleSignatures(extra, v, 'b')).rejects.toThrow(
      /evil.rego is not in the signed/,
    );
    const missing = await files(signed);
    missing.delete('data.json');
    await expect(verifyBundleSignatures(missing, v, 'b')).rejects.toThrow(
      /missing from the bundle: data.json/,
    );
    const f = await files(signed);
    await expect(verifyBundleSignatures(f, { ...v, scope: 'read' }, 'b')).rejects.toThrow(/scope/);
    await expect(verifyBundleSignatures(f, { ...v, keyId: 'k2' }, 'b')).rejects.toThrow(/"k1"/);
    await expect(
      verifyBundleSignatures(f, { ...v, keyId: 'k1', scope: 'write' }, 'b'),
    ).resolves.toEqual({
      keyId: 'k1',
      files: 3,
    });
    const jwt = (
      JSON.parse((f.get('.signatures.json') as Buffer).toString()) as { signatures: string[] }
    ).signatures[0];
    f.set('.signatures.json', Buffer.from(JSON.stringify({ signatures: [jwt, jwt] })));
    await expect(verifyBundleSignatures(f, v, 'b')).rejects.toThrow(/exactly one JWT/);
    f.set('.signatures.json', Buffer.from('{'));
    await expect(verifyBundleSignatures(f, v, 'b')).rejects.toMatchObject({
      code: 'POLICY_BUNDLE_INVALID',
    });
  });

  it('refuses algorithm confusion: an HS256 token made with the public key, alg none, a private key', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportSPKI(publicKey);
    const f = await files(await bundleFor('a'));
    const list = [...f].map(([name, b]) => ({
      name,
      hash: bundleFileHash(name, b),
      algorithm: 'SHA-256',
    }));
    const hs = await new SignJWT({ files: list })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(pem));
    f.set('.signatures.json', Buffer.from(JSON.stringify({ signatures: [hs] })));
    await expect(verifyBundleSignatures(f, { publicKey: pem }, 'b')).rejects.toThrow(
      /does not verify/,
    );
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ files: list })).toString('base64url')}.`;
    f.set('.signatures.json', Buffer.from(JSON.stringify({ signatures: [none] })));
    await expect(verifyBundleSignatures(f, { publicKey: pem }, 'b')).rejects.toThrow(
      /does not verify/,
    );
    const signed = await files(
      await signBundle(repack(await files(await bundleFor('a'))), privateKey, { alg: 'RS256' }),
    );
    const jwkPriv = await exportJWK(privateKey);
    await expect(verifyBundleSignatures(signed, { publicKey: jwkPriv }, 'b')).rejects.toThrow(
      /public key/,
    );
  });
});
