// Discovery of a 2026-07-28 upstream through the same code as a 2025-era one
// (upstream/discovery.ts): the list calls of an SDK Client, answered over ModernClient.
// `server/discover` stands in for `initialize` (MCP 2026-07-28 "Lifecycle": servers MUST
// implement it; it carries the capabilities and instructions initialize used to).

import type {
  ListPromptsResult,
  ListResourcesResult,
  ListResourceTemplatesResult,
  ListToolsResult,
  ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import type { Lister } from './discovery.ts';
import type { ModernClient } from './modern.ts';

class ListError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export function modernLister(
  client: ModernClient,
  discovered: Record<string, unknown>,
  /** Smallest `ttlMs` an upstream list answered with: the next refresh is due then. */
  onTtl?: (ttlMs: number) => void,
): Lister {
  const list = async <T>(method: string, cursor?: string): Promise<T> => {
    const a = await client.request(method, cursor ? { cursor } : {});
    if (a.error) throw new ListError(a.error.code, `${method}: ${a.error.message}`);
    const ttl = a.result?.ttlMs;
    if (typeof ttl === 'number' && ttl >= 0) onTtl?.(ttl);
    return a.result as T;
  };
  const p = (params?: { cursor?: string }) => params?.cursor;
  return {
    getServerCapabilities: () => (discovered.capabilities ?? {}) as ServerCapabilities,
    listTools: (params) => list<ListToolsResult>('tools/list', p(params)),
    listResources: (params) => list<ListResourcesResult>('resources/list', p(params)),
    listResourceTemplates: (params) =>
      list<ListResourceTemplatesResult>('resources/templates/list', p(params)),
    listPrompts: (params) => list<ListPromptsResult>('prompts/list', p(params)),
  } as Lister;
}
