// The registry's HTTP surface, under /registry:
//   GET /registry/v0.1/servers            the MCP Registry API list (modelcontextprotocol/registry
//                                         docs/reference/api/openapi.yaml, `ServerList`):
//                                         `search` (substring of the name), `limit`, `cursor`,
//                                         `updated_since` (RFC 3339)
//   GET /registry/v0.1/servers/{name}[/versions[/{version}|/latest]]   one server
//   GET /registry/tools?q=&limit=         ranked tool search across upstreams
// Each upstream is one server.json (docs/reference/server-json/server.schema.json) whose
// `remotes` point at the gateway's drop-in route; what the gateway knows beyond server.json
// (health, excluded tools, holds with their diff, screening findings) travels in the
// response's registry-managed `_meta` under our own reverse-DNS key, as the API allows.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../transport/errors.ts';
import type { UpstreamEntry } from './entry.ts';
import type { Registry } from './registry.ts';

export const SERVER_SCHEMA =
  'https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json';
export const OFFICIAL_META = 'io.modelcontextprotocol.registry/official';
export const WARDEN_META = 'io.github.mcp-warden/registry';
const DEFAULT_LIMIT = 30;
const MAX_LIMIT = 100;

const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

export function serverName(r: Registry, upstream: string): string {
  return `${r.namespace}/${upstream}`;
}

export function serverResponse(r: Registry, e: UpstreamEntry) {
  const info = e.serverInfo;
  const visible = [...e.tools.values()].filter((t) => !t.resolved?.hidden);
  const server: Record<string, unknown> = {
    $schema: SERVER_SCHEMA,
    name: serverName(r, e.name),
    description: clip(
      info?.description?.trim() ||
        `${info?.name ?? e.name} via mcp-warden (${visible.length} tools)`,
      100,
    ),
    version: clip(info?.version || '0.0.0', 255),
    remotes: [
      { type: 'streamable-http', url: `${r.publicUrl}/u/${encodeURIComponent(e.name)}/mcp` },
    ],
  };
  if (info?.title?.trim()) server.title = clip(info.title.trim(), 100);
  const now = new Date().toISOString();
  return {
    server,
    _meta: {
      [OFFICIAL_META]: {
        status: 'active',
        publishedAt: e.publishedAt ?? now,
        updatedAt: e.updatedAt ?? e.publishedAt ?? now,
        isLatest: true,
      },
      [WARDEN_META]: {
        upstream: e.name,
        transport: e.kind === 'http' ? 'streamable_http' : 'stdio',
        health: e.health,
        error: e.error,
        failures: e.failures,
        next_retry_at: e.nextRetryAt,
        last_refresh_at: e.lastRefreshAt,
        protocol_revision: e.revision,
        tools: visible.map((t) => ({
          name: t.name,
          exposed: t.resolved?.exposedName,
          scope: t.resolved?.scope,
          destructive: t.resolved?.destructive,
          status: t.status,
          hold: t.hold,
          diff: t.diff,
          findings: t.findings.length ? t.findings : undefined,
        })),
        excluded: e.invalid,
      },
    },
  };
}

const bad = (res: ServerResponse, status: number, error: string) =>
  sendJson(res, status, { error });

function list(r: Registry, q: URLSearchParams, res: ServerResponse): void {
  const rawLimit = q.get('limit');
  const limit = rawLimit === null ? DEFAULT_LIMIT : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1)
    return bad(res, 400, 'limit must be a positive integer');
  const since = q.get('updated_since');
  const sinceMs = since === null ? undefined : Date.parse(since);
  if (sinceMs !== undefined && Number.isNaN(sinceMs))
    return bad(res, 400, 'updated_since must be an RFC 3339 date-time');
  let after: string | undefined;
  const cursor = q.get('cursor');
  if (cursor) {
    try {
      after = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as string;
      if (typeof after !== 'string') throw new Error('cursor');
    } catch {
      return bad(res, 400, 'invalid cursor');
    }
  }
  const search = q.get('search')?.toLowerCase();
  const all = r
    .entries()
    .map((e) => ({ e, name: serverName(r, e.name) }))
    .filter(({ name }) => !search || name.toLowerCase().includes(search))
    .filter(({ e }) => sinceMs === undefined || Date.parse(e.updatedAt ?? '') >= sinceMs)
    .filter(({ name }) => after === undefined || name > after)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const page = all.slice(0, Math.min(limit, MAX_LIMIT));
  const more = all.length > page.length;
  const metadata: Record<string, unknown> = { count: page.length };
  if (more)
    metadata.nextCursor = Buffer.from(JSON.stringify(page.at(-1)!.name)).toString('base64url');
  sendJson(res, 200, { servers: page.map(({ e }) => serverResponse(r, e)), metadata });
}

function tools(r: Registry, q: URLSearchParams, res: ServerResponse): void {
  const rawLimit = q.get('limit');
  const limit = rawLimit === null ? 20 : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1)
    return bad(res, 400, 'limit must be a positive integer');
  const query = q.get('q') ?? '';
  const { total, hits } = r.search(query, Math.min(limit, MAX_LIMIT));
  sendJson(res, 200, {
    query,
    total,
    tools: hits.map((h) => ({
      name: h.exposed,
      upstream: h.upstream,
      tool: h.name,
      title: h.title,
      description: h.description,
      scope: h.scope,
      destructive: h.destructive,
      status: h.status,
      score: h.score,
    })),
  });
}

export async function handleRegistryRequest(
  r: Registry,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<boolean> {
  if (path !== '/registry' && !path.startsWith('/registry/')) return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    sendJson(res, 405, { error: `Method ${req.method} not allowed` }, { allow: 'GET' });
    return true;
  }
  const q = new URL(req.url ?? '/', 'http://x').searchParams;
  if (path === '/registry/v0.1/servers') list(r, q, res);
  else if (path === '/registry/tools') tools(r, q, res);
  else if (path.startsWith('/registry/v0.1/servers/')) {
    // The name is one URL-encoded segment ("com.example%2Ftickets"); tolerate it unencoded.
    const rest = path.slice('/registry/v0.1/servers/'.length);
    const m = /^(.*?)(?:\/versions(?:\/([^/]+))?)?$/.exec(rest)!;
    let name: string;
    try {
      name = decodeURIComponent(m[1]);
    } catch {
      bad(res, 400, 'invalid server name');
      return true;
    }
    const e = r.entries().find((x) => serverName(r, x.name) === name);
    const version = m[2] && decodeURIComponent(m[2]);
    const doc = e && serverResponse(r, e);
    if (!e || !doc || (version && version !== 'latest' && version !== doc.server.version))
      bad(res, 404, 'Server not found');
    else if (rest.endsWith('/versions'))
      sendJson(res, 200, { servers: [doc], metadata: { count: 1 } });
    else sendJson(res, 200, doc);
  } else bad(res, 404, `Not found: ${path}`);
  return true;
}
