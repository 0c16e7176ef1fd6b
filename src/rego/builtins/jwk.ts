// Key material for the io.jwt.* builtins: what OPA accepts as a verification key (a PEM
// certificate, a PEM "PUBLIC KEY", a JWK or a JWK Set, topdown/tokens.go getKeysFromCertOrJWK)
// and as a signing key (the first key of a JWK or JWK Set). Everything here is synchronous
// node:crypto, because opa-wasm calls host builtins synchronously.
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { isArr, isObj, isStr } from './values.ts';

/** An asymmetric key, or the raw bytes of a symmetric ("oct") key. */
export type JwtKey = KeyObject | Buffer;

export interface VerificationKey {
  key: JwtKey;
  /** The JWK's "alg", '' when absent (always '' for PEM input). */
  alg: string;
  kid: string;
}

/** The algorithms OPA knows (tokens.go tokenAlgorithms), RFC 7518 §3.1 plus RFC 8037 EdDSA. */
export const TOKEN_ALGORITHMS = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'HS256',
  'HS384',
  'HS512',
  'EdDSA',
]);

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/;

export interface PemBlock {
  type: string;
  der: Buffer;
  /** Whatever follows the block (Go's pem.Decode `rest`). */
  rest: string;
}

/** Go's pem.Decode: the first block in the text, or undefined when there is none. Headers
 *  ("Proc-Type: ...") are skipped, as encoding/pem does. */
export function pemDecode(text: string): PemBlock | undefined {
  const m = PEM_BLOCK.exec(text);
  if (!m) return undefined;
  const body = m[2]
    .split(/\r?\n/)
    .filter((l) => !l.includes(':'))
    .join('');
  if (!/^[A-Za-z0-9+/=\s]*$/.test(body)) return undefined;
  const rest = text.slice(m.index + m[0].length).replace(/^[ \t]*\r?\n/, '');
  return { type: m[1], der: Buffer.from(body, 'base64'), rest };
}

export function base64urlBytes(s: string): Buffer | undefined {
  const t = s.replace(/=+$/, '');
  if (!/^[A-Za-z0-9_-]*$/.test(t) || t.length % 4 === 1) return undefined;
  return Buffer.from(t, 'base64url');
}

/** One JWK object as a node key: public for verification, private when `priv` is set and the
 *  JWK carries private parameters. Throws on unusable input, like jwx's jwk.ParseKey. */
function jwkToKey(jwk: Record<string, unknown>, priv: boolean): JwtKey {
  if (!isStr(jwk.kty)) throw new Error('invalid JWK: missing kty');
  if (jwk.kty === 'oct') {
    const k = isStr(jwk.k) ? base64urlBytes(jwk.k) : undefined;
    if (!k) throw new Error('invalid oct JWK');
    return k;
  }
  const input = { key: jwk as any, format: 'jwk' as const };
  return priv && jwk.d !== undefined ? createPrivateKey(input) : createPublicKey(input);
}

/** The keys of a JWK or JWK Set (RFC 7517 §4, §5) in order. */
export function parseJwks(
  text: string,
  priv: boolean,
): { key: JwtKey; jwk: Record<string, unknown> }[] {
  const doc: unknown = JSON.parse(text);
  if (!isObj(doc)) throw new Error('JWK must be an object');
  const list = isArr(doc.keys) ? doc.keys : doc.kty !== undefined ? [doc] : undefined;
  if (!list) throw new Error('not a JWK or JWK Set');
  return list.map((j) => {
    if (!isObj(j)) throw new Error('JWK must be an object');
    return { key: jwkToKey(j, priv), jwk: j };
  });
}

/** tokens.go getKeysFromCertOrJWK: a PEM certificate or public key, else a JWK (Set). A JWKS
 *  key with an algorithm OPA does not know is skipped. */
export function verificationKeys(text: string): VerificationKey[] {
  const block = pemDecode(text);
  if (block) {
    if (block.rest.length > 0) throw new Error('extra data after a PEM certificate block');
    if (block.type === 'CERTIFICATE') {
      return [{ key: new X509Certificate(block.der).publicKey, alg: '', kid: '' }];
    }
    if (block.type === 'PUBLIC KEY') {
      return [
        { key: createPublicKey({ key: block.der, format: 'der', type: 'spki' }), alg: '', kid: '' },
      ];
    }
    throw new Error('failed to extract a Key from the PEM certificate');
  }
  const out: VerificationKey[] = [];
  for (const { key, jwk } of parseJwks(text, false)) {
    const alg = isStr(jwk.alg) ? jwk.alg : '';
    if (alg !== '' && !TOKEN_ALGORITHMS.has(alg)) continue;
    out.push({ key, alg, kid: isStr(jwk.kid) ? jwk.kid : '' });
  }
  return out;
}
