// Which of a client's request headers may reach an upstream on the drop-in route. Headers that
// say who the client is — set by an authenticating proxy in front of the gateway (oauth2-proxy's
// X-Auth-Request-*, X-Forwarded-User, X-Remote-User), by a browser (Cookie), or naming the
// client's hops (Forwarded, RFC 7239; X-Forwarded-*) — are claims the gateway did not verify.
// An upstream that trusts them (many do: "behind the proxy, X-Forwarded-User is the user") would
// act for whoever the client says it is, past the token the gateway checked. They are removed
// unless the upstream's `forward_headers` lists them. Authorization and Proxy-Authorization
// carry the client's credentials and never pass (MCP authorization spec: no token passthrough).

import type { IncomingHttpHeaders } from 'node:http';

/** Never forwarded, whatever `forward_headers` says: the client's own credentials. */
export const NEVER_FORWARDED: ReadonlySet<string> = new Set([
  'authorization',
  'proxy-authorization',
]);

const IDENTITY_EXACT = new Set([
  'cookie',
  'forwarded',
  'x-remote-user',
  'remote-user',
  'x-real-ip',
  'x-client-ip',
  'true-client-ip',
  'x-user',
  'x-email',
]);
const IDENTITY_PREFIX = ['x-forwarded-', 'x-auth-request-', 'x-remote-'];

/** A header that asserts who or where the client is (lower-case name). */
export function isIdentityHeader(name: string): boolean {
  return (
    NEVER_FORWARDED.has(name) ||
    IDENTITY_EXACT.has(name) ||
    IDENTITY_PREFIX.some((p) => name.startsWith(p))
  );
}

/**
 * Removes, in place, every identity header not in `allow` (lower-case names) and the client's
 * credentials in any case. Mutating the request's header object is deliberate: the drop-in
 * route hands `req.headers` to both of its senders (http-proxy and the undici pool), so one
 * call here covers every request it forwards.
 */
export function stripIdentityHeaders(
  headers: IncomingHttpHeaders,
  allow: readonly string[] = [],
): void {
  for (const name of Object.keys(headers)) {
    const k = name.toLowerCase();
    if (NEVER_FORWARDED.has(k) || (isIdentityHeader(k) && !allow.includes(k))) delete headers[name];
  }
}
