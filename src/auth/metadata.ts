// RFC 9728 OAuth 2.0 Protected Resource Metadata, and the canonical resource URIs it talks
// about (RFC 8707 §2: absolute, no fragment; MCP authorization spec: lowercase scheme and host,
// no trailing slash unless semantically needed).

export const WELL_KNOWN_PRM = '/.well-known/oauth-protected-resource';

/** Canonical resource URI of a gateway route: `resourceUri('https://GW.example.com/', '/mcp')`
 * → `https://gw.example.com/mcp`. */
export function resourceUri(publicUrl: string, path: string): string {
  const base = new URL(publicUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const rel = path.startsWith('/') ? path : `/${path}`;
  return canonicalResource(`${base.origin}${basePath}${rel === '/' ? '' : rel}`);
}

export function canonicalResource(uri: string): string {
  const u = new URL(uri);
  u.hash = '';
  // URL already lowercases scheme and host and drops default ports.
  const s = u.toString();
  return u.pathname === '/' && !u.search ? s.replace(/\/$/, '') : s;
}

/**
 * RFC 9728 §3.1: the metadata URL inserts the well-known segment between the host and the
 * resource's path: `https://gw/u/db/mcp` → `https://gw/.well-known/oauth-protected-resource/u/db/mcp`.
 */
export function metadataUrlFor(resource: string): string {
  const u = new URL(resource);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  return `${u.origin}${WELL_KNOWN_PRM}${path}${u.search}`;
}

/** The path part of `metadataUrlFor`, for mounting the route. */
export const metadataPathFor = (resource: string): string =>
  new URL(metadataUrlFor(resource)).pathname;

/**
 * Inverse of `metadataUrlFor` for an incoming request path: which resource does
 * `/.well-known/oauth-protected-resource/u/db/mcp` describe? `undefined` when the path is not a
 * metadata path. The bare well-known path describes the origin itself (RFC 9728 §3.3 requires
 * `resource` to equal the identifier the URL was built from).
 */
export function resourceForMetadataPath(publicUrl: string, pathname: string): string | undefined {
  if (pathname !== WELL_KNOWN_PRM && !pathname.startsWith(`${WELL_KNOWN_PRM}/`)) return undefined;
  const suffix = pathname.slice(WELL_KNOWN_PRM.length);
  if (suffix.includes('/..') || suffix.includes('//')) return undefined;
  return canonicalResource(`${new URL(publicUrl).origin}${suffix || '/'}`);
}

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  scopes_supported: string[];
  bearer_methods_supported: ['header'];
  resource_name: string;
  [k: string]: unknown;
}

export function buildMetadata(
  resource: string,
  issuer: string,
  scopes: Iterable<string>,
  resourceName: string,
): ProtectedResourceMetadata {
  return {
    resource,
    // RFC 9728 §2: issuer identifiers of authorization servers usable with this resource.
    authorization_servers: [issuer],
    scopes_supported: [...new Set(scopes)].filter(Boolean).sort(),
    // Only the header: the MCP authorization spec forbids query tokens, and we do not read
    // bodies for tokens (RFC 6750 §2.2) either.
    bearer_methods_supported: ['header'],
    resource_name: resourceName,
  };
}
