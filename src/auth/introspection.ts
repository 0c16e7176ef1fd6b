// RFC 7662 token introspection for opaque access tokens. The answer is the authorization
// server's word on the token; we still check `iss` (when given) and leave the audience check
// to the caller, exactly as for JWTs.

import type { ResolvedAuthConfig } from './config.ts';
import type { VerifyResult } from './jwt.ts';

export interface Introspector {
  verify(token: string): Promise<VerifyResult>;
}

export function createIntrospector(
  cfg: ResolvedAuthConfig,
  now: () => number,
): Introspector | undefined {
  const ic = cfg.introspection;
  if (!ic) return undefined;
  return {
    async verify(token) {
      // RFC 7662 §2.1: form-encoded POST, the protected resource authenticates itself.
      const form = new URLSearchParams({ token, token_type_hint: 'access_token' });
      const headers: Record<string, string> = {
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      };
      if (ic.auth_method === 'client_secret_post') {
        form.set('client_id', ic.client_id);
        form.set('client_secret', ic.client_secret);
      } else {
        // RFC 6749 §2.3.1: id and secret are form-urlencoded before base64.
        const enc = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');
        headers.authorization = `Basic ${Buffer.from(`${enc(ic.client_id)}:${enc(ic.client_secret)}`).toString('base64')}`;
      }
      let body: unknown;
      try {
        const res = await fetch(ic.endpoint, {
          method: 'POST',
          headers,
          body: form,
          signal: AbortSignal.timeout(cfg.fetchTimeoutMs),
          // A 307/308 would resend the client secret to wherever it points: never followed.
          redirect: 'error',
        });
        if (res.status !== 200) {
          await res.body?.cancel();
          return unavailable(`introspection endpoint answered ${res.status}`);
        }
        body = await res.json();
      } catch (e) {
        const timedOut = e instanceof DOMException && e.name === 'TimeoutError';
        return unavailable(
          timedOut ? 'introspection endpoint timed out' : 'introspection endpoint unreachable',
        );
      }
      if (body === null || typeof body !== 'object' || Array.isArray(body))
        return unavailable('introspection endpoint answered something other than a JSON object');
      const claims = body as Record<string, unknown>;
      // RFC 7662 §2.2: anything but `active: true` means the token is not usable.
      if (claims.active !== true) return invalid('token is not active');
      if (
        typeof claims.token_type === 'string' &&
        !['bearer', 'access_token'].includes(claims.token_type.toLowerCase())
      )
        return invalid(`token is a ${claims.token_type}, not a bearer access token`);
      if (claims.iss !== undefined && claims.iss !== cfg.issuer)
        return invalid('token issuer is not accepted');
      const t = now() / 1000;
      if (typeof claims.exp === 'number' && claims.exp + cfg.skewS <= t)
        return invalid('token expired');
      if (typeof claims.nbf === 'number' && claims.nbf - cfg.skewS > t)
        return invalid('token not yet valid');
      return { ok: true, claims: { ...claims, iss: cfg.issuer }, source: 'introspection' };
    },
  };
}

const invalid = (description: string): VerifyResult => ({
  ok: false,
  unavailable: false,
  description,
});
const unavailable = (description: string): VerifyResult => ({
  ok: false,
  unavailable: true,
  description,
});
