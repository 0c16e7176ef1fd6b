// JWS signature primitives (RFC 7518 §3) over node:crypto's synchronous sign/verify, for the
// io.jwt.* builtins. `jwsVerify` / `jwsSign` follow the alg → (hash, scheme) table of RFC 7518
// §3.1; a key of the wrong kind for the algorithm fails instead of being coerced (the
// algorithm-confusion defence of RFC 8725 §3.1: an RSA public key is never an HMAC secret).
import {
  constants,
  createHmac,
  sign as cryptoSign,
  timingSafeEqual,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';
import type { JwtKey } from './jwk.ts';

const HASH: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

/** ECDSA coordinate size in bytes per named curve (RFC 7518 §3.4). */
const CURVE_BYTES: Record<string, number> = { prime256v1: 32, secp384r1: 48, secp521r1: 66 };

const isSecret = (k: JwtKey): k is Buffer => Buffer.isBuffer(k);
const keyType = (k: KeyObject): string | undefined => k.asymmetricKeyType;

/**
 * The raw R||S signature of RFC 7518 §3.4, split in half as OPA does (tokens.go verifyES), then
 * left-padded to the curve's size for node's 'ieee-p1363' decoding. Halves longer than the
 * curve (after leading zeros) cannot hold a valid scalar, so they fail.
 */
function p1363(sig: Buffer, key: KeyObject): Buffer | undefined {
  const size = CURVE_BYTES[key.asymmetricKeyDetails?.namedCurve ?? ''];
  if (!size || sig.length === 0) return undefined;
  const n = Math.floor(sig.length / 2);
  const half = (b: Buffer): Buffer | undefined => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const t = b.subarray(i);
    return t.length > size ? undefined : Buffer.concat([Buffer.alloc(size - t.length), t]);
  };
  const r = half(sig.subarray(0, n));
  const s = half(sig.subarray(n));
  return r && s ? Buffer.concat([r, s]) : undefined;
}

/** Verifies `sig` over `data` with `alg`; false for a wrong key kind or a bad signature. */
export function jwsVerify(alg: string, key: JwtKey, data: Buffer, sig: Buffer): boolean {
  const family = alg.slice(0, 2);
  const hash = HASH[alg.slice(2)];
  try {
    if (alg === 'EdDSA') {
      if (isSecret(key) || keyType(key) !== 'ed25519') return false;
      return cryptoVerify(null, data, key, sig);
    }
    if (!hash) return false;
    if (family === 'HS') {
      if (!isSecret(key)) return false;
      const mac = createHmac(hash, key).update(data).digest();
      return mac.length === sig.length && timingSafeEqual(mac, sig);
    }
    if (isSecret(key)) return false;
    if (family === 'RS' || family === 'PS') {
      if (keyType(key) !== 'rsa' && keyType(key) !== 'rsa-pss') return false;
      const pss = family === 'PS';
      return cryptoVerify(
        hash,
        data,
        {
          key,
          padding: pss ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING,
          // Go's rsa.VerifyPSS with nil options detects the salt length (PSSSaltLengthAuto).
          ...(pss ? { saltLength: constants.RSA_PSS_SALTLEN_AUTO } : {}),
        },
        sig,
      );
    }
    if (family === 'ES') {
      if (keyType(key) !== 'ec') return false;
      const raw = p1363(sig, key);
      return raw !== undefined && cryptoVerify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, raw);
    }
  } catch {
    return false;
  }
  return false;
}

/** Signs `data` with `alg`; throws for an unknown algorithm or a key that cannot sign it. */
export function jwsSign(alg: string, key: JwtKey, data: Buffer): Buffer {
  const family = alg.slice(0, 2);
  const hash = HASH[alg.slice(2)];
  if (alg === 'EdDSA') {
    if (isSecret(key) || keyType(key) !== 'ed25519') throw new Error('EdDSA needs an Ed25519 key');
    return cryptoSign(null, data, key);
  }
  if (!hash) throw new Error(`unknown JWS algorithm: ${alg}`);
  if (family === 'HS') {
    if (!isSecret(key)) throw new Error('HMAC needs an oct key');
    return createHmac(hash, key).update(data).digest();
  }
  if (isSecret(key) || key.type !== 'private') throw new Error(`${alg} needs a private key`);
  if (family === 'RS' || family === 'PS') {
    if (keyType(key) !== 'rsa') throw new Error(`${alg} needs an RSA key`);
    const pss = family === 'PS';
    return cryptoSign(hash, data, {
      key,
      padding: pss ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING,
      // RFC 7518 §3.5: the salt is as long as the hash output.
      ...(pss ? { saltLength: constants.RSA_PSS_SALTLEN_DIGEST } : {}),
    });
  }
  if (family === 'ES') {
    if (keyType(key) !== 'ec') throw new Error(`${alg} needs an EC key`);
    return cryptoSign(hash, data, { key, dsaEncoding: 'ieee-p1363' });
  }
  throw new Error(`unknown JWS algorithm: ${alg}`);
}
