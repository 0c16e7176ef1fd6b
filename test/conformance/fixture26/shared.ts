// Small pieces the fixture26 tool modules share.

import {
  CLIENT_CAPABILITIES_META_KEY,
  fromJsonSchema,
  type CallToolResult,
  type ClientCapabilities,
  type ServerContext,
  type ToolAnnotations,
} from '@modelcontextprotocol/server';

/** No fixture tool changes anything outside its reply; the annotations say so (MCP's defaults
 * assume a destructive, open-world tool). */
export const HARMLESS: ToolAnnotations = {
  readOnlyHint: true,
  destructiveHint: false,
  openWorldHint: false,
};

/** The schema of the tools without arguments, converted once (each conversion compiles). */
export const NO_ARGS = fromJsonSchema<Record<string, never>>({ type: 'object', properties: {} });

export const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }] });

/** The capabilities this request's envelope declares (2026-07-28: per request, not per session).
 * A 2025-era request has no envelope; it is treated as declaring nothing. */
export function clientCapabilities(ctx: ServerContext): ClientCapabilities {
  // The SDK types the envelope as `{}`; the key is the spec's reserved name.
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  return (envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined) ?? {};
}
