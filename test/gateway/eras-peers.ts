// Peers for the protocol-era matrix (eras.e2e.test.ts, issue #7): the three upstream kinds, the
// clients of both SDK generations with recording elicitation/sampling/roots handlers, a fetch that
// records what the SDK v2 client put on the wire (to see its version negotiation), and a raw
// 2026-07-28 request (the `_meta` envelope plus the SEP-2243 headers, MCP 2026-07-28
// "Transports" §Standard headers) for what a client library would not send.

import { Client as ClientV2, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as TransportV1 } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { startFixtureServer } from '../conformance/fixture-server.ts';
import { startFixture26Server } from '../conformance/fixture26-server.ts';
import { afterAll, beforeAll } from 'vitest';
import { rpc, startHarness, type Harness } from './harness.ts';

export const V26 = '2026-07-28';
export const BASE = ['mcp:tools:call'];
/** Scoped above BASE on every upstream: the tool the policy denies (403 step-up). */
export const ADMIN_TOOL = 'test_image_content';
export const ADMIN_SCOPE = 'x:admin';

/** What every elicitation handler answers: fits both fixtures' requested schemas. */
export const ANSWER = {
  name: 'Zed',
  username: 'zed',
  email: 'zed@example.com',
  color: 'green',
  context: 'era-matrix',
};
export const SAMPLED = 'sampled-by-client';
export const ROOT = { uri: 'file:///work/era-matrix', name: 'era-matrix' };

export type UpstreamKind = 'v1' | 'v26reject' | 'v26fallback';

export interface UpstreamPeer {
  kind: UpstreamKind;
  url: string;
  close(): Promise<void>;
}

/** SDK v1 fixture (2025 only), fixture26 modern-only, fixture26 serving both eras. */
export async function startUpstream(kind: UpstreamKind): Promise<UpstreamPeer> {
  const fx =
    kind === 'v1'
      ? await startFixtureServer({})
      : await startFixture26Server({ legacy: kind === 'v26reject' ? 'reject' : 'fallback' });
  return { kind, url: fx.url, close: () => fx.close() };
}

export function upstreamEntry(name: string, url: string): Record<string, unknown> {
  return {
    name,
    url,
    default_scope: 'mcp:tools:call',
    tools: { [ADMIN_TOOL]: { scope: ADMIN_SCOPE } },
  };
}

/** What the client's handlers were asked, in order. */
export interface Asked {
  elicit: string[];
  sample: number;
  roots: number;
}

export type ClientKind = 'v1' | 'v2' | 'v2legacy';

/** The slice of both SDK clients the matrix uses. */
export interface AnyClient {
  listTools(): Promise<{ tools: Array<{ name: string }> }>;
  callTool(p: { name: string; arguments: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

export interface V2Handle {
  client: ClientV2;
  asked: Asked;
  /** Each POST the transport made: JSON-RPC method (or 'response') and HTTP status. */
  wire: Array<{ method: string; status: number }>;
}

/** SDK v2 client; `mode` 'auto' probes with server/discover and falls back to initialize. */
export async function connectV2(
  url: string,
  token: string,
  mode: 'auto' | 'legacy' = 'auto',
): Promise<V2Handle> {
  const asked: Asked = { elicit: [], sample: 0, roots: 0 };
  const wire: V2Handle['wire'] = [];
  const client = new ClientV2(
    { name: 'eras-v2', version: '1.0.0' },
    { capabilities: { elicitation: {}, sampling: {}, roots: {} }, versionNegotiation: { mode } },
  );
  client.setRequestHandler('elicitation/create', (req) => {
    asked.elicit.push(req.params.message);
    return { action: 'accept', content: ANSWER };
  });
  client.setRequestHandler('sampling/createMessage', () => {
    asked.sample++;
    return { role: 'assistant', content: { type: 'text', text: SAMPLED }, model: 'test-model' };
  });
  client.setRequestHandler('roots/list', () => {
    asked.roots++;
    return { roots: [ROOT] };
  });
  const recording = async (input: string | URL | Request, init?: RequestInit) => {
    const res = await fetch(input, init);
    if (init?.method === 'POST' && typeof init.body === 'string') {
      const msg = JSON.parse(init.body) as { method?: string };
      wire.push({ method: msg.method ?? 'response', status: res.status });
    }
    return res;
  };
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
      fetch: recording,
    }),
  );
  return { client, asked, wire };
}

/** SDK v1 client (2025 era), with recording handlers (the harness's client declares no roots). */
export async function connectV1(
  h: Harness,
  route: string,
  token: string,
): Promise<{ client: ClientV1; asked: Asked }> {
  const asked: Asked = { elicit: [], sample: 0, roots: 0 };
  const client = new ClientV1(
    { name: 'eras-v1', version: '1.0.0' },
    { capabilities: { elicitation: {}, sampling: {}, roots: {} } },
  );
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    asked.elicit.push(req.params.message);
    return { action: 'accept', content: ANSWER };
  });
  client.setRequestHandler(CreateMessageRequestSchema, async () => {
    asked.sample++;
    return { role: 'assistant', content: { type: 'text', text: SAMPLED }, model: 'test-model' };
  });
  client.setRequestHandler(ListRootsRequestSchema, async () => {
    asked.roots++;
    return { roots: [ROOT] };
  });
  await client.connect(
    new TransportV1(new URL(`${h.gw.url}${route}`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return { client, asked };
}

export async function connect(
  kind: ClientKind,
  h: Harness,
  route: string,
  token: string,
): Promise<{ client: AnyClient; asked: Asked; v2?: V2Handle }> {
  if (kind === 'v1') return connectV1(h, route, token);
  const v2 = await connectV2(`${h.gw.url}${route}`, token, kind === 'v2' ? 'auto' : 'legacy');
  return { client: v2.client, asked: v2.asked, v2 };
}

/** The text of a CallToolResult's content blocks, joined. */
export function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ text?: string }> }).content ?? [];
  return content.map((c) => c.text ?? '').join('\n');
}

/** One raw 2026-07-28 request: `_meta` envelope in the body, matching standard headers. */
export function modern(
  url: string,
  token: string,
  id: number,
  method: string,
  params: Record<string, unknown> = {},
  capabilities: Record<string, object> = { elicitation: {}, sampling: {} },
): ReturnType<typeof rpc> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${token}`,
    'mcp-protocol-version': V26,
    'mcp-method': method,
  };
  const name = params.name ?? params.uri ?? params.taskId; // Mcp-Name mirrors the routing field
  if (typeof name === 'string') headers['mcp-name'] = name;
  const _meta = {
    'io.modelcontextprotocol/protocolVersion': V26,
    'io.modelcontextprotocol/clientCapabilities': capabilities,
  };
  return rpc(url, { jsonrpc: '2.0', id, method, params: { ...params, _meta } }, headers);
}

/** Upstream name in the gateway config, per kind (also the /mcp tool prefix). */
export const NAME: Record<UpstreamKind, string> = {
  v1: 'old',
  v26reject: 'modern',
  v26fallback: 'dual',
};

/** The call that needs client input, per upstream: a 2025 server-to-client request, or an MRTR. */
export function inputCall(kind: UpstreamKind, prefix: string) {
  return kind === 'v1'
    ? {
        name: `${prefix}test_elicitation`,
        arguments: { message: 'Who are you?' },
        asked: 'Who are you?',
        expected: `"username":"${ANSWER.username}"`,
      }
    : {
        name: `${prefix}test_input_required_result_elicitation`,
        arguments: {},
        asked: 'What is your name?',
        expected: `Hello, ${ANSWER.name}!`,
      };
}

/** One gateway with all three upstream kinds (named by `NAME`), started before a file's tests
 * (handed to `ready`) and closed after them. */
export function useAllUpstreams(ready: (all: Harness) => void): void {
  const peers: UpstreamPeer[] = [];
  let all: Harness | undefined;
  beforeAll(async () => {
    const kinds: UpstreamKind[] = ['v1', 'v26reject', 'v26fallback'];
    peers.push(...(await Promise.all(kinds.map(startUpstream))));
    all = await startHarness({ upstreams: peers.map((p) => upstreamEntry(NAME[p.kind], p.url)) });
    ready(all);
  });
  afterAll(async () => {
    await all?.close();
    for (const p of peers) await p.close();
  });
}
