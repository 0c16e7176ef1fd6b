// Resources, the resource template, prompts and completions of the 2026-07-28 fixture
// (resources-*, sep-2164-resource-not-found, caching, prompts-*, completion-complete in
// @modelcontextprotocol/conformance 0.2.0-alpha.12). Same names and payloads as the 2025 fixture
// (../fixture/catalog.ts), registered on an SDK v2 McpServer.

import {
  ProtocolError,
  ProtocolErrorCode,
  ResourceTemplate,
  fromJsonSchema,
  type CacheHint,
  type CompleteResult,
  type McpServer,
} from '@modelcontextprotocol/server';
import { PNG_1X1, TEXTS } from '../fixture/content.ts';

/** The catalog never changes, so every client and intermediary may cache it (2026-07-28
 * "Caching": `public` = no user-specific data). A gateway whose answers vary by authorization
 * must not pass this scope through unchanged — which is what this hint lets a test observe. */
export const PUBLIC_HINT: CacheHint = { ttlMs: 60_000, cacheScope: 'public' };

const TEMPLATE = 'test://template/{id}/data';

/** Prompt argument schemas as plain JSON Schema, converted once (each conversion compiles). */
const ARGS = {
  withArguments: fromJsonSchema<{ arg1: string; arg2: string }>({
    type: 'object',
    properties: {
      arg1: { type: 'string', description: 'First test argument' },
      arg2: { type: 'string', description: 'Second test argument' },
    },
    required: ['arg1', 'arg2'],
  }),
  embedded: fromJsonSchema<{ resourceUri: string }>({
    type: 'object',
    properties: { resourceUri: { type: 'string', description: 'URI of the resource' } },
    required: ['resourceUri'],
  }),
};

export const PROMPT_NAMES = [
  'test_simple_prompt',
  'test_prompt_with_arguments',
  'test_prompt_with_embedded_resource',
  'test_prompt_with_image',
] as const;

const text = (t: string) => ({ type: 'text' as const, text: t });

export function registerResources(server: McpServer): void {
  server.registerResource(
    'static-text',
    'test://static-text',
    { description: 'A fixed text resource', mimeType: 'text/plain', cacheHint: PUBLIC_HINT },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: TEXTS.staticText }] }),
  );
  server.registerResource(
    'static-binary',
    'test://static-binary',
    { description: 'A fixed binary resource (PNG)', mimeType: 'image/png', cacheHint: PUBLIC_HINT },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG_1X1 }] }),
  );
  server.registerResource(
    'watched-resource',
    'test://watched-resource',
    { description: 'A resource clients may watch', mimeType: 'text/plain' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: TEXTS.watched }] }),
  );
  server.registerResource(
    'template-data',
    new ResourceTemplate(TEMPLATE, { list: undefined }),
    {
      description: 'JSON data for an id (RFC 6570 level 1 template)',
      mimeType: 'application/json',
    },
    (uri, vars) => {
      const id = String(vars.id);
      const data = { id, templateTest: true, data: `Data for ID: ${id}` };
      return {
        contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(data) }],
      };
    },
  );
  // An unknown URI is answered by the SDK itself: -32602 with `data.uri` (SEP-2164; 2026-07-28
  // "Resources" §Error Handling).
}

export function registerPrompts(server: McpServer): void {
  server.registerPrompt(
    'test_simple_prompt',
    { description: 'A prompt without arguments' },
    () => ({ messages: [{ role: 'user', content: text(TEXTS.simplePrompt) }] }),
  );
  server.registerPrompt(
    'test_prompt_with_arguments',
    { description: 'A prompt that substitutes two arguments', argsSchema: ARGS.withArguments },
    ({ arg1, arg2 }) => ({
      messages: [
        { role: 'user', content: text(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`) },
      ],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    { description: 'A prompt that embeds a resource', argsSchema: ARGS.embedded },
    ({ resourceUri }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: { uri: resourceUri, mimeType: 'text/plain', text: TEXTS.promptEmbedded },
          },
        },
        { role: 'user', content: text('Please process the embedded resource above.') },
      ],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_image',
    { description: 'A prompt with an image' },
    () => ({
      messages: [
        { role: 'user', content: { type: 'image', data: PNG_1X1, mimeType: 'image/png' } },
        { role: 'user', content: text('Please analyze the image above.') },
      ],
    }),
  );
}

const CANDIDATES: Record<string, string[]> = {
  arg1: ['paris', 'park', 'party', 'test', 'testValue1'],
  arg2: ['world', 'work', 'test', 'testValue2'],
  id: ['1', '2', '3', '123'],
};

/**
 * MCP "Completion": values that start with the typed prefix, at most 100. Registered by hand
 * because the SDK's own completion support needs zod-typed (`completable`) arguments, and the
 * fixture declares its schemas as plain JSON Schema.
 */
export function registerCompletion(server: McpServer): void {
  server.server.setRequestHandler('completion/complete', (req): CompleteResult => {
    const { ref, argument } = req.params;
    const known =
      (ref.type === 'ref/prompt' && (PROMPT_NAMES as readonly string[]).includes(ref.name)) ||
      (ref.type === 'ref/resource' && ref.uri === TEMPLATE);
    if (!known)
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'Unknown completion reference');
    const values = (CANDIDATES[argument.name] ?? []).filter((v) => v.startsWith(argument.value));
    return { completion: { values: values.slice(0, 100), total: values.length, hasMore: false } };
  });
}
