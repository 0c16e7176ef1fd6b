// Discovery of one upstream over an SDK Client: every page of tools, resources, resource
// templates and prompts (MCP 2025-11-25 "Pagination": follow nextCursor until absent), and
// the upstream's own capability manifest when it publishes one.

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  ErrorCode,
  type Prompt,
  type Resource,
  type ResourceTemplate,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js';

/** Guards against an upstream that hands out cursors forever. */
const MAX_PAGES = 1000;

export interface Listing {
  tools: Tool[];
  resources: Resource[];
  resourceTemplates: ResourceTemplate[];
  prompts: Prompt[];
}

/** Servers may advertise `resources` yet not implement every list (e.g. templates): an absent
 * method (-32601) is an empty list, anything else is a discovery failure. */
async function optional<T>(p: Promise<T[]>): Promise<T[]> {
  try {
    return await p;
  } catch (e) {
    if ((e as { code?: number }).code === ErrorCode.MethodNotFound) return [];
    throw e;
  }
}

async function allPages<T>(
  fetchPage: (cursor?: string) => Promise<{ nextCursor?: string; items: T[] }>,
): Promise<T[]> {
  const out: T[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await fetchPage(cursor);
    out.push(...r.items);
    if (!r.nextCursor || r.nextCursor === cursor) break;
    cursor = r.nextCursor;
  }
  return out;
}

/** What discovery needs of a client: an SDK Client (2025 era) or the 2026-07-28 lister
 * (upstream/modern-lister.ts). */
export type Lister = Pick<
  Client,
  'getServerCapabilities' | 'listTools' | 'listResources' | 'listResourceTemplates' | 'listPrompts'
>;

export async function listTools(client: Lister, opts: RequestOptions): Promise<Tool[]> {
  if (!client.getServerCapabilities()?.tools) return [];
  return allPages(async (cursor) => {
    const r = await client.listTools(cursor ? { cursor } : undefined, opts);
    return { nextCursor: r.nextCursor, items: r.tools };
  });
}

export async function discover(client: Lister, opts: RequestOptions): Promise<Listing> {
  const caps = client.getServerCapabilities() ?? {};
  const [tools, resources, resourceTemplates, prompts] = await Promise.all([
    listTools(client, opts),
    caps.resources
      ? optional(
          allPages(async (cursor) => {
            const r = await client.listResources(cursor ? { cursor } : undefined, opts);
            return { nextCursor: r.nextCursor, items: r.resources };
          }),
        )
      : [],
    caps.resources
      ? optional(
          allPages(async (cursor) => {
            const r = await client.listResourceTemplates(cursor ? { cursor } : undefined, opts);
            return { nextCursor: r.nextCursor, items: r.resourceTemplates };
          }),
        )
      : [],
    caps.prompts
      ? optional(
          allPages(async (cursor) => {
            const r = await client.listPrompts(cursor ? { cursor } : undefined, opts);
            return { nextCursor: r.nextCursor, items: r.prompts };
          }),
        )
      : [],
  ]);
  return { tools, resources, resourceTemplates, prompts };
}

/**
 * GETs an upstream's /.well-known/mcp-capabilities (or the configured manifest_url). Absent
 * (404, network error, not JSON, a redirect to another origin) means "no manifest":
 * annotations and defaults apply instead.
 */
export async function fetchManifest(
  url: string,
  timeoutMs: number,
  headers: Record<string, string>,
): Promise<unknown> {
  try {
    const res = await fetchSameOrigin(url, {
      headers: { accept: 'application/json', ...headers },
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) return undefined;
    return await res.json();
  } catch {
    return undefined;
  }
}

/** A redirect the gateway refused to follow: it left the origin the request was made to. */
export class CrossOriginRedirectError extends Error {
  readonly code = 'UPSTREAM_CROSS_ORIGIN_REDIRECT';
  constructor(from: string, to: string) {
    super(`redirect from ${new URL(from).origin} to another origin (${to}) not followed`);
  }
}

/**
 * A GET with the upstream's credentials in `init.headers` that follows redirects only within
 * the origin it started at (RFC 6454 origin: scheme, host, port), at most `maxHops` times. The
 * fetch standard drops only `Authorization` on a cross-origin redirect (Fetch §4.4 step 14);
 * an upstream's credentials are often other headers (`x-api-key`, a cookie) and would travel
 * to wherever the upstream — or whoever controls its redirects — points. A redirect elsewhere
 * is an error instead (CrossOriginRedirectError).
 */
export async function fetchSameOrigin(
  url: string,
  init: RequestInit,
  maxHops = 3,
): Promise<Response> {
  const origin = new URL(url).origin;
  let at = url;
  for (let hop = 0; ; hop++) {
    const res = await fetch(at, { ...init, redirect: 'manual' });
    const location = res.headers.get('location');
    if (res.status < 300 || res.status > 399 || location === null) return res;
    await res.body?.cancel();
    const next = new URL(location, at);
    if (next.origin !== origin) throw new CrossOriginRedirectError(at, next.origin);
    if (hop >= maxHops) throw new Error(`more than ${maxHops} redirects from ${url}`);
    at = next.href;
  }
}

/** `/.well-known/mcp-capabilities` at the origin of an upstream MCP URL. */
export function defaultManifestUrl(mcpUrl: string): string {
  return new URL('/.well-known/mcp-capabilities', mcpUrl).href;
}
