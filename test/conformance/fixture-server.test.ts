// The conformance fixture upstream, driven by the real SDK client over Streamable HTTP: every
// fixture the suite's active server scenarios call, and the transport rules it must keep
// (sessions, DNS-rebinding protection), so a `direct` failure means the suite changed, not us.

import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { startFixtureServer, type FixtureServer } from './fixture-server.ts';
import { TEXTS, SEP1330_SCHEMA } from './fixture/content.ts';

let fx: FixtureServer;
const open: Client[] = [];

async function connect(): Promise<Client> {
  const c = new Client(
    { name: 'fixture-test', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: {} } },
  );
  await c.connect(new StreamableHTTPClientTransport(new URL(fx.url)));
  open.push(c);
  return c;
}

const post = (headers: Record<string, string>, body: unknown) =>
  fetch(fx.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...headers,
    },
    body: JSON.stringify(body),
  });

const INIT = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 't', version: '1' },
  },
};

beforeAll(async () => {
  fx = await startFixtureServer();
});
afterAll(async () => {
  await Promise.allSettled(open.map((c) => c.close()));
  await fx.close();
});

describe('fixture upstream: tools', () => {
  it('lists every tool the active scenarios call, each with a description and schema', async () => {
    const c = await connect();
    const { tools } = await c.listTools();
    const names = tools.map((t) => t.name);
    for (const n of [
      'test_simple_text',
      'test_image_content',
      'test_audio_content',
      'test_embedded_resource',
      'test_multiple_content_types',
      'test_tool_with_logging',
      'test_tool_with_progress',
      'test_error_handling',
      'test_sampling',
      'test_elicitation',
      'test_elicitation_sep1034_defaults',
      'test_elicitation_sep1330_enums',
      'json_schema_2020_12_tool',
    ])
      expect(names).toContain(n);
    for (const t of tools) {
      expect(t.description).toBeTruthy();
      expect(t.inputSchema.type).toBe('object');
      expect(t.annotations?.destructiveHint).toBe(false);
    }
    const js = tools.find((t) => t.name === 'json_schema_2020_12_tool')!.inputSchema;
    expect(js).toMatchObject({ $defs: { address: {} }, additionalProperties: false });
  });

  it('returns text, image, audio, embedded and mixed content', async () => {
    const c = await connect();
    const call = (name: string) => c.callTool({ name, arguments: {} });
    expect((await call('test_simple_text')).content).toEqual([
      { type: 'text', text: TEXTS.simple },
    ]);
    expect((await call('test_image_content')).content).toMatchObject([
      { type: 'image', mimeType: 'image/png' },
    ]);
    const audio = (await call('test_audio_content')).content as { data: string }[];
    expect(Buffer.from(audio[0].data, 'base64').subarray(0, 4).toString()).toBe('RIFF');
    expect((await call('test_embedded_resource')).content).toMatchObject([
      { type: 'resource', resource: { uri: 'test://embedded-resource', text: TEXTS.embedded } },
    ]);
    const mixed = (await call('test_multiple_content_types')).content as { type: string }[];
    expect(mixed.map((m) => m.type)).toEqual(['text', 'image', 'resource']);
  });

  it('reports a tool error as a result and an unknown tool as -32602', async () => {
    const c = await connect();
    const r = await c.callTool({ name: 'test_error_handling', arguments: {} });
    expect(r).toMatchObject({ isError: true, content: [{ type: 'text', text: TEXTS.error }] });
    await expect(c.callTool({ name: 'nope', arguments: {} })).rejects.toMatchObject({
      code: -32602,
    });
  });

  it('sends progress 0, 50, 100 for a progress token', async () => {
    const c = await connect();
    const seen: number[] = [];
    await c.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, {
      onprogress: (p) => seen.push(p.progress),
    });
    expect(seen).toEqual([0, 50, 100]);
  });

  it('sends log messages at or above the level set with logging/setLevel', async () => {
    const c = await connect();
    const logs: LoggingMessageNotification['params'][] = [];
    c.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params));
    await c.setLoggingLevel('debug');
    await c.callTool({ name: 'test_tool_with_logging', arguments: {} });
    expect(logs.map((l) => l.data)).toEqual([
      'Tool execution started',
      'Tool processing data',
      'Tool execution completed',
    ]);
    logs.length = 0;
    await c.setLoggingLevel('warning');
    await c.callTool({ name: 'test_tool_with_logging', arguments: {} });
    expect(logs).toEqual([]);
  });

  it('asks the client for sampling and elicitation and returns the answers', async () => {
    const c = await connect();
    let prompt = '';
    c.setRequestHandler(CreateMessageRequestSchema, (req) => {
      const content = req.params.messages[0].content;
      prompt = 'text' in content ? String(content.text) : '';
      return { role: 'assistant', content: { type: 'text', text: 'hi' }, model: 'm' };
    });
    const schemas: unknown[] = [];
    c.setRequestHandler(ElicitRequestSchema, (req) => {
      schemas.push('requestedSchema' in req.params ? req.params.requestedSchema : undefined);
      return { action: 'decline' };
    });
    const s = await c.callTool({ name: 'test_sampling', arguments: { prompt: 'P' } });
    expect(prompt).toBe('P');
    expect(s.content).toEqual([{ type: 'text', text: 'LLM response: hi' }]);
    const e = await c.callTool({ name: 'test_elicitation', arguments: { message: 'M' } });
    expect(e.content).toEqual([
      { type: 'text', text: 'User response: action=decline, content={}' },
    ]);
    await c.callTool({ name: 'test_elicitation_sep1330_enums', arguments: {} });
    expect(schemas[1]).toEqual(SEP1330_SCHEMA);
  });
});

describe('fixture upstream: resources, prompts, completion', () => {
  it('reads the static, binary and templated resources; unknown is -32002', async () => {
    const c = await connect();
    expect((await c.listResources()).resources.map((r) => r.uri)).toEqual([
      'test://static-text',
      'test://static-binary',
      'test://watched-resource',
    ]);
    expect((await c.readResource({ uri: 'test://static-text' })).contents[0]).toMatchObject({
      mimeType: 'text/plain',
      text: TEXTS.staticText,
    });
    expect((await c.readResource({ uri: 'test://static-binary' })).contents[0]).toHaveProperty(
      'blob',
    );
    const t = await c.readResource({ uri: 'test://template/123/data' });
    const first = t.contents[0];
    expect(JSON.parse('text' in first ? first.text : '')).toEqual({
      id: '123',
      templateTest: true,
      data: 'Data for ID: 123',
    });
    await expect(c.readResource({ uri: 'test://missing' })).rejects.toMatchObject({
      code: -32002,
    });
    await c.subscribeResource({ uri: 'test://watched-resource' });
    await c.unsubscribeResource({ uri: 'test://watched-resource' });
  });

  it('serves the four prompts and completes prompt arguments by prefix', async () => {
    const c = await connect();
    expect((await c.listPrompts()).prompts.map((p) => p.name)).toHaveLength(4);
    const p = await c.getPrompt({
      name: 'test_prompt_with_arguments',
      arguments: { arg1: 'a', arg2: 'b' },
    });
    expect(p.messages[0].content).toEqual({
      type: 'text',
      text: "Prompt with arguments: arg1='a', arg2='b'",
    });
    const e = await c.getPrompt({
      name: 'test_prompt_with_embedded_resource',
      arguments: { resourceUri: 'test://x' },
    });
    expect(e.messages[0].content).toMatchObject({
      type: 'resource',
      resource: { uri: 'test://x' },
    });
    const r = await c.complete({
      ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' },
      argument: { name: 'arg1', value: 'par' },
    });
    expect(r.completion.values).toEqual(['paris', 'park', 'party']);
  });
});

describe('fixture upstream: transport', () => {
  it('rejects a foreign Host or Origin with 403 (DNS rebinding) and accepts loopback', async () => {
    const port = new URL(fx.url).port;
    expect((await post({ origin: 'http://evil.example.com' }, INIT)).status).toBe(403);
    const ok = await post({ origin: `http://localhost:${port}` }, INIT);
    expect(ok.status).toBe(200);
    await ok.body?.cancel();
  });

  it('answers 400 without a session id, 404 for an unknown one', async () => {
    const ping = { jsonrpc: '2.0', id: 2, method: 'ping' };
    expect((await post({}, ping)).status).toBe(400);
    expect((await post({ 'mcp-session-id': 'nope' }, ping)).status).toBe(404);
  });

  it('runs standalone and prints its URL', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/conformance/fixture-server.ts', '--port', '0'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (d: string) => resolve(d.trim()));
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      expect(line).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
