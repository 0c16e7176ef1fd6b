// The capability manifest (PRODUCT.md: `/.well-known/mcp-capabilities`): what a route exposes
// and what each tool requires, so clients and registries can plan token scopes before calling.
// Built from the gateway's resolved catalog; `warden registry` prints the merged one.

export interface ManifestTool {
  name: string;
  scope: string;
  destructive: boolean;
  description?: string;
  input_schema: unknown;
}

export interface ManifestUpstream {
  name: string;
  transport: 'streamable_http' | 'stdio';
  url: string;
  ready: boolean;
  server?: { name: string; version: string };
  tools: number;
}

export interface CapabilityManifest {
  server: { name: string; version: string };
  transport: 'streamable_http';
  url: string;
  tools: ManifestTool[];
  upstreams: ManifestUpstream[];
}

export interface ManifestSource {
  /** Tools as the route exposes them. */
  tools: Iterable<{
    exposed: string;
    upstream?: { name: string };
    tool: {
      name?: string;
      scope: string;
      destructive: boolean;
      hidden: boolean;
      def: { description?: string; inputSchema: unknown };
    };
  }>;
  upstreams: Iterable<{
    name: string;
    kind: 'http' | 'stdio';
    ready: boolean;
    catalog?: { serverInfo?: { name: string; version: string }; byName: Map<string, unknown> };
  }>;
}

export function buildManifest(
  server: { name: string; version: string },
  /** The route's public URL (…/mcp or …/u/<name>/mcp). */
  url: string,
  upstreamUrl: (name: string) => string,
  src: ManifestSource,
  /** The registry's verdict: held and excluded tools are left out (src/registry). */
  opts: { gate?: (upstream: string, tool: string) => { ok: boolean } } = {},
): CapabilityManifest {
  const tools: ManifestTool[] = [];
  for (const { exposed, tool, upstream } of src.tools) {
    if (tool.hidden) continue;
    if (opts.gate && upstream && tool.name && !opts.gate(upstream.name, tool.name).ok) continue;
    tools.push({
      name: exposed,
      scope: tool.scope,
      destructive: tool.destructive,
      description: tool.def.description,
      input_schema: tool.def.inputSchema,
    });
  }
  tools.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const upstreams: ManifestUpstream[] = [...src.upstreams].map((u) => ({
    name: u.name,
    transport: u.kind === 'http' ? 'streamable_http' : 'stdio',
    url: upstreamUrl(u.name),
    ready: u.ready,
    server: u.catalog?.serverInfo && {
      name: u.catalog.serverInfo.name,
      version: u.catalog.serverInfo.version,
    },
    tools: u.catalog?.byName.size ?? 0,
  }));
  return { server, transport: 'streamable_http', url, tools, upstreams };
}

/** Every distinct scope the tools require, for RFC 9728 `scopes_supported`. */
export function scopesOf(manifest: Pick<CapabilityManifest, 'tools'>): string[] {
  return [...new Set(manifest.tools.map((t) => t.scope).filter(Boolean))].sort();
}
