// Resource routing on the aggregated endpoint. Resource URIs are global, so they are not
// renamed; a read goes to the upstream that listed the URI, or whose template matches it.
// Listing walks the upstreams in order with a cursor that encodes (upstream index, upstream
// cursor) (MCP 2025-11-25 "Pagination": cursors are opaque to the client).

import {
  ListResourceTemplatesRequestSchema,
  ListResourcesRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  ReadResourceResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Upstream } from '../upstream/upstream.ts';
import {
  relayOptions,
  upstreamParams,
  type Extra,
  type SessionPort,
  relayRequest,
} from './relay.ts';
import type { RouteContext } from './route-context.ts';

/** The route's upstreams that declare `resources`, in config order. */
export const resourceUpstreams = (route: RouteContext): Upstream[] =>
  route.upstreams.filter((u) => u.catalog?.capabilities.resources);

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

/** resources/list, resources/templates/list and resources/read on a served route. */
export function installResources(session: SessionPort): void {
  const { server, route } = session;
  const listPaged = async <K extends 'resources' | 'resourceTemplates'>(
    key: K,
    cursor: string | undefined,
    extra: Extra,
  ) => {
    const ups = resourceUpstreams(route);
    const pos = decodeCursor(cursor, ups.length);
    const upstream = ups[pos.i];
    if (!upstream) return { [key]: [] } as never;
    const params = pos.c ? { cursor: pos.c } : undefined;
    const opts = relayOptions(extra, upstream.config.timeout_ms);
    const page: { nextCursor?: string } = await session.forward(
      upstream,
      extra,
      (c): Promise<{ nextCursor?: string }> =>
        key === 'resources' ? c.listResources(params, opts) : c.listResourceTemplates(params, opts),
      key === 'resources' ? 'resources/list' : 'resources/templates/list',
    );
    const next = page.nextCursor
      ? { i: pos.i, c: page.nextCursor }
      : pos.i + 1 < ups.length
        ? { i: pos.i + 1 }
        : undefined;
    return {
      [key]: (page as Record<string, unknown>)[key],
      nextCursor: next && encodeCursor(next),
    } as never;
  };
  server.setRequestHandler(ListResourcesRequestSchema, (req, extra) =>
    listPaged('resources', req.params?.cursor, extra),
  );
  server.setRequestHandler(ListResourceTemplatesRequestSchema, (req, extra) =>
    listPaged('resourceTemplates', req.params?.cursor, extra),
  );
  server.setRequestHandler(ReadResourceRequestSchema, async (req, extra) => {
    const upstream = resourceOwner(resourceUpstreams(route), req.params.uri);
    if (!upstream) throw new McpError(-32002, `Resource not found: ${req.params.uri}`);
    return relayRequest(
      session,
      upstream,
      extra,
      'resources/read',
      upstreamParams(req.params),
      ReadResourceResultSchema,
    );
  });
}
