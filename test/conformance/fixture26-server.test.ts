// The 2026-07-28 fixture upstream against real clients: the SDK v2 client pinned to 2026-07-28
// (plain calls, resources, prompts, completion, a multi-round-trip flow driven by the client's
// own elicitation handler and one driven by hand with requestState), raw HTTP for what a client
// library would not send (tampered state, foreign Host, a 2025 initialize), and the SDK v1
// client against the dual-era ('fallback') mode.

import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startFixture26Server, type Fixture26Server } from './fixture26-server.ts';
import { HEADER_TOOL } from './fixture26/tools.ts';
import { MRTR_PROMPT } from './fixture26/mrtr.ts';
import { FIXTURE26_PROMPTS, FIXTURE26_TOOLS } from './fixture26/server.ts';

const V = '2026-07-28';
const META = {
  'io.modelcontextprotocol/protocolVersion': V,
  'io.modelcontextprotocol/clientCapabilities': { elicitation: {} },
};

/** One 2026-07-28 request by hand: the envelope in `_meta` and the standard headers. */
async function post(url: string, method: string, params: Record<string, unknown>) {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': V,
    'mcp-method': method,
  };
  if (typeof params.name === 'string') headers['mcp-name'] = params.name;
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method, params: { ...params, _meta: META } }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

async function v2Client(url: string, onElicit?: (message: string) => Record<string, unknown>) {
  const client = new Client(
    { name: 'fixture26-test', version: '1.0.0' },
    {
      capabilities: onElicit ? { elicitation: {} } : {},
      versionNegotiation: { mode: { pin: V } },
    },
  );
  if (onElicit)
    client.setRequestHandler('elicitation/create', (req) => ({
      action: 'accept',
      content: onElicit(req.params.message) as Record<string, string>,
    }));
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  return client;
}

describe('fixture26, modern-only (legacy: reject)', () => {
  let fx: Fixture26Server;
  beforeAll(async () => {
    fx = await startFixture26Server();
  });
  afterAll(() => fx.close());

  it('serves tools, resources, prompts and completion to the SDK v2 client at 2026-07-28', async () => {
    const client = await v2Client(fx.url);
    try {
      const { tools } = await client.listTools();
      // The exported name lists (the gateway config is built from them) are the real ones;
      // test_simple_text first: http-header-validation calls the first tool without arguments.
      expect(tools.map((t) => t.name)).toEqual(FIXTURE26_TOOLS);
      const { prompts } = await client.listPrompts();
      expect(prompts.map((p) => p.name)).toEqual(FIXTURE26_PROMPTS);
      expect(await client.callTool({ name: 'test_simple_text', arguments: {} })).toMatchObject({
        content: [{ type: 'text', text: 'This is a simple text response for testing.' }],
      });
      // The x-mcp-header argument travels as Mcp-Param-Region too (the client mirrors it).
      expect(
        await client.callTool({ name: HEADER_TOOL, arguments: { region: 'eu-west' } }),
      ).toMatchObject({
        content: [{ text: 'Region: eu-west' }],
      });
      const read = await client.readResource({ uri: 'test://template/42/data' });
      expect(JSON.parse(String((read.contents[0] as { text: string }).text))).toMatchObject({
        id: '42',
      });
      const prompt = await client.getPrompt({
        name: 'test_prompt_with_arguments',
        arguments: { arg1: 'a', arg2: 'b' },
      });
      expect(prompt.messages[0].content).toMatchObject({
        text: "Prompt with arguments: arg1='a', arg2='b'",
      });
      const done = await client.complete({
        ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' },
        argument: { name: 'arg1', value: 'par' },
      });
      expect(done.completion.values).toEqual(['paris', 'park', 'party']);
    } finally {
      await client.close();
    }
  });

  it('completes a multi-round-trip call through the client’s own elicitation handler', async () => {
    const asked: string[] = [];
    const client = await v2Client(fx.url, (message) => {
      asked.push(message);
      if (message.startsWith('Step 1')) return { name: 'Ada' };
      return message.startsWith('Step 2') ? { color: 'green' } : { context: 'unit test' };
    });
    try {
      const result = await client.callTool({
        name: 'test_input_required_result_multi_round',
        arguments: {},
      });
      expect(asked).toEqual(['Step 1: What is your name?', 'Step 2: What is your favorite color?']);
      expect(result.content).toEqual([{ type: 'text', text: 'Ada likes green' }]);
      // MRTR on prompts/get as well (input-required-result-non-tool-request).
      const prompt = await client.getPrompt({ name: MRTR_PROMPT });
      expect(prompt.messages[0].content).toEqual({ type: 'text', text: 'Context: unit test' });
    } finally {
      await client.close();
    }
  });

  it('round-trips a sealed requestState and rejects a tampered or foreign one (-32602)', async () => {
    const tool = 'test_input_required_result_request_state';
    const first = await post(fx.url, 'tools/call', { name: tool, arguments: {} });
    expect(first.body.result).toMatchObject({ resultType: 'input_required' });
    const state = first.body.result.requestState as string;
    expect(state).toMatch(/^v1\./);
    const answer = { confirm: { action: 'accept', content: { ok: true } } };
    const again = (name: string, requestState: string) =>
      post(fx.url, 'tools/call', { name, arguments: {}, inputResponses: answer, requestState });

    const ok = await again(tool, state);
    expect(ok.body.result.content[0].text).toContain('state-ok');
    const tampered = await again(tool, `${state}-TAMPERED`);
    expect(tampered.body.error).toMatchObject({ code: -32602 });
    // Sealed for another tool: the binding (method + Mcp-Name) no longer matches.
    const foreign = await again('test_input_required_result_tampered_state', state);
    expect(foreign.body.error).toMatchObject({ code: -32602 });
  });

  it('refuses a foreign Host (DNS rebinding) and a 2025-era initialize', async () => {
    const { port } = new URL(fx.url);
    const status = await new Promise<number>((ok, fail) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/mcp',
          method: 'POST',
          headers: { host: 'evil.example.com' },
        },
        (res) => {
          res.resume();
          ok(res.statusCode ?? 0);
        },
      );
      req.on('error', fail);
      req.end('{}');
    });
    expect(status).toBe(403);

    const res = await fetch(fx.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-11-25',
          capabilities: {},
          clientInfo: { name: 't', version: '1' },
        },
      }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32022);
  });
});

describe('fixture26, dual-era (legacy: fallback)', () => {
  let fx: Fixture26Server;
  beforeAll(async () => {
    fx = await startFixture26Server({ legacy: 'fallback' });
  });
  afterAll(() => fx.close());

  it('serves the SDK v1 (2025-era) client statelessly; MRTR tools cannot ask there', async () => {
    const client = new ClientV1(
      { name: 'fixture26-v1-test', version: '1.0.0' },
      { capabilities: { elicitation: {} } },
    );
    await client.connect(new TransportV1(new URL(fx.url)));
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('test_simple_text');
      expect(await client.callTool({ name: 'test_simple_text', arguments: {} })).toMatchObject({
        content: [{ type: 'text', text: 'This is a simple text response for testing.' }],
      });
      // On the 2025 wire the SDK's legacy shim would ask through a server-to-client request,
      // which stateless (per-request) legacy serving cannot receive: the tool fails cleanly.
      const asked = await client.callTool({
        name: 'test_input_required_result_elicitation',
        arguments: {},
      });
      expect(asked.isError).toBe(true);
      expect(JSON.stringify(asked.content)).toMatch(/per-request legacy serving/);
    } finally {
      await client.close();
    }
  });

  it('still serves 2026-07-28 requests', async () => {
    const client = await v2Client(fx.url);
    try {
      const r = await client.callTool({ name: 'test_error_handling', arguments: {} });
      expect(r.isError).toBe(true);
    } finally {
      await client.close();
    }
  });
});
