// Each upstream tool's security attributes, decided once per discovery (not per request).
// Precedence (issue #4): config override › upstream manifest › annotations › default_scope.

import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ToolOverride } from '../config/schema.ts';

/** One entry of an upstream's own /.well-known/mcp-capabilities, as far as we read it. */
export interface ManifestTool {
  name: string;
  scope?: string;
  destructive?: boolean;
}

export interface ResolvedTool {
  /** The upstream's own name. */
  name: string;
  /** Name exposed on the aggregated endpoint (`<upstream>.<tool>` unless renamed). */
  exposedName: string;
  scope: string;
  destructive: boolean;
  /** Where the scope came from, for `warden registry` and debugging. */
  source: 'config' | 'manifest' | 'default';
  hidden: boolean;
  /** The tool definition as the upstream listed it. */
  def: Tool;
}

/**
 * MCP 2025-11-25 ToolAnnotations: hints default to readOnlyHint=false, destructiveHint=true, and
 * destructiveHint is meaningful only when readOnlyHint is false. So a tool is destructive unless
 * it says it is read-only or says destructiveHint: false. Annotations are untrusted hints: that
 * is why config and manifest win over them.
 */
export function destructiveFromAnnotations(a: Tool['annotations']): boolean {
  if (a?.readOnlyHint === true) return false;
  return a?.destructiveHint !== false;
}

export function resolveTool(
  upstream: string,
  def: Tool,
  opts: { override?: ToolOverride; manifest?: ManifestTool; defaultScope: string },
): ResolvedTool {
  const { override, manifest } = opts;
  const scope = override?.scope ?? manifest?.scope ?? opts.defaultScope;
  const destructive =
    override?.destructive ?? manifest?.destructive ?? destructiveFromAnnotations(def.annotations);
  const source =
    override?.scope !== undefined
      ? 'config'
      : manifest?.scope !== undefined
        ? 'manifest'
        : 'default';
  return {
    name: def.name,
    exposedName: override?.rename ?? `${upstream}.${def.name}`,
    scope,
    destructive,
    source,
    hidden: override?.hidden === true,
    def,
  };
}

/** Parses the `tools` of an upstream manifest leniently: unknown or ill-typed entries are skipped. */
export function manifestTools(doc: unknown): Map<string, ManifestTool> {
  const out = new Map<string, ManifestTool>();
  const tools = (doc as { tools?: unknown })?.tools;
  if (!Array.isArray(tools)) return out;
  for (const t of tools) {
    if (!t || typeof t !== 'object' || typeof (t as ManifestTool).name !== 'string') continue;
    const { name, scope, destructive } = t as ManifestTool;
    out.set(name, {
      name,
      scope: typeof scope === 'string' && scope ? scope : undefined,
      destructive: typeof destructive === 'boolean' ? destructive : undefined,
    });
  }
  return out;
}
