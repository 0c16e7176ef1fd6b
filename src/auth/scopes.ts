// Scopes: reading them from claims, and deciding whether held scopes cover a needed one under the
// configured hierarchy. The hierarchy is compiled once (transitive closure of `implies`) so the
// per-request check is set lookups only.

import type { ScopeHierarchyConfig } from './config.ts';

/**
 * Scopes from `scope` (space-separated string; RFC 9068 §2.2.3, RFC 8693 §4.2) or `scp` (array,
 * or a string, as some servers emit). Duplicates and empty entries dropped.
 */
export function scopesFromClaims(claims: Record<string, unknown>): string[] {
  const out = new Set<string>();
  const add = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const s of v.split(' ')) if (s) out.add(s);
    } else if (Array.isArray(v)) {
      for (const s of v) if (typeof s === 'string' && s) out.add(s);
    }
  };
  add(claims.scope);
  add(claims.scp);
  return [...out];
}

/** The claims read for the approval time by default: only an explicit approval stamp. `iat`
 *  dates the token, not a human act, so it never counts unless configured. */
export const DEFAULT_APPROVAL_TIME_CLAIMS: readonly string[] = ['approved_at'];

/**
 * The approval time (unix seconds): the first of `claims` (`auth.approval.time_claims`, e.g.
 * `approved_at`, `auth_time` — OIDC Core §2, the last time the human authenticated) that the
 * token carries. Only a finite, non-negative JSON number counts (RFC 7519 §2 NumericDate); a
 * present claim of another shape (a string, an ISO date, null) is no approval, and the next
 * claim is not consulted: a malformed stamp is not an invitation to look for another one.
 */
export function approvalTime(
  claims: Record<string, unknown>,
  timeClaims: readonly string[] = DEFAULT_APPROVAL_TIME_CLAIMS,
): number | undefined {
  for (const k of timeClaims) {
    if (!Object.hasOwn(claims, k) || claims[k] === undefined) continue;
    const v = claims[k];
    return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
  }
  return undefined;
}

export interface ScopeMatcher {
  /** True when `held` covers `needed`. An empty `needed` is always covered. */
  covers(held: readonly string[], needed: string): boolean;
  /** True only for a literal grant: used for the approval scope, which records a human act and
   * must never be implied by a wildcard or an `implies` edge. */
  holdsExactly(held: readonly string[], scope: string): boolean;
}

export function compileScopeMatcher(cfg: Required<ScopeHierarchyConfig>): ScopeMatcher {
  const closure = transitiveClosure(cfg.implies);
  const sep = cfg.separator;
  const wildcardSuffix = `${sep}*`;

  const coversOne = (held: string, needed: string): boolean => {
    if (held === needed) return true;
    // `a:*` covers everything strictly below `a`: `a:b`, `a:b:c`.
    if (cfg.wildcard && held.endsWith(wildcardSuffix)) {
      const prefix = held.slice(0, -1); // keep the separator: "a:"
      if (needed.startsWith(prefix) && needed.length > prefix.length) return true;
    }
    return false;
  };

  // Expanded held sets are memoised per scope list identity: a Subject's scopes array is
  // created once per verified token and reused from the cache on every request.
  const expanded = new WeakMap<readonly string[], string[]>();
  const expand = (held: readonly string[]): string[] => {
    let e = expanded.get(held);
    if (!e) {
      const set = new Set(held);
      for (const h of held) for (const implied of closure.get(h) ?? []) set.add(implied);
      e = [...set];
      expanded.set(held, e);
    }
    return e;
  };

  return {
    covers(held, needed) {
      if (!needed) return true;
      for (const h of expand(held)) if (coversOne(h, needed)) return true;
      return false;
    },
    holdsExactly: (held, scope) => held.includes(scope),
  };
}

function transitiveClosure(implies: Record<string, string[]>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const visit = (s: string, acc: Set<string>): void => {
    for (const next of implies[s] ?? [])
      if (!acc.has(next)) {
        acc.add(next);
        visit(next, acc);
      }
  };
  for (const s of Object.keys(implies)) {
    const acc = new Set<string>();
    visit(s, acc);
    out.set(s, acc);
  }
  return out;
}
