// Protocol eras end to end (issue #7), one gateway with all three upstream kinds at once (SDK v1
// fixture, fixture26 modern-only, fixture26 dual) on /mcp: both SDK clients calling each, client
// input across the era boundary (elicitation, sampling, roots, multi-round, prompts/get). The
// client × upstream × route matrix: eras.e2e.test.ts; targeted checks: eras-targeted.e2e.test.ts.

import { describe, expect, it } from 'vitest';
import type { Harness } from './harness.ts';
import {
  ADMIN_TOOL,
  ANSWER,
  BASE,
  ROOT,
  SAMPLED,
  connect,
  connectV1,
  connectV2,
  textOf,
  NAME,
  inputCall,
  type UpstreamKind,
  useAllUpstreams,
} from './eras-peers.ts';

let all: Harness;
useAllUpstreams((h) => (all = h));

describe('one gateway, all three upstreams on /mcp', () => {
  const kinds: UpstreamKind[] = ['v1', 'v26reject', 'v26fallback'];

  it.each(['v1', 'v2'] as const)('%s client calls a tool of each upstream', async (kind) => {
    const { client, asked, v2 } = await connect(kind, all, '/mcp', await all.token(BASE));
    try {
      if (v2) expect(v2.client.getProtocolEra()).toBe('modern');
      const tools = (await client.listTools()).tools.map((t) => t.name);
      for (const k of kinds) {
        expect(tools).toContain(`${NAME[k]}.test_simple_text`);
        expect(tools).not.toContain(`${NAME[k]}.${ADMIN_TOOL}`);
      }
      for (const k of kinds) {
        const plain = await client.callTool({ name: `${NAME[k]}.test_simple_text`, arguments: {} });
        expect(textOf(plain)).toBe('This is a simple text response for testing.');
        const input = inputCall(k, `${NAME[k]}.`);
        const r = await client.callTool({ name: input.name, arguments: input.arguments });
        expect(textOf(r)).toContain(input.expected);
      }
      expect(asked.elicit).toEqual(kinds.map((k) => inputCall(k, '').asked));
      // Sampling across the era boundary, both ways: the 2025 upstream's sampling/createMessage
      // and the 2026 upstream's input_required sampling each reach this client's handler.
      const s1 = await client.callTool({ name: 'old.test_sampling', arguments: { prompt: 'hi' } });
      expect(textOf(s1)).toContain(SAMPLED);
      const s2 = await client.callTool({
        name: 'modern.test_input_required_result_sampling',
        arguments: {},
      });
      expect(textOf(s2)).toContain(SAMPLED);
      expect(asked.sample).toBe(2);
    } finally {
      await client.close();
    }
  });

  it.each(['/mcp', '/u/modern/mcp'])(
    'v2 client completes a multi-round input_required call via %s',
    async (route) => {
      const prefix = route === '/mcp' ? 'modern.' : '';
      const v2 = await connectV2(`${all.gw.url}${route}`, await all.token(BASE, { route }));
      try {
        const r = await v2.client.callTool({
          name: `${prefix}test_input_required_result_multi_round`,
          arguments: {},
        });
        expect(v2.asked.elicit).toEqual([
          'Step 1: What is your name?',
          'Step 2: What is your favorite color?',
        ]);
        expect(textOf(r)).toBe(`${ANSWER.name} likes ${ANSWER.color}`);
      } finally {
        await v2.client.close();
      }
    },
  );

  it('v1 client gets each round of a 2026-07-28 multi-round call as a real elicitation', async () => {
    const { client, asked } = await connectV1(all, '/mcp', await all.token(BASE));
    try {
      const r = await client.callTool({
        name: 'modern.test_input_required_result_multi_round',
        arguments: {},
      });
      expect(asked.elicit).toEqual([
        'Step 1: What is your name?',
        'Step 2: What is your favorite color?',
      ]);
      expect(textOf(r)).toBe(`${ANSWER.name} likes ${ANSWER.color}`);
    } finally {
      await client.close();
    }
  });
});

describe('client input across the era boundary, all three kinds at once', () => {
  const ROUTES = [
    { client: 'v1', route: '/mcp' },
    { client: 'v2', route: '/mcp' },
    { client: 'v2', route: '/u/modern/mcp' },
  ] as const;

  it.each(ROUTES)(
    '$client client via $route: elicitation, sampling and roots in one input_required',
    async ({ client: kind, route }) => {
      const prefix = route === '/mcp' ? 'modern.' : '';
      const { client, asked } = await connect(kind, all, route, await all.token(BASE, { route }));
      try {
        const r = await client.callTool({
          name: `${prefix}test_input_required_result_multiple_inputs`,
          arguments: {},
        });
        expect(textOf(r)).toBe(`name=${ANSWER.name}; greeting=${SAMPLED}; roots=${ROOT.uri}`);
        expect(asked).toEqual({ elicit: ['What is your name?'], sample: 1, roots: 1 });
      } finally {
        await client.close();
      }
    },
  );

  it.each(ROUTES)('$client client via $route: input_required on prompts/get', async (c) => {
    const prefix = c.route === '/mcp' ? 'modern.' : '';
    const { client, asked } = await connect(c.client, all, c.route, await all.token(BASE, c));
    try {
      const p = await (client as unknown as PromptClient).getPrompt({
        name: `${prefix}test_input_required_result_prompt`,
      });
      expect(p.messages[0].content).toEqual({ type: 'text', text: `Context: ${ANSWER.context}` });
      expect(asked.elicit).toEqual(['What context should the prompt use?']);
    } finally {
      await client.close();
    }
  });
});

/** getPrompt, shared by both SDK clients. */
interface PromptClient {
  getPrompt(p: { name: string }): Promise<{ messages: Array<{ content: unknown }> }>;
}
