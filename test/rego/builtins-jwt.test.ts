// io.jwt.* host builtins against jose with real keys: tokens jose signs verify here, tokens
// encode_sign makes verify in jose, and decode_verify applies OPA's constraint rules. One test
// runs a compiled policy end to end through the engine.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { compactVerify, importJWK, SignJWT, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { instantiateEngine } from '../../src/policy/engine.ts';
import { compileArtifact } from '../../src/policy/bundle.ts';
import { call } from './builtins-table.ts';

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = {
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  ES384: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
  ES512: generateKeyPairSync('ec', { namedCurve: 'P-521' }),
};
const ed = generateKeyPairSync('ed25519');
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

const pem = (k: KeyObject): string => k.export({ format: 'pem', type: 'spki' }).toString();
const jwk = (k: KeyObject): JWK => k.export({ format: 'jwk' }) as JWK;

const sign = (alg: string, key: KeyObject | Uint8Array, claims: object, header: object = {}) =>
  new SignJWT({ ...claims }).setProtectedHeader({ alg, ...header }).sign(key);

const ASYMMETRIC: [string, string, { publicKey: KeyObject; privateKey: KeyObject }][] = [
  ['io.jwt.verify_rs256', 'RS256', rsa],
  ['io.jwt.verify_rs384', 'RS384', rsa],
  ['io.jwt.verify_rs512', 'RS512', rsa],
  ['io.jwt.verify_ps256', 'PS256', rsa],
  ['io.jwt.verify_ps384', 'PS384', rsa],
  ['io.jwt.verify_ps512', 'PS512', rsa],
  ['io.jwt.verify_es256', 'ES256', ec.ES256],
  ['io.jwt.verify_es384', 'ES384', ec.ES384],
  ['io.jwt.verify_es512', 'ES512', ec.ES512],
  ['io.jwt.verify_eddsa', 'EdDSA', ed],
];

describe('io.jwt.verify_*', () => {
  for (const [builtin, alg, pair] of ASYMMETRIC) {
    it(`${builtin} accepts jose's ${alg} tokens with PEM, JWK and JWKS keys`, async () => {
      const token = await sign(alg, pair.privateKey, { sub: 'alice' });
      expect(call(builtin, token, pem(pair.publicKey))).toBe(true);
      expect(call(builtin, token, JSON.stringify(jwk(pair.publicKey)))).toBe(true);
      const jwks = { keys: [jwk(otherRsa.publicKey), { ...jwk(pair.publicKey), alg }] };
      expect(call(builtin, token, JSON.stringify(jwks))).toBe(true);
      // A flipped signature bit, or a different key, is a clean false.
      const [h, p, s] = token.split('.');
      const bad = Buffer.from(s, 'base64url');
      bad[4] ^= 1;
      expect(call(builtin, `${h}.${p}.${bad.toString('base64url')}`, pem(pair.publicKey))).toBe(
        false,
      );
      expect(call(builtin, token, pem(otherRsa.publicKey))).toBe(false);
    });
  }

  it('verify_hs* check HMACs with the secret as UTF-8 bytes', async () => {
    const secret = 'correct horse battery staple';
    for (const [builtin, alg] of [
      ['io.jwt.verify_hs256', 'HS256'],
      ['io.jwt.verify_hs384', 'HS384'],
      ['io.jwt.verify_hs512', 'HS512'],
    ]) {
      const token = await sign(alg, new TextEncoder().encode(secret), { sub: 'bob' });
      expect(call(builtin, token, secret)).toBe(true);
      expect(call(builtin, token, 'wrong')).toBe(false);
    }
  });

  it('never treats a public key as an HMAC secret (RFC 8725 §3.1)', async () => {
    const publicPem = pem(rsa.publicKey);
    const forged = await sign('HS256', new TextEncoder().encode(publicPem), {});
    expect(call('io.jwt.verify_rs256', forged, publicPem)).toBe(false);
    expect(call('io.jwt.decode_verify', forged, { cert: publicPem })).toEqual([false, {}, {}]);
  });

  it('is undefined for malformed tokens and keys', () => {
    expect(call('io.jwt.verify_rs256', 'a.b', pem(rsa.publicKey))).toBeUndefined();
    expect(call('io.jwt.verify_rs256', 'a.b.c', 'not a key')).toBeUndefined();
    expect(call('io.jwt.verify_hs256', 42, 'secret')).toBeUndefined();
  });
});

describe('io.jwt.decode', () => {
  it('returns header, payload and the hex signature', async () => {
    const token = await sign('HS256', new TextEncoder().encode('k'), { n: 1 }, { kid: 'x' });
    const sig = Buffer.from(token.split('.')[2], 'base64url').toString('hex');
    expect(call('io.jwt.decode', token)).toEqual([{ alg: 'HS256', kid: 'x' }, { n: 1 }, sig]);
    expect(call('io.jwt.decode', 'nope')).toBeUndefined();
  });

  it('decodes a nested token (cty JWT)', async () => {
    const inner = await sign('HS256', new TextEncoder().encode('k'), { deep: true });
    const outer = [
      Buffer.from('{"alg":"none","cty":"JWT"}').toString('base64url'),
      Buffer.from(inner).toString('base64url'),
      '',
    ].join('.');
    expect((call('io.jwt.decode', outer) as unknown[])[1]).toEqual({ deep: true });
  });
});

describe('io.jwt.encode_sign', () => {
  for (const [alg, pair] of [
    ['RS256', rsa],
    ['PS384', rsa],
    ['ES256', ec.ES256],
    ['ES512', ec.ES512],
    ['EdDSA', ed],
  ] as const) {
    it(`${alg} tokens verify in jose`, async () => {
      const token = call(
        'io.jwt.encode_sign',
        { alg, typ: 'JWT' },
        { iss: 'opa' },
        jwk(pair.privateKey),
      );
      expect(typeof token).toBe('string');
      const { payload } = await compactVerify(token as string, pair.publicKey);
      expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ iss: 'opa' });
    });
  }

  it('HS256 with an oct JWK matches jose byte for byte', async () => {
    const key = {
      kty: 'oct',
      k: Buffer.from('sekrit-sekrit-sekrit-sekrit-1234').toString('base64url'),
    };
    const ours = call('io.jwt.encode_sign', { alg: 'HS256', typ: 'JWT' }, { a: 1, b: [true] }, key);
    const theirs = await new SignJWT({ a: 1, b: [true] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(await importJWK(key, 'HS256'));
    expect(ours).toBe(theirs);
  });

  it('encode_sign_raw keeps the texts verbatim and rejects non-JSON JWT payloads', () => {
    const key = JSON.stringify({ kty: 'oct', k: 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ' });
    const token = call('io.jwt.encode_sign_raw', '{"alg":"HS256"}', '{"x": 1}', key) as string;
    expect(Buffer.from(token.split('.')[1], 'base64url').toString()).toBe('{"x": 1}');
    expect(call('io.jwt.encode_sign_raw', '{"alg":"HS256"}', 'not json', key)).toBeUndefined();
    expect(call('io.jwt.encode_sign_raw', '{"alg":"HS256","typ":"text"}', 'plain', key)).toEqual(
      expect.any(String),
    );
    expect(call('io.jwt.encode_sign_raw', '{"alg":"none"}', '{}', key)).toBeUndefined();
  });
});

describe('io.jwt.decode_verify', () => {
  const NOW = 1_700_000_000;
  const ns = (s: number) => s * 1e9;

  it('verifies and checks iss, aud, exp and nbf', async () => {
    const token = await sign('RS256', rsa.privateKey, {
      iss: 'https://idp',
      aud: ['mcp', 'other'],
      exp: NOW + 60,
      nbf: NOW - 60,
    });
    const cert = pem(rsa.publicKey);
    const ok = call('io.jwt.decode_verify', token, {
      cert,
      time: ns(NOW),
      iss: 'https://idp',
      aud: 'mcp',
    });
    expect((ok as unknown[])[0]).toBe(true);
    expect((ok as unknown[])[1]).toEqual({ alg: 'RS256' });
    const no = [false, {}, {}];
    expect(
      call('io.jwt.decode_verify', token, { cert, time: ns(NOW), iss: 'x', aud: 'mcp' }),
    ).toEqual(no);
    // A token with an audience needs a matching aud constraint.
    expect(call('io.jwt.decode_verify', token, { cert, time: ns(NOW) })).toEqual(no);
    expect(call('io.jwt.decode_verify', token, { cert, time: ns(NOW + 60), aud: 'mcp' })).toEqual(
      no,
    );
    expect(call('io.jwt.decode_verify', token, { cert, time: ns(NOW - 61), aud: 'mcp' })).toEqual(
      no,
    );
    expect(
      call('io.jwt.decode_verify', token, { cert, alg: 'RS512', aud: 'mcp', time: ns(NOW) }),
    ).toEqual(no);
  });

  it('checks exp against time.now_ns when no time is given', async () => {
    const expired = await sign('HS256', new TextEncoder().encode('s'), { exp: 1 });
    const fresh = await sign('HS256', new TextEncoder().encode('s'), { exp: 4_000_000_000 });
    expect(call('io.jwt.decode_verify', expired, { secret: 's' })).toEqual([false, {}, {}]);
    expect(call('io.jwt.decode_verify', fresh, { secret: 's' })).toEqual([
      true,
      { alg: 'HS256' },
      { exp: 4_000_000_000 },
    ]);
  });

  it('picks the JWKS key by kid', async () => {
    const token = await sign('ES256', ec.ES256.privateKey, { sub: 'k' }, { kid: 'two' });
    const jwks = JSON.stringify({
      keys: [
        { ...jwk(ec.ES384.publicKey), kid: 'one' },
        { ...jwk(ec.ES256.publicKey), kid: 'two' },
      ],
    });
    expect((call('io.jwt.decode_verify', token, { cert: jwks }) as unknown[])[0]).toBe(true);
  });

  it('rejects bad constraint objects as errors (undefined)', async () => {
    const token = await sign('HS256', new TextEncoder().encode('s'), {});
    expect(call('io.jwt.decode_verify', token, {})).toBeUndefined();
    expect(
      call('io.jwt.decode_verify', token, { secret: 's', cert: pem(rsa.publicKey) }),
    ).toBeUndefined();
    expect(call('io.jwt.decode_verify', token, { secret: 's', colour: 'red' })).toBeUndefined();
    expect(call('io.jwt.decode_verify', token, { secret: 's', time: -1 })).toBeUndefined();
  });

  it('runs in a compiled policy', async () => {
    const token = await sign('EdDSA', ed.privateKey, { sub: 'carol', exp: 4_000_000_000 });
    const policy = `package authz

allow if {
\t[valid, _, claims] := io.jwt.decode_verify(input.token, {"cert": input.key})
\tvalid
\tclaims.sub == "carol"
}
`;
    const engine = await instantiateEngine(
      compileArtifact([{ path: 'authz.rego', text: policy }], {}, ['authz/allow']),
    );
    const input = (t: string) => JSON.stringify({ token: t, key: pem(ed.publicKey) });
    expect(engine.evaluateJson(input(token), 'authz/allow').result).toBe(true);
    // Flip one bit inside the signature (its last characters may only carry padding bits).
    const [h, p, sig] = token.split('.');
    const flipped = Buffer.from(sig, 'base64url');
    flipped[10] ^= 1;
    const tampered = `${h}.${p}.${flipped.toString('base64url')}`;
    expect(engine.evaluateJson(input(tampered), 'authz/allow').result).toBeUndefined();
  });
});
