// The plain tools of the 2026-07-28 fixture: the tools-call-* scenarios, json-schema-2020-12,
// the SEP-2243 custom-header tool, and the diagnostic tools `server-stateless` (SEP-2575) probes
// by name in @modelcontextprotocol/conformance 0.2.0-alpha.12. The multi-round-trip tools are in
// mrtr.ts. Everything a tool sends before its result travels on the call's own response stream
// (2026-07-28 "Streamable HTTP": there is no other stream); the SDK upgrades the response to SSE
// when that happens.

import {
  fromJsonSchema,
  inputRequired,
  inputResponse,
  type CallToolResult,
  type McpServer,
  type ServerContext,
  type ServerNotifier,
} from '@modelcontextprotocol/server';
import { PNG_1X1, TEXTS, WAV_MINIMAL, mixedContent, sleep } from '../fixture/content.ts';
import { HARMLESS, NO_ARGS, text } from './shared.ts';

/** json-schema-2020-12 (SEP-1613, SEP-2106): every keyword must survive every hop unchanged. */
export const JSON_SCHEMA_2020_12 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: {
      $anchor: 'addressDef',
      type: 'object',
      properties: { street: { type: 'string' }, city: { type: 'string' } },
    },
  },
  properties: {
    name: { type: 'string' },
    address: { $ref: '#/$defs/address' },
    contactMethod: { type: 'string', enum: ['phone', 'email'] },
    phone: { type: 'string' },
    email: { type: 'string' },
  },
  allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
  if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
  then: { required: ['phone'] },
  else: { required: ['email'] },
  additionalProperties: false,
} as const;

/** The SEP-2243 tool: `region` is mirrored into the `Mcp-Param-Region` request header, which a
 * server (and any intermediary that rewrites the body) must keep equal to the body value. */
export const HEADER_TOOL = 'test_header_param';
const HEADER_SCHEMA = {
  type: 'object',
  properties: {
    region: { type: 'string', description: 'Region to echo', 'x-mcp-header': 'Region' },
  },
  required: ['region'],
};

// Converted once: each conversion compiles a validator.
const SCHEMA_2020_12 = fromJsonSchema<Record<string, unknown>>(JSON_SCHEMA_2020_12);
const HEADER_ARGS = fromJsonSchema<{ region: string }>(HEADER_SCHEMA);

type Run = (ctx: ServerContext) => CallToolResult | Promise<CallToolResult>;

const SIMPLE: [name: string, description: string, run: Run][] = [
  ['test_simple_text', 'Returns one text block', () => text(TEXTS.simple)],
  [
    'test_image_content',
    'Returns a PNG image',
    () => ({ content: [{ type: 'image', data: PNG_1X1, mimeType: 'image/png' }] }),
  ],
  [
    'test_audio_content',
    'Returns a WAV clip',
    () => ({ content: [{ type: 'audio', data: WAV_MINIMAL, mimeType: 'audio/wav' }] }),
  ],
  [
    'test_embedded_resource',
    'Returns an embedded text resource',
    () => ({
      content: [
        {
          type: 'resource',
          resource: {
            uri: 'test://embedded-resource',
            mimeType: 'text/plain',
            text: TEXTS.embedded,
          },
        },
      ],
    }),
  ],
  ['test_multiple_content_types', 'Returns text, an image and an embedded resource', mixedContent],
  // MCP "Tools" §Error Handling: execution errors are results with isError.
  [
    'test_error_handling',
    'Always fails with a tool execution error',
    () => ({ isError: true, content: [{ type: 'text', text: TEXTS.error }] }),
  ],
  [
    'test_tool_with_progress',
    'Reports progress 0, 50 and 100 of 100 when given a progress token',
    async (ctx) => {
      const token = ctx.mcpReq._meta?.progressToken;
      for (const progress of [0, 50, 100]) {
        if (progress) await sleep(50);
        if (token !== undefined)
          await ctx.mcpReq.notify({
            method: 'notifications/progress',
            params: { progressToken: token, progress, total: 100 },
          });
      }
      return text(`Progress reported for token ${String(token)}`);
    },
  ],
  [
    'test_tool_with_logging',
    'Sends three info log messages while it runs (only at or above the requested log level)',
    logThree,
  ],
  // server-stateless: 2026-07-28 sends log messages only for requests that set
  // `_meta["io.modelcontextprotocol/logLevel"]`; the SDK applies that filter to ctx.mcpReq.log.
  [
    'test_logging_tool',
    'Logs three messages; without a requested log level none is sent',
    logThree,
  ],
];

/** Every tool registerPlainTools registers, in registration order (tools/list order). */
export const PLAIN_TOOL_NAMES: readonly string[] = [
  ...SIMPLE.map(([name]) => name),
  'json_schema_2020_12_tool',
  HEADER_TOOL,
  'test_missing_capability',
  'test_streaming_elicitation',
  'test_trigger_tool_change',
  'test_trigger_prompt_change',
];

async function logThree(ctx: ServerContext): Promise<CallToolResult> {
  await ctx.mcpReq.log('info', 'Tool execution started', 'conformance-fixture26');
  await sleep(20);
  await ctx.mcpReq.log('info', 'Tool processing data', 'conformance-fixture26');
  await sleep(20);
  await ctx.mcpReq.log('info', 'Tool execution completed', 'conformance-fixture26');
  return text('Tool with logging executed successfully');
}

export function registerPlainTools(server: McpServer, notify: ServerNotifier): void {
  for (const [name, description, run] of SIMPLE)
    server.registerTool(
      name,
      { description, inputSchema: NO_ARGS, annotations: HARMLESS },
      (_args, ctx) => run(ctx),
    );

  server.registerTool(
    'json_schema_2020_12_tool',
    {
      description: 'Tool with JSON Schema 2020-12 features',
      inputSchema: SCHEMA_2020_12,
      annotations: HARMLESS,
    },
    (args) => text(`Received ${JSON.stringify(args)}`),
  );

  server.registerTool(
    HEADER_TOOL,
    {
      description: 'Echoes its region argument, which clients also send as Mcp-Param-Region',
      inputSchema: HEADER_ARGS,
      annotations: HARMLESS,
    },
    ({ region }) => text(`Region: ${region}`),
  );

  // server-stateless diagnostics (SEP-2575).
  server.registerTool(
    'test_missing_capability',
    {
      description: 'Needs the client sampling capability; without it: -32021',
      inputSchema: NO_ARGS,
      annotations: HARMLESS,
    },
    (_args, ctx) => {
      const answer = inputResponse(ctx.mcpReq.inputResponses, 'sample');
      if (answer.kind === 'sampling') return text('Sampling capability used');
      // 2026-07-28 "Lifecycle": a server MUST NOT rely on a capability the client did not declare
      // in this request's envelope. The SDK checks every input request of an input_required
      // result against the envelope and answers -32021 (HTTP 400) naming the missing capability
      // as a ClientCapabilities object; an error thrown here would become an isError result.
      return inputRequired({
        inputRequests: {
          sample: inputRequired.createMessage({
            messages: [{ role: 'user', content: { type: 'text', text: 'Say hello' } }],
            maxTokens: 20,
          }),
        },
      });
    },
  );
  server.registerTool(
    'test_streaming_elicitation',
    {
      description: 'Streams progress, then asks for input with an input_required result',
      inputSchema: NO_ARGS,
      annotations: HARMLESS,
    },
    async (_args, ctx) => {
      const answer = inputResponse(ctx.mcpReq.inputResponses, 'confirm');
      if (answer.kind === 'elicit') return text(`Streaming elicitation: ${answer.action}`);
      const token = ctx.mcpReq._meta?.progressToken;
      if (token !== undefined)
        await ctx.mcpReq.notify({
          method: 'notifications/progress',
          params: { progressToken: token, progress: 1, total: 2 },
        });
      // Never a server-to-client request on the stream (SEP-2575): the question is the result.
      return inputRequired({
        inputRequests: {
          confirm: inputRequired.elicit({
            message: 'Continue?',
            requestedSchema: {
              type: 'object',
              properties: { ok: { type: 'boolean' } },
              required: ['ok'],
            },
          }),
        },
      });
    },
  );
  // Test hooks: announce a list change on the open subscriptions/listen streams (the catalog
  // itself is fixed, so a client that re-lists sees the same list).
  server.registerTool(
    'test_trigger_tool_change',
    {
      description: 'Sends notifications/tools/list_changed',
      inputSchema: NO_ARGS,
      annotations: HARMLESS,
    },
    () => {
      notify.toolsChanged();
      return text('tools/list_changed sent');
    },
  );
  server.registerTool(
    'test_trigger_prompt_change',
    {
      description: 'Sends notifications/prompts/list_changed',
      inputSchema: NO_ARGS,
      annotations: HARMLESS,
    },
    () => {
      notify.promptsChanged();
      return text('prompts/list_changed sent');
    },
  );
}
