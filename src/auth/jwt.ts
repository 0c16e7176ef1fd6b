// JWT access-token verification with jose (RFC 9068 profile, RFC 8725 best practices).
// Signature with keys from the issuer's JWKS, algorithm allow-list, exact `iss`, exp/nbf with
// skew, `typ` check. The audience is checked by the caller per route, after the cache, so one
// verification serves every route the token is good for.

import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
} from 'jose';
import type { ResolvedAuthConfig } from './config.ts';

export type VerifyResult =
  | { ok: true; claims: JWTPayload & Record<string, unknown>; source: 'jwt' | 'introspection' }
  | { ok: false; unavailable: boolean; description: string };

/** RFC 9068 §2.1 `at+jwt`; plain `JWT` (and no typ) from servers that predate it. Media types
 * may carry the `application/` prefix (RFC 7515 §4.1.9). Anything else (an ID token's absent
 * typ is tolerated, but `dpop+jwt`, `logout+jwt`, … are other token kinds) is refused. */
const ACCEPTED_TYP = new Set(['at+jwt', 'jwt', 'application/at+jwt', 'application/jwt']);

/** A JWS compact serialization: three base64url parts (RFC 7515 §7.1). */
export const looksLikeJwt = (token: string): boolean =>
  /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);

export interface JwtVerifier {
  verify(token: string): Promise<VerifyResult>;
}

export function createJwtVerifier(
  cfg: ResolvedAuthConfig,
  keys: { localJwks?: JSONWebKeySet },
  now: () => number,
): JwtVerifier {
  let getKey: ReturnType<typeof createLocalJWKSet> | ReturnType<typeof createRemoteJWKSet>;
  if (keys.localJwks) getKey = createLocalJWKSet(keys.localJwks);
  else if (cfg.jwksUri)
    // jose caches the set (cacheMaxAge), refetches on an unknown `kid` at most once per
    // cooldown (so forged kids can not turn us into a request amplifier against the issuer),
    // and aborts a fetch after timeoutDuration so an outage is an error, not a hang.
    getKey = createRemoteJWKSet(new URL(cfg.jwksUri), {
      timeoutDuration: cfg.fetchTimeoutMs,
      cooldownDuration: cfg.jwksCooldownMs,
      cacheMaxAge: cfg.jwksMaxAgeMs,
    });
  else
    return {
      verify: async () => ({ ok: false, unavailable: false, description: 'JWTs are not accepted' }),
    };

  const allowed = new Set(cfg.algorithms);
  return {
    async verify(token) {
      let alg: unknown;
      let typ: unknown;
      try {
        ({ alg, typ } = decodeProtectedHeader(token));
      } catch {
        return invalid('malformed JWT header');
      }
      // Checked before any key lookup: `none` and HS* never reach the key set, so the
      // public-key-as-HMAC-secret confusion (RFC 8725 §2.1) has nothing to work with.
      if (typeof alg !== 'string' || !allowed.has(alg))
        return invalid(`JWT algorithm ${JSON.stringify(alg ?? null)} is not accepted`);
      if (typ !== undefined && (typeof typ !== 'string' || !ACCEPTED_TYP.has(typ.toLowerCase())))
        return invalid(`JWT typ ${JSON.stringify(typ)} is not an access token`);
      try {
        const { payload } = await jwtVerify(token, getKey, {
          algorithms: cfg.algorithms,
          issuer: cfg.issuer,
          clockTolerance: cfg.skewS,
          currentDate: new Date(now()),
          requiredClaims: ['exp'],
        });
        return { ok: true, claims: payload as JWTPayload & Record<string, unknown>, source: 'jwt' };
      } catch (e) {
        return classify(e);
      }
    },
  };
}

const invalid = (description: string): VerifyResult => ({
  ok: false,
  unavailable: false,
  description,
});

/** Token faults are 401s; failing to get keys is the issuer's outage, a 503. */
function classify(e: unknown): VerifyResult {
  if (e instanceof errors.JWTExpired) return invalid('token expired');
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'nbf') return invalid('token not yet valid');
    if (e.claim === 'iss') return invalid('token issuer is not accepted');
    return invalid(`token claim ${e.claim} is invalid`);
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return invalid('bad token signature');
  if (e instanceof errors.JWKSNoMatchingKey) return invalid('token signed with an unknown key');
  if (e instanceof errors.JWKSMultipleMatchingKeys) return invalid('token key is ambiguous');
  if (e instanceof errors.JOSEAlgNotAllowed) return invalid('token algorithm is not accepted');
  if (
    e instanceof errors.JWSInvalid ||
    e instanceof errors.JWTInvalid ||
    e instanceof errors.JOSENotSupported ||
    e instanceof errors.JWKInvalid
  )
    return invalid('malformed token');
  if (e instanceof errors.JWKSTimeout)
    return { ok: false, unavailable: true, description: 'timed out fetching the issuer keys' };
  // JWKSInvalid, a non-200 JWKS answer, connection refused (fetch's TypeError): no keys.
  return {
    ok: false,
    unavailable: true,
    description: 'the issuer keys are unavailable',
  };
}
