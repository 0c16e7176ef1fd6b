// io.jwt.* builtins (OPA topdown/tokens.go): JWS compact tokens (RFC 7515 §7.1, RFC 7519 §7.2).
// Failures OPA raises as builtin errors (malformed token, unusable key, bad constraints) are
// undefined here, as everywhere in the WASM target; a token that is well-formed but does not
// verify is `false` (verify_*) or `[false, {}, {}]` (decode_verify), exactly as in OPA.
import { goMarshal } from './jsonenc.ts';
import {
  base64urlBytes,
  parseJwks,
  TOKEN_ALGORITHMS,
  verificationKeys,
  type JwtKey,
  type VerificationKey,
} from './jwk.ts';
import { jwsSign, jwsVerify } from './jws.ts';
import { isArr, isObj, isStr, type Json } from './values.ts';

type Fn = (...args: any[]) => unknown;
export type JsonObject = { [k: string]: Json };

export interface Token {
  header: string;
  payload: string;
  signature: string;
}

/** RFC 7519 §7.2 steps 1–2: exactly three dot-separated parts. */
export function split(jwt: unknown): Token {
  if (!isStr(jwt)) throw new Error('operand 1 must be a string');
  const parts = jwt.split('.');
  if (parts.length !== 3)
    throw new Error(`encoded JWT must have 3 sections, found ${parts.length}`);
  return { header: parts[0], payload: parts[1], signature: parts[2] };
}

/** OPA's base64url.decode (padding optional), as bytes. */
export function b64(s: string): Buffer {
  const out = base64urlBytes(s);
  if (!out) throw new Error('illegal base64 data');
  return out;
}

export function jsonObject(bytes: Buffer): JsonObject {
  const v: unknown = JSON.parse(bytes.toString('utf8'));
  if (!isObj(v)) throw new Error('decoded JSON type was not an Object');
  return v;
}

/** The JOSE header; a JWE (RFC 7516 §9: has "enc") is not supported. */
export function decodeHeader(t: Token): JsonObject {
  const h = jsonObject(b64(t.header));
  if (h.enc !== undefined) throw new Error('JWT is a JWE object, which is not supported');
  return h;
}

export interface HeaderParams {
  alg: string;
  kid: string;
  cty: string;
  valid: boolean;
}

/** tokens.go parseTokenHeader/valid: typed known parameters, alg required (RFC 7515 §4.1.1),
 *  and no unrecognised parameter listed in "crit" (§4.1.11). */
export function headerParams(h: JsonObject): HeaderParams {
  const str = (name: string): string => {
    const v = h[name];
    if (v === undefined) return '';
    if (!isStr(v)) throw new Error(`${name}: must be a string`);
    return v;
  };
  const known = new Set(['alg', 'kid', 'typ', 'cty', 'crit']);
  str('typ');
  let crit = new Set<string>();
  if (h.crit !== undefined) {
    if (!isArr(h.crit)) throw new Error('crit: must be a list');
    crit = new Set(h.crit.filter(isStr));
    if (crit.size === 0) throw new Error('crit: must be a nonempty list');
  }
  const alg = str('alg');
  const unknownCritical = Object.keys(h).some((k) => !known.has(k) && crit.has(k));
  return { alg, kid: str('kid'), cty: str('cty'), valid: alg !== '' && !unknownCritical };
}

export const signingInput = (t: Token): Buffer => Buffer.from(`${t.header}.${t.payload}`, 'utf8');

/**
 * Verification against a key set (tokens.go builtinJWTVerify / constraints.verify): a key whose
 * kid equals the header's decides alone; otherwise any key without an alg, or with the header's
 * alg, may verify. `alg` is the algorithm verified with: the builtin's own for verify_<alg>, the
 * header's for decode_verify.
 */
export function verifyWithKeys(
  keys: VerificationKey[],
  alg: string,
  header: HeaderParams,
  t: Token,
  sig: Buffer,
): boolean {
  const data = signingInput(t);
  if (header.kid !== '') {
    const byKid = keys.find((k) => k.kid === header.kid);
    if (byKid) return jwsVerify(alg, byKid.key, data, sig);
  }
  return keys.some(
    (k) => (k.alg === '' || k.alg === header.alg) && jwsVerify(alg, k.key, data, sig),
  );
}

function verifyAsymmetric(alg: string): Fn {
  return (jwt: unknown, cert: unknown) => {
    const t = split(jwt);
    if (!isStr(cert)) return undefined;
    const keys = verificationKeys(cert);
    const sig = b64(t.signature);
    return verifyWithKeys(keys, alg, headerParams(decodeHeader(t)), t, sig);
  };
}

function verifyHmac(alg: string): Fn {
  return (jwt: unknown, secret: unknown) => {
    if (!isStr(jwt) || !isStr(secret)) return undefined;
    const t = split(jwt);
    return jwsVerify(alg, Buffer.from(secret, 'utf8'), signingInput(t), b64(t.signature));
  };
}

/** io.jwt.decode: [header, payload, hex signature]; a "cty": "JWT" payload is itself decoded. */
function decode(jwt: unknown): Json {
  const t = split(jwt);
  const header = decodeHeader(t);
  const payload = b64(t.payload);
  if (header.cty === 'JWT') return decode(payload.toString('utf8').replace(/^["']+|["']+$/g, ''));
  return [header, jsonObject(payload), b64(t.signature).toString('hex')];
}

/** io.jwt.encode_sign_raw: signs with the first key of a JWK (Set); a payload declared (or
 *  defaulted) as typ JWT must be JSON. */
function encodeSignRaw(header: unknown, payload: unknown, jwk: unknown): string | undefined {
  if (!isStr(header) || !isStr(payload) || !isStr(jwk)) return undefined;
  const keys = parseJwks(jwk, true);
  if (keys.length === 0) throw new Error('no keys found in JWK set');
  const h: unknown = JSON.parse(header);
  const alg = isObj(h) ? h.alg : undefined;
  if (!isStr(alg) || !TOKEN_ALGORITHMS.has(alg)) throw new Error('missing or unknown alg');
  const typ = isObj(h) ? h.typ : undefined;
  if (!isStr(typ) || typ === 'JWT') JSON.parse(payload);
  const input = `${Buffer.from(header).toString('base64url')}.${Buffer.from(payload).toString('base64url')}`;
  const key: JwtKey = keys[0].key;
  return `${input}.${jwsSign(alg, key, Buffer.from(input)).toString('base64url')}`;
}

export const jwtBuiltins: Record<string, Fn> = {
  'io.jwt.decode': decode,
  'io.jwt.verify_rs256': verifyAsymmetric('RS256'),
  'io.jwt.verify_rs384': verifyAsymmetric('RS384'),
  'io.jwt.verify_rs512': verifyAsymmetric('RS512'),
  'io.jwt.verify_ps256': verifyAsymmetric('PS256'),
  'io.jwt.verify_ps384': verifyAsymmetric('PS384'),
  'io.jwt.verify_ps512': verifyAsymmetric('PS512'),
  'io.jwt.verify_es256': verifyAsymmetric('ES256'),
  'io.jwt.verify_es384': verifyAsymmetric('ES384'),
  'io.jwt.verify_es512': verifyAsymmetric('ES512'),
  'io.jwt.verify_eddsa': verifyAsymmetric('EdDSA'),
  'io.jwt.verify_hs256': verifyHmac('HS256'),
  'io.jwt.verify_hs384': verifyHmac('HS384'),
  'io.jwt.verify_hs512': verifyHmac('HS512'),
  'io.jwt.encode_sign_raw': encodeSignRaw,
  // Headers, payload and key are marshalled as Go's json.Marshal would (sorted keys).
  'io.jwt.encode_sign': (header: unknown, payload: unknown, jwk: unknown) =>
    isObj(header) && isObj(jwk)
      ? encodeSignRaw(goMarshal(header), goMarshal(payload), goMarshal(jwk))
      : undefined,
};
