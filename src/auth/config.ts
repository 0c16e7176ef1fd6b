// The `auth:` section of warden.yaml as this module takes it (snake_case, as written in YAML),
// and its resolution into checked settings with defaults. The config loader (src/config) checks
// key names and types; here we check meaning: algorithms that would reopen known JWT attacks,
// settings that cannot verify anything, nonsense durations.

import { UserInputError } from '../errors/index.ts';
import { DEFAULT_APPROVAL_TIME_CLAIMS } from './scopes.ts';

/** Algorithms accepted by default. Asymmetric only: a resource server holds no shared secret,
 * and allowing HS* would let anyone sign with the public key (RFC 8725 §2.1, §3.1). */
export const DEFAULT_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;
const ALLOWED_ALGORITHMS = new Set([
  ...DEFAULT_ALGORITHMS,
  'RS384',
  'RS512',
  'PS384',
  'PS512',
  'ES384',
  'ES512',
  'Ed25519',
]);

export interface ScopeHierarchyConfig {
  /** Segment separator of hierarchical scopes; default ":". */
  separator?: string;
  /** `a:*` covers `a:b`, `a:b:c` (not `a` itself, never the approval scope); default true. */
  wildcard?: boolean;
  /** Explicit edges, transitive: `{ "jira:admin": ["jira:write"], "jira:write": ["jira:read"] }`. */
  implies?: Record<string, string[]>;
}

export interface IntrospectionConfig {
  /** RFC 7662 endpoint; opaque (non-JWT) tokens are introspected here. */
  endpoint: string;
  client_id: string;
  client_secret: string;
  /** How the resource server authenticates to the endpoint; default client_secret_basic. */
  auth_method?: 'client_secret_basic' | 'client_secret_post';
  /** Upper bound on how long an `active: true` answer is reused (revocation lag); default 60. */
  cache_max_s?: number;
}

export interface ApprovalConfig {
  /** The scope a human-approved token carries; default "approved:by:human". */
  scope?: string;
  /** Oldest acceptable approval for a destructive tool, seconds; default 300 (inclusive). */
  max_age_s?: number;
  /** Claims read for the approval time, first present wins; default `[approved_at]`. `iat`
   *  dates the token, not a human act: list it only if your issuer mints per approval. */
  time_claims?: string[];
}

/** `auth:` in warden.yaml. */
export interface AuthConfig {
  /** Exact `iss` of accepted tokens; also the one entry of `authorization_servers` (RFC 9728). */
  issuer?: string;
  jwks_uri?: string;
  /** Audiences accepted in addition to the route's own resource URI (RFC 8707). */
  audience?: string | string[];
  approval?: ApprovalConfig;
  introspection?: IntrospectionConfig;
  /** Clock skew tolerated on exp/nbf/approval time, seconds; default 60. */
  skew_s?: number;
  /** JWS algorithm allow-list; default RS256 PS256 ES256 EdDSA. `none` and HS* are refused. */
  algorithms?: string[];
  scope_hierarchy?: ScopeHierarchyConfig;
  /** Use the local development issuer (src/auth/demo-issuer.ts). NOT FOR PRODUCTION. */
  demo?: boolean;
  /** Timeout for one JWKS or introspection request, ms; default 3000. */
  fetch_timeout_ms?: number;
  /** Minimum time between JWKS refetches triggered by an unknown `kid`, ms; default 30000. */
  jwks_cooldown_ms?: number;
  /** How long a fetched JWKS is trusted before a background-free refetch, ms; default 600000. */
  jwks_max_age_ms?: number;
  /** Verified-token cache entries (LRU); default 10000. 0 disables the cache. */
  cache_max_entries?: number;
  /** `resource_name` in the protected-resource metadata; default "mcp-warden". */
  resource_name?: string;
}

export interface ResolvedAuthConfig {
  issuer: string;
  jwksUri?: string;
  audiences: string[];
  approvalScope: string;
  approvalMaxAgeS: number;
  approvalTimeClaims: string[];
  introspection?: Required<IntrospectionConfig>;
  skewS: number;
  algorithms: string[];
  hierarchy: Required<ScopeHierarchyConfig>;
  demo: boolean;
  fetchTimeoutMs: number;
  jwksCooldownMs: number;
  jwksMaxAgeMs: number;
  cacheMaxEntries: number;
  resourceName: string;
}

const bad = (where: string, message: string): never => {
  throw new UserInputError('AUTH_CONFIG_INVALID', message, { where: `auth.${where}` });
};

function url(where: string, v: string | undefined, required: boolean): string | undefined {
  if (v === undefined) return required ? bad(where, 'required key is missing') : undefined;
  try {
    const u = new URL(v);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') bad(where, `not an http(s) URL: ${v}`);
  } catch {
    bad(where, `not a URL: ${JSON.stringify(v)}`);
  }
  return v;
}

function nonNegative(where: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) bad(where, 'must be a number ≥ 0');
  return v;
}

export function resolveAuthConfig(cfg: AuthConfig): ResolvedAuthConfig {
  const demo = cfg.demo === true;
  // The demo issuer supplies keys in process; everything else needs a way to check tokens.
  if (!demo && !cfg.jwks_uri && !cfg.introspection)
    bad('jwks_uri', 'either auth.jwks_uri or auth.introspection must be set');
  // The demo issuer may use a URN; a real issuer is an https URL (RFC 8414 §2).
  const issuer =
    (demo ? cfg.issuer : url('issuer', cfg.issuer, true)) ?? 'urn:mcp-warden:demo-issuer';
  const algorithms = cfg.algorithms ?? [...DEFAULT_ALGORITHMS];
  if (algorithms.length === 0) bad('algorithms', 'must list at least one algorithm');
  algorithms.forEach((a, i) => {
    if (!ALLOWED_ALGORITHMS.has(a))
      bad(
        `algorithms[${i}]`,
        `${JSON.stringify(a)} is not allowed (asymmetric JWS algorithms only; RFC 8725 §3.1)`,
      );
  });
  const intro = cfg.introspection;
  if (intro) {
    url('introspection.endpoint', intro.endpoint, true);
    if (!intro.client_id) bad('introspection.client_id', 'required key is missing');
    if (!intro.client_secret) bad('introspection.client_secret', 'required key is missing');
  }
  const approvalScope = cfg.approval?.scope ?? 'approved:by:human';
  if (!/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(approvalScope))
    bad(
      'approval.scope',
      'a scope token is printable ASCII without space, " or \\ (RFC 6749 §3.3)',
    );
  const timeClaims = cfg.approval?.time_claims ?? [...DEFAULT_APPROVAL_TIME_CLAIMS];
  if (!Array.isArray(timeClaims) || timeClaims.length === 0)
    bad('approval.time_claims', 'must list at least one claim name');
  timeClaims.forEach((c, i) => {
    if (typeof c !== 'string' || !/^[A-Za-z0-9_.:-]{1,64}$/.test(c))
      bad(`approval.time_claims[${i}]`, `${JSON.stringify(c)} is not a claim name`);
  });
  const audiences = cfg.audience === undefined ? [] : [cfg.audience].flat();
  audiences.forEach((a, i) => url(`audience[${i}]`, a, true));
  return {
    issuer,
    jwksUri: url('jwks_uri', cfg.jwks_uri, false),
    audiences,
    approvalScope,
    approvalMaxAgeS: nonNegative('approval.max_age_s', cfg.approval?.max_age_s, 300),
    approvalTimeClaims: timeClaims,
    introspection: intro && {
      endpoint: intro.endpoint,
      client_id: intro.client_id,
      client_secret: intro.client_secret,
      auth_method: intro.auth_method ?? 'client_secret_basic',
      cache_max_s: nonNegative('introspection.cache_max_s', intro.cache_max_s, 60),
    },
    skewS: nonNegative('skew_s', cfg.skew_s, 60),
    algorithms,
    hierarchy: {
      separator: cfg.scope_hierarchy?.separator || ':',
      wildcard: cfg.scope_hierarchy?.wildcard ?? true,
      implies: cfg.scope_hierarchy?.implies ?? {},
    },
    demo,
    fetchTimeoutMs: nonNegative('fetch_timeout_ms', cfg.fetch_timeout_ms, 3000) || 3000,
    jwksCooldownMs: nonNegative('jwks_cooldown_ms', cfg.jwks_cooldown_ms, 30_000),
    jwksMaxAgeMs: nonNegative('jwks_max_age_ms', cfg.jwks_max_age_ms, 600_000),
    cacheMaxEntries: Math.floor(nonNegative('cache_max_entries', cfg.cache_max_entries, 10_000)),
    resourceName: cfg.resource_name ?? 'mcp-warden',
  };
}
