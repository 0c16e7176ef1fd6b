// The Subject: who called, with which scopes and approval time, as handed to policy and audit.
// Built once per verified token (then cached), from JWT claims (RFC 9068 §2.2) or an
// introspection answer (RFC 7662 §2.2), which use the same claim names.

import { DEFAULT_APPROVAL_TIME_CLAIMS, approvalTime, scopesFromClaims } from './scopes.ts';

export interface Subject {
  /** `sub`, or the client id for client-credentials tokens that carry none. */
  sub: string;
  clientId?: string;
  scopes: string[];
  /** Unix seconds of the human approval: the first configured approval claim the token carries
   *  (default `approved_at` only), when it is a number; absent otherwise (scopes.ts approvalTime). */
  approvedAt?: number;
  issuer: string;
  audience: string[];
  /** Unix seconds. */
  expiresAt?: number;
  /** base64url SHA-256 of the token: correlates requests in audit without the token itself. */
  tokenHash: string;
  claims: Record<string, unknown>;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function subjectFromClaims(
  claims: Record<string, unknown>,
  hash: string,
  approvalTimeClaims: readonly string[] = DEFAULT_APPROVAL_TIME_CLAIMS,
): { ok: true; subject: Subject } | { ok: false; description: string } {
  // RFC 9068 §2.2 client_id; `azp` (OIDC) and `cid` (Okta) are common stand-ins.
  const clientId = str(claims.client_id) ?? str(claims.azp) ?? str(claims.cid);
  const sub = str(claims.sub) ?? clientId;
  if (!sub) return { ok: false, description: 'token names no subject' };
  const aud = claims.aud;
  const audience =
    typeof aud === 'string'
      ? [aud]
      : Array.isArray(aud)
        ? aud.filter((a) => typeof a === 'string')
        : [];
  const issuer = str(claims.iss);
  if (!issuer) return { ok: false, description: 'token names no issuer' };
  const exp = claims.exp;
  // Frozen: one Subject object is shared by every request that presents the same token.
  const subject: Subject = Object.freeze({
    sub,
    clientId,
    scopes: Object.freeze(scopesFromClaims(claims)) as string[],
    approvedAt: approvalTime(claims, approvalTimeClaims),
    issuer,
    audience: Object.freeze(audience) as string[],
    expiresAt: typeof exp === 'number' && Number.isFinite(exp) ? exp : undefined,
    tokenHash: hash,
    claims: Object.freeze({ ...claims }),
  });
  return { ok: true, subject };
}
