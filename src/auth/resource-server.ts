// The gateway as an OAuth 2.1 resource server (MCP authorization spec; RFC 6750, 8707, 9068,
// 9728). `authenticate` turns a request into a Subject or an RFC 6750 outcome; `authorizeScopes`
// decides the scope and human-approval part of a tool call and produces the step-up challenge.
// The hot path returns unions, never throws: a bad token is an answer, not an exception.

import type { IncomingHttpHeaders } from 'node:http';
import type { JSONWebKeySet } from 'jose';
import { WardenError } from '../errors/index.ts';
import { bearerChallenge, readCredentials } from './challenge.ts';
import { resolveAuthConfig, type AuthConfig, type ResolvedAuthConfig } from './config.ts';
import { createIntrospector } from './introspection.ts';
import { createJwtVerifier, looksLikeJwt, type VerifyResult } from './jwt.ts';
import {
  buildMetadata,
  metadataUrlFor,
  resourceForMetadataPath,
  resourceUri,
  type ProtectedResourceMetadata,
} from './metadata.ts';
import { compileScopeMatcher } from './scopes.ts';
import { TokenCache, tokenHash } from './token-cache.ts';
import { subjectFromClaims, type Subject } from './subject.ts';

export type AuthOutcome =
  | { ok: true; subject: Subject }
  | {
      ok: false;
      status: 401 | 400 | 503;
      wwwAuthenticate?: string;
      /** RFC 6750 code; `missing_token` when no bearer token was sent (the challenge then
       * carries no error code, RFC 6750 §3.1); `temporarily_unavailable` for a 503. */
      error: string;
      description: string;
    };

export interface ScopeNeed {
  /** The tool's required scope from the registry; empty means none. */
  scope: string;
  destructive: boolean;
}

export type ScopeDecision =
  | { ok: true }
  | {
      ok: false;
      status: 403;
      wwwAuthenticate: string;
      reason: 'missing scope' | 'approval required' | 'approval stale';
      description: string;
    };

export interface ResourceServerOptions {
  /** Canonical base URL of the gateway (`public_url`). */
  publicUrl: string;
  /** Scopes named by the tools, for `scopes_supported` (evaluated on every metadata request). */
  scopesSupported: () => string[];
  /** Keys held in process instead of `jwks_uri` (the demo issuer). */
  localJwks?: JSONWebKeySet;
  /** Clock, epoch ms; tests pin it. */
  now?: () => number;
  /** A JWT could not be verified because the issuer's keys could not be fetched (readiness
   *  re-checks them: gateway/runtime.ts). */
  onKeysUnavailable?: () => void;
}

export interface ResourceServer {
  readonly config: ResolvedAuthConfig;
  authenticate(
    req: { headers: IncomingHttpHeaders; url: string },
    resource: string,
  ): Promise<AuthOutcome>;
  authorizeScopes(subject: Subject, needed: ScopeNeed, resource: string): ScopeDecision;
  hasScope(subject: Subject, scope: string): boolean;
  protectedResourceMetadata(resource: string): ProtectedResourceMetadata;
  metadataUrlFor(resource: string): string;
  /** Canonical resource URI of a gateway path (`/mcp`, `/u/db/mcp`) under `publicUrl`. */
  resourceUri(path: string): string;
  /** Metadata for an incoming `/.well-known/oauth-protected-resource[/…]` path, else undefined. */
  metadataForPath(pathname: string): ProtectedResourceMetadata | undefined;
  /** Number of verified tokens cached (for /metrics). */
  cacheSize(): number;
  clearCache(): void;
}

export function createResourceServer(cfg: AuthConfig, opts: ResourceServerOptions): ResourceServer {
  const rc = resolveAuthConfig(cfg);
  if (rc.demo && !opts.localJwks && !rc.jwksUri)
    throw new WardenError(
      'AUTH_DEMO_KEYS_MISSING',
      'auth.demo needs the demo issuer keys: pass createDemoIssuer().jwks as localJwks',
    );
  const now = opts.now ?? Date.now;
  const jwt = createJwtVerifier(rc, { localJwks: opts.localJwks }, now);
  const introspector = createIntrospector(rc, now);
  const canJwt = Boolean(opts.localJwks || rc.jwksUri);
  const matcher = compileScopeMatcher(rc.hierarchy);
  const cache = new TokenCache<Subject>(rc.cacheMaxEntries, now);
  // Concurrent first uses of one token share a verification (and one introspection call).
  const inflight = new Map<string, Promise<VerifyResult>>();
  const extraAudiences = new Set(rc.audiences);

  const challenge401 = (
    resource: string,
    error?: 'invalid_token' | 'invalid_request',
    d?: string,
  ) =>
    bearerChallenge({
      resourceMetadata: metadataUrlFor(resource),
      error,
      errorDescription: error ? d : undefined,
    });

  const verifyToken = (token: string): Promise<VerifyResult> => {
    if (looksLikeJwt(token) && canJwt)
      return jwt.verify(token).then((r) => {
        if (!r.ok && r.unavailable) opts.onKeysUnavailable?.();
        return r;
      });
    if (introspector) return introspector.verify(token);
    return Promise.resolve({ ok: false, unavailable: false, description: 'malformed token' });
  };

  const hasScope = (subject: Subject, scope: string): boolean =>
    scope === rc.approvalScope
      ? matcher.holdsExactly(subject.scopes, scope)
      : matcher.covers(subject.scopes, scope);

  const protectedResourceMetadata = (resource: string): ProtectedResourceMetadata =>
    buildMetadata(
      resource,
      rc.issuer,
      [...opts.scopesSupported(), rc.approvalScope],
      rc.resourceName,
    );

  return {
    config: rc,

    async authenticate(req, resource) {
      const creds = readCredentials(req.headers, req.url);
      if (creds.kind === 'none')
        return {
          ok: false,
          status: 401,
          wwwAuthenticate: challenge401(resource),
          error: 'missing_token',
          description: creds.description,
        };
      if (creds.kind === 'malformed') {
        const error = creds.error === 'invalid_request' ? 'invalid_request' : 'invalid_token';
        return {
          ok: false,
          status: creds.status === 400 ? 400 : 401,
          wwwAuthenticate: challenge401(resource, error, creds.description),
          error,
          description: creds.description,
        };
      }
      const hash = tokenHash(creds.token);
      let subject = cache.get(hash);
      if (!subject) {
        let pending = inflight.get(hash);
        if (!pending) {
          pending = verifyToken(creds.token).finally(() => inflight.delete(hash));
          inflight.set(hash, pending);
        }
        const result = await pending;
        if (!result.ok) {
          if (result.unavailable)
            return {
              ok: false,
              status: 503,
              error: 'temporarily_unavailable',
              description: result.description,
            };
          return invalidToken(result.description);
        }
        const built = subjectFromClaims(result.claims, hash, rc.approvalTimeClaims);
        if (!built.ok) return invalidToken(built.description);
        subject = built.subject;
        // Entries die when the token does (plus the skew the verifier grants); introspection
        // answers also at cache_max_s, so a revocation is seen within that bound.
        let until =
          subject.expiresAt === undefined ? Infinity : (subject.expiresAt + rc.skewS) * 1000;
        if (result.source === 'introspection')
          until = Math.min(until, now() + (rc.introspection?.cache_max_s ?? 0) * 1000);
        if (Number.isFinite(until)) cache.set(hash, subject, until);
      }
      // RFC 8707 / MCP: the token must have been issued for this resource.
      const aud = subject.audience;
      if (!aud.includes(resource) && !aud.some((a) => extraAudiences.has(a)))
        return invalidToken('token audience does not include this resource');
      return { ok: true, subject };

      function invalidToken(description: string): AuthOutcome {
        return {
          ok: false,
          status: 401,
          wwwAuthenticate: challenge401(resource, 'invalid_token', description),
          error: 'invalid_token',
          description,
        };
      }
    },

    authorizeScopes(subject, needed, resource) {
      const missing = needed.scope !== '' && !hasScope(subject, needed.scope);
      let reason: 'missing scope' | 'approval required' | 'approval stale' | undefined;
      let description = '';
      if (missing) {
        reason = 'missing scope';
        description = `missing scope: ${needed.scope}`;
      } else if (needed.destructive) {
        const nowS = Math.floor(now() / 1000);
        const at = subject.approvedAt;
        if (!hasScope(subject, rc.approvalScope) || at === undefined) {
          reason = 'approval required';
          description = `destructive tool requires fresh human approval (scope ${rc.approvalScope})`;
        } else if (nowS - at > rc.approvalMaxAgeS || at > nowS + rc.skewS) {
          // Inclusive bound: an approval exactly max_age_s old is still fresh. A time in the
          // future beyond the skew is not an approval we can date, so it is not fresh either.
          reason = 'approval stale';
          description = `human approval is older than ${rc.approvalMaxAgeS}s; approve again`;
        }
      }
      if (!reason) return { ok: true };
      // MCP step-up: one challenge naming everything needed (held ∪ needed), so the client's
      // re-authorization does not drop scopes it already has.
      const scope = new Set(subject.scopes);
      if (needed.scope) scope.add(needed.scope);
      if (needed.destructive) scope.add(rc.approvalScope);
      return {
        ok: false,
        status: 403,
        reason,
        description,
        wwwAuthenticate: bearerChallenge({
          error: 'insufficient_scope',
          scope: [...scope],
          resourceMetadata: metadataUrlFor(resource),
          errorDescription: description,
        }),
      };
    },

    hasScope,

    protectedResourceMetadata,

    metadataUrlFor,

    resourceUri: (path) => resourceUri(opts.publicUrl, path),

    metadataForPath(pathname) {
      const resource = resourceForMetadataPath(opts.publicUrl, pathname);
      return resource === undefined ? undefined : protectedResourceMetadata(resource);
    },

    cacheSize: () => cache.size,
    clearCache: () => cache.clear(),
  };
}
