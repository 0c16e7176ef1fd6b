// Resource routing on the aggregated endpoint. Resource URIs are global, so they are not
// renamed; a read goes to the upstream that listed the URI, or whose template matches it.

import type { Upstream } from '../upstream/upstream.ts';

export interface CursorPos {
  /** Index into the resource-capable upstreams. */
  i: number;
  /** The upstream's own cursor. */
  c?: string;
}

export const encodeCursor = (p: CursorPos): string =>
  Buffer.from(JSON.stringify(p)).toString('base64url');

/** A malformed or foreign cursor restarts at the beginning rather than failing the listing. */
export function decodeCursor(cursor: string | undefined, count: number): CursorPos {
  if (!cursor) return { i: 0 };
  try {
    const p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as CursorPos;
    if (
      Number.isInteger(p.i) &&
      p.i >= 0 &&
      p.i < count &&
      (p.c === undefined || typeof p.c === 'string')
    )
      return p;
  } catch {
    // fall through
  }
  return { i: 0 };
}

/** RFC 6570 level-1 template match: literal parts in order, `{x}` matching one or more chars. */
function templateMatches(template: string, uri: string): boolean {
  const re = template
    .split(/\{[^}]*\}/)
    .map((lit) => lit.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.+');
  return new RegExp(`^${re}$`).test(uri);
}

export function resourceOwner(upstreams: Upstream[], uri: string): Upstream | undefined {
  for (const u of upstreams) if (u.catalog?.resources.some((r) => r.uri === uri)) return u;
  for (const u of upstreams)
    if (u.catalog?.resourceTemplates.some((t) => templateMatches(t.uriTemplate, uri))) return u;
  // Resources can be dynamic and unlisted; with one candidate there is no ambiguity.
  return upstreams.length === 1 ? upstreams[0] : undefined;
}
