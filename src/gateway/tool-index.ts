// Names a route exposes, mapped back to (upstream, tool). On /mcp tools and prompts are
// `<upstream>.<name>` (or their configured rename); on a drop-in route they keep the upstream's
// own names. Rebuilt when an upstream's catalog changes, so the per-request lookup is one Map
// access.

import { createHash } from 'node:crypto';
import type { Prompt } from '@modelcontextprotocol/sdk/types.js';
import type { ResolvedTool } from '../upstream/tools.ts';
import type { Upstream } from '../upstream/upstream.ts';

/** MCP 2025-11-25: tool names SHOULD be 1–128 characters. */
export const SPEC_MAX_TOOL_NAME = 128;

export interface IndexedTool {
  exposed: string;
  upstream: Upstream;
  tool: ResolvedTool;
}

export interface IndexedPrompt {
  exposed: string;
  upstream: Upstream;
  prompt: Prompt;
}

/**
 * Shortens a name beyond `max` to a prefix plus 8 hex digits of its SHA-256: stable across
 * restarts and replicas, and distinct for distinct long names with overwhelming probability.
 */
export function fitName(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, max - 9)}_${hash}`;
}

export class ToolIndex {
  private tools = new Map<string, IndexedTool>();
  private prompts = new Map<string, IndexedPrompt>();

  constructor(
    private readonly upstreams: Upstream[],
    private readonly opts: { prefix: boolean; maxNameLength: number },
  ) {
    this.rebuild();
  }

  rebuild(): void {
    const tools = new Map<string, IndexedTool>();
    const prompts = new Map<string, IndexedPrompt>();
    const max = Math.min(this.opts.maxNameLength, SPEC_MAX_TOOL_NAME);
    for (const upstream of this.upstreams) {
      for (const tool of upstream.catalog?.byName.values() ?? []) {
        const exposed = this.opts.prefix ? fitName(tool.exposedName, max) : tool.name;
        // First come wins on a collision (e.g. two renames to one name); config order decides.
        if (!tools.has(exposed)) tools.set(exposed, { exposed, upstream, tool });
      }
      for (const prompt of upstream.catalog?.prompts ?? []) {
        // Same naming as tools: `upstreams[].prompts.<name>.rename`, else `<upstream>.<prompt>`.
        const renamed = upstream.config.prompts?.[prompt.name]?.rename;
        const exposed = this.opts.prefix
          ? fitName(renamed ?? `${upstream.name}.${prompt.name}`, max)
          : prompt.name;
        if (!prompts.has(exposed)) prompts.set(exposed, { exposed, upstream, prompt });
      }
    }
    this.tools = tools;
    this.prompts = prompts;
  }

  tool(exposed: string): IndexedTool | undefined {
    return this.tools.get(exposed);
  }

  allTools(): IterableIterator<IndexedTool> {
    return this.tools.values();
  }

  prompt(exposed: string): IndexedPrompt | undefined {
    return this.prompts.get(exposed);
  }

  allPrompts(): IterableIterator<IndexedPrompt> {
    return this.prompts.values();
  }
}
