// Protocol eras end to end (issue #7), the matrix: SDK v1 (`@modelcontextprotocol/sdk`, 2025 era)
// and SDK v2 (`@modelcontextprotocol/client`, negotiating 2026-07-28 or falling back to 2025, and
// pinned to the legacy era) as real clients, in front of the three upstream kinds — the SDK v1
// fixture (2025 only), fixture26 modern-only and fixture26 serving both eras — through the
// drop-in route and the aggregated endpoint, one gateway per upstream kind. Every cell lists
// tools, calls a plain tool and, where the pairing can carry it, a call that needs client input;
// the cells that cannot work by design assert the error the client gets. One gateway with all
// three upstreams at once: eras-mixed.e2e.test.ts.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from './harness.ts';
import {
  ADMIN_TOOL,
  BASE,
  V26,
  connect,
  startUpstream,
  textOf,
  upstreamEntry,
  NAME,
  inputCall,
  type ClientKind,
  type UpstreamKind,
  type UpstreamPeer,
} from './eras-peers.ts';

const peers = new Map<UpstreamKind, UpstreamPeer>();
/** One gateway per upstream kind, so /mcp lists exactly that upstream's tools. */
const single = new Map<UpstreamKind, Harness>();

beforeAll(async () => {
  const kinds: UpstreamKind[] = ['v1', 'v26reject', 'v26fallback'];
  for (const p of await Promise.all(kinds.map(startUpstream))) peers.set(p.kind, p);
  // The gateway probes each upstream with server/discover at start to learn its era.
  for (const k of kinds)
    single.set(k, await startHarness({ upstreams: [upstreamEntry(NAME[k], peers.get(k)!.url)] }));
});
afterAll(async () => {
  for (const h of single.values()) await h.close();
  for (const p of peers.values()) await p.close();
});

type Outcome =
  /** list, plain call and an input call answered by the client's handler */
  | 'ok'
  /** the connect fails: the upstream answers a 2025-era initialize 400 -32022 */
  | 'refused'
  /** list and plain call work; the upstream's stateless 2025 leg cannot ask for input */
  | 'no-input';

interface Cell {
  client: ClientKind;
  upstream: UpstreamKind;
  route: 'drop-in' | '/mcp';
  outcome: Outcome;
  /** The era the SDK v2 client ends up in. */
  era?: 'modern' | 'legacy';
}

function cellsFor(client: ClientKind): Cell[] {
  const cells: Cell[] = [];
  for (const upstream of ['v1', 'v26reject', 'v26fallback'] as const) {
    // Drop-in: no era translation. A 2025-era client only works where the upstream serves 2025.
    const legacyClient = client !== 'v2';
    const dropIn: Outcome =
      !legacyClient || upstream === 'v1' ? 'ok' : upstream === 'v26reject' ? 'refused' : 'no-input';
    const dropEra = !legacyClient && upstream !== 'v1' ? 'modern' : 'legacy';
    cells.push({ client, upstream, route: 'drop-in', outcome: dropIn, era: dropEra });
    // /mcp: the gateway serves both eras and translates between them.
    cells.push({
      client,
      upstream,
      route: '/mcp',
      outcome: 'ok',
      era: legacyClient ? 'legacy' : 'modern',
    });
  }
  return cells;
}

const CELLS = (['v1', 'v2', 'v2legacy'] as const).flatMap(cellsFor);

describe('era matrix: client × upstream × route', () => {
  it.each(CELLS)('$client client × $upstream upstream via $route → $outcome', async (cell) => {
    const name = NAME[cell.upstream];
    const route = cell.route === '/mcp' ? '/mcp' : `/u/${name}/mcp`;
    const prefix = cell.route === '/mcp' ? `${name}.` : '';
    const h = single.get(cell.upstream)!;
    const token = await h.token(BASE, { route });
    if (cell.outcome === 'refused') {
      // The drop-in route forwards the 2025-era initialize; the modern-only upstream refuses it
      // (MCP 2026-07-28 "Versioning": 400, -32022 UnsupportedProtocolVersion, with the
      // versions it supports) and the gateway passes that answer through unchanged.
      const err = await connect(cell.client, h, route, token).then(
        () => undefined,
        (e: unknown) => e as { code?: unknown; message: string },
      );
      expect(err).toBeDefined();
      expect(err!.message).toContain('-32022');
      expect(err!.message).toContain(`"supported":["${V26}"]`);
      if (cell.client === 'v1') expect(err!.code).toBe(400);
      return;
    }

    const { client, asked, v2 } = await connect(cell.client, h, route, token);
    try {
      if (v2) expect(v2.client.getProtocolEra()).toBe(cell.era);
      if (cell.client === 'v2' && cell.era === 'legacy') {
        // SDK v2 'auto' in front of a 2025-era upstream: the drop-in route answers the
        // server/discover probe 400 -32022 and the client falls back to initialize.
        expect(v2!.wire.slice(0, 2)).toEqual([
          { method: 'server/discover', status: 400 },
          { method: 'initialize', status: 200 },
        ]);
      }

      const tools = (await client.listTools()).tools.map((t) => t.name);
      expect(tools).toContain(`${prefix}test_simple_text`);
      expect(tools).toContain(inputCall(cell.upstream, prefix).name);
      // Filtered per token: the admin-scoped tool is not listed to a BASE token.
      expect(tools).not.toContain(`${prefix}${ADMIN_TOOL}`);
      for (const t of tools) expect(t.startsWith(prefix)).toBe(true);

      const plain = await client.callTool({ name: `${prefix}test_simple_text`, arguments: {} });
      expect(textOf(plain)).toBe('This is a simple text response for testing.');

      const input = inputCall(cell.upstream, prefix);
      const result = await client.callTool({ name: input.name, arguments: input.arguments });
      if (cell.outcome === 'no-input') {
        // fixture26's 2025 leg is per-request (SDK legacy: 'stateless'): it has no channel for
        // server-to-client requests, so the MRTR tool answers isError and nobody is asked.
        expect(result).toMatchObject({ isError: true });
        expect(textOf(result)).toContain('did not declare the required capability');
        expect(asked.elicit).toEqual([]);
        return;
      }
      expect(textOf(result)).toContain(input.expected);
      expect(asked.elicit).toEqual([input.asked]);
    } finally {
      await client.close();
    }
  });
});
