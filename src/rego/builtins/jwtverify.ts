// io.jwt.decode_verify (OPA topdown/tokens.go builtinJWTDecodeVerify): RFC 7519 §7.2 validation
// of a JWS compact token under a constraints object, returning [valid, header, payload].
// Malformed input or constraints are errors (undefined in WASM); a token that fails the
// signature or a claim check is [false, {}, {}].
import { evaluationNowNs } from './evaluation.ts';
import { verificationKeys, type VerificationKey } from './jwk.ts';
import { jwsVerify } from './jws.ts';
import {
  b64,
  decodeHeader,
  headerParams,
  jsonObject,
  signingInput,
  split,
  verifyWithKeys,
  type JsonObject,
} from './jwt.ts';
import { isArr, isNum, isObj, isStr, type Json } from './values.ts';

interface Constraints {
  keys?: VerificationKey[];
  secret: string;
  alg: string;
  iss: string;
  aud: string;
  /** Nanoseconds since the epoch. */
  time: number;
}

/** tokens.go parseTokenConstraints + validate: every key known and well-typed, exactly one of
 *  cert / secret, and `time` defaulting to the evaluation's time.now_ns(). */
function parseConstraints(o: Record<string, Json>): Constraints {
  const c: Constraints = { secret: '', alg: '', iss: '', aud: '', time: -1 };
  for (const [name, v] of Object.entries(o)) {
    switch (name) {
      case 'cert':
        if (!isStr(v)) throw new Error('cert constraint: must be a string');
        c.keys = verificationKeys(v);
        break;
      case 'secret':
      case 'alg':
      case 'iss':
      case 'aud':
        if (!isStr(v)) throw new Error(`${name} constraint: must be a string`);
        c[name] = v;
        break;
      case 'time':
        if (!isNum(v) || v < 0) throw new Error('token time constraint: must be a number >= 0');
        c.time = v;
        break;
      default:
        throw new Error(`unknown token validation constraint: ${name}`);
    }
  }
  if (c.time === -1) c.time = Number(evaluationNowNs());
  const keyConstraints = (c.keys ? 1 : 0) + (c.secret !== '' ? 1 : 0);
  if (keyConstraints !== 1) throw new Error('exactly one of cert and secret is required');
  return c;
}

/** RFC 7519 §4.1.3: a string audience must equal the constraint, an array must contain it. */
function validAudience(aud: Json, want: string): boolean {
  if (isStr(aud)) return aud === want;
  return isArr(aud) && aud.some((a) => a === want);
}

const UNVERIFIED: Json = [false, {}, {}];

function decodeVerify(jwt: unknown, constraints: unknown): Json | undefined {
  if (!isObj(constraints)) return undefined;
  const c = parseConstraints(constraints);
  let token: unknown = jwt;
  let header: JsonObject;
  let payloadBytes: Buffer;
  // Nested tokens (RFC 7519 §5.2 "cty": "JWT") are verified layer by layer.
  for (;;) {
    const t = split(token);
    header = decodeHeader(t);
    const h = headerParams(header);
    if (!h.valid) return UNVERIFIED;
    if (c.alg !== '' && c.alg !== h.alg) return UNVERIFIED;
    const sig = b64(t.signature);
    const ok = c.keys
      ? verifyWithKeys(c.keys, h.alg, h, t, sig)
      : jwsVerify(h.alg, Buffer.from(c.secret, 'utf8'), signingInput(t), sig);
    if (!ok) return UNVERIFIED;
    payloadBytes = b64(t.payload);
    if (h.cty.toUpperCase() !== 'JWT') break;
    token = payloadBytes.toString('utf8');
  }
  const payload = jsonObject(payloadBytes);

  // RFC 7519 §4.1.1 iss
  if (c.iss !== '') {
    if (payload.iss === undefined) return UNVERIFIED;
    if (!isStr(payload.iss)) throw new Error('iss must be a string');
    if (payload.iss !== c.iss) return UNVERIFIED;
  }
  // §4.1.3 aud: a token with an audience needs a matching constraint.
  if (payload.aud !== undefined) {
    if (!validAudience(payload.aud, c.aud)) return UNVERIFIED;
  } else if (c.aud !== '') return UNVERIFIED;
  const now = c.time / 1e9;
  // §4.1.4 exp: valid strictly before; §4.1.5 nbf: valid from.
  if (payload.exp !== undefined) {
    if (!isNum(payload.exp)) throw new Error('exp value must be a number');
    if (now >= payload.exp) return UNVERIFIED;
  }
  if (payload.nbf !== undefined) {
    if (!isNum(payload.nbf)) throw new Error('nbf value must be a number');
    if (now < payload.nbf) return UNVERIFIED;
  }
  return [true, header, payload];
}

export const jwtVerifyBuiltins: Record<string, (...args: any[]) => unknown> = {
  'io.jwt.decode_verify': decodeVerify,
};
