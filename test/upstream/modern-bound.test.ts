// The stateless 2026-07-28 upstream client (src/upstream/modern.ts) against the SDK v2 fixture:
// an answer over `max_answer_bytes` is refused with a typed error instead of being buffered.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModernClient } from '../../src/upstream/modern.ts';
import { startFixture26Server } from '../conformance/fixture26-server.ts';

let fx: Awaited<ReturnType<typeof startFixture26Server>>;
beforeAll(async () => {
  fx = await startFixture26Server({});
});
afterAll(() => fx.close());

const client = (maxAnswerBytes?: number) =>
  new ModernClient(fx.url, async () => ({}), { name: 'test', version: '1' }, 5000, maxAnswerBytes);

describe('ModernClient answer bound', () => {
  it('reads an answer within the bound', async () => {
    const a = await client(1 << 20).request('tools/list', {});
    expect((a.result as { tools: unknown[] }).tools.length).toBeGreaterThan(1);
  });

  it('refuses an answer over the bound with UPSTREAM_ANSWER_TOO_LARGE (502, -32010)', async () => {
    await expect(client(200).request('tools/list', {})).rejects.toMatchObject({
      code: 'UPSTREAM_ANSWER_TOO_LARGE',
      status: 502,
      rpcCode: -32010,
      message: expect.stringMatching(/exceeds 200 bytes/),
    });
    // The same client's next request is not affected by the abandoned answer.
    const c = client(200);
    await expect(c.request('tools/list', {})).rejects.toThrow(/exceeds 200 bytes/);
    await expect(c.request('tools/list', {})).rejects.toThrow(/exceeds 200 bytes/);
  });
});
