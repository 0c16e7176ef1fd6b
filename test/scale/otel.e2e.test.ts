// OpenTelemetry tracing (issue #8 item 3), end to end: a real OTLP/HTTP receiver (node:http on
// port 0; the OTLP/HTTP exporter sends OTLP/JSON, OTLP spec §"OTLP/HTTP" › JSON encoding), the
// gateway with `telemetry.otlp_endpoint` pointing at it, and an SDK upstream recording the
// headers it receives. A client-sent W3C `traceparent` must be the parent of the gateway's
// spans, and the upstream must receive a `traceparent` of the same trace.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';
import { rawSession, rpc, startHarness, type Harness } from '../gateway/harness.ts';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

let receiver: Server;
let endpoint: string;
const spans: OtlpSpan[] = [];
const resources: Array<Record<string, unknown>> = [];
let up: SdkUpstream;
let h: Harness;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // ExportTraceServiceRequest in OTLP/JSON: resourceSpans[].scopeSpans[].spans[].
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        resourceSpans: Array<{
          resource: { attributes: Array<{ key: string; value: unknown }> };
          scopeSpans: Array<{ spans: OtlpSpan[] }>;
        }>;
      };
      for (const rs of body.resourceSpans) {
        resources.push(Object.fromEntries(rs.resource.attributes.map((a) => [a.key, a.value])));
        for (const ss of rs.scopeSpans) spans.push(...ss.spans);
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
  endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/v1/traces`;
  up = await startSdkUpstream({ json: true });
  h = await startHarness({
    upstreams: [{ name: 'api', url: up.url }],
    telemetry: { otlp_endpoint: endpoint, service_name: 'warden-test' },
  });
});
afterAll(async () => {
  await h?.close();
  await up?.close();
  await new Promise<void>((ok) => (receiver ? receiver.close(() => ok()) : ok()));
});

const hex = (n: number) =>
  Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) =>
    b.toString(16).padStart(2, '0'),
  ).join('');
const attr = (s: OtlpSpan, key: string): unknown => {
  const v = s.attributes.find((a) => a.key === key)?.value;
  return v && Object.values(v)[0];
};

async function spansOf(traceId: string, names: string[]): Promise<OtlpSpan[]> {
  const mine = () => spans.filter((s) => s.traceId === traceId);
  // The BatchSpanProcessor exports every 5 s by default; wait for it rather than flushing, so
  // the real export path is what is tested.
  for (let i = 0; i < 200 && !names.every((n) => mine().some((s) => s.name === n)); i++)
    await new Promise((r) => setTimeout(r, 50));
  return mine();
}

for (const route of ['/u/api/mcp', '/mcp']) {
  const tool = route === '/mcp' ? 'api.echo' : 'echo';

  describe(`traces through ${route}`, () => {
    it('continues the client trace into auth, policy and upstream spans and the upstream', async () => {
      const url = `${h.gw.url}${route}`;
      const session = await rawSession(url, await h.token(['mcp:tools:call'], { route }));
      const traceId = hex(16);
      const clientSpan = hex(8);
      const before = up.seen.length;
      const r = await rpc(
        url,
        {
          jsonrpc: '2.0',
          id: 7,
          method: 'tools/call',
          params: { name: tool, arguments: { text: 'hi' } },
        },
        { ...session, traceparent: `00-${traceId}-${clientSpan}-01`, tracestate: 'client=1' },
      );
      expect(r.status).toBe(200);
      expect(r.json.result.content[0].text).toBe('hi');

      // The upstream received the trace (W3C Trace Context §3.2), with a parent that is not
      // the client's span: the gateway's own upstream span sits between them.
      const got = up.seen
        .slice(before)
        .map((hd) => hd.traceparent)
        .filter(Boolean) as string[];
      expect(got.length).toBeGreaterThan(0);
      const [, upTrace, upParent] = got[got.length - 1].split('-');
      expect(upTrace).toBe(traceId);
      expect(upParent).not.toBe(clientSpan);

      const mine = await spansOf(traceId, [
        'warden.request',
        'warden.auth',
        'warden.policy',
        'warden.upstream',
      ]);
      const byName = (n: string) => mine.filter((s) => s.name === n);
      const server = byName('warden.request').find((s) => attr(s, 'mcp.tool') === tool)!;
      expect(server).toBeDefined();
      expect(server.parentSpanId).toBe(clientSpan);
      expect(server.kind).toBe(2); // SPAN_KIND_SERVER
      expect(attr(server, 'warden.decision')).toBe('allow');
      expect(attr(server, 'warden.upstream')).toBe('api');

      const auth = byName('warden.auth').find((s) => s.parentSpanId === server.spanId)!;
      expect(attr(auth, 'warden.auth.ok')).toBe(true);
      const policy = byName('warden.policy').find((s) => s.parentSpanId === server.spanId)!;
      expect(attr(policy, 'mcp.tool')).toBe(tool);
      expect(attr(policy, 'warden.upstream')).toBe('api');
      expect(attr(policy, 'warden.decision')).toBe('allow');
      const upstream = byName('warden.upstream').find((s) => attr(s, 'mcp.tool') === tool)!;
      expect(upstream).toBeDefined();
      expect(upstream.kind).toBe(3); // SPAN_KIND_CLIENT
      expect(attr(upstream, 'warden.upstream')).toBe('api');
      // The upstream's parent is the gateway's upstream span, itself within the request span.
      expect(upParent).toBe(upstream.spanId);
      expect(mine.map((s) => s.spanId)).toContain(upstream.parentSpanId);
      expect(resources.some((r) => JSON.stringify(r['service.name']).includes('warden-test'))).toBe(
        true,
      );
    });

    it('records a denial in the policy span', async () => {
      const url = `${h.gw.url}${route}`;
      const session = await rawSession(url, await h.token(['mcp:tools:call'], { route }));
      const traceId = hex(16);
      const denied = route === '/mcp' ? 'api.delete_all' : 'delete_all';
      await rpc(
        url,
        { jsonrpc: '2.0', id: 8, method: 'tools/call', params: { name: denied, arguments: {} } },
        { ...session, traceparent: `00-${traceId}-${hex(8)}-01` },
      );
      const mine = await spansOf(traceId, ['warden.request', 'warden.policy']);
      const policy = mine.find((s) => s.name === 'warden.policy')!;
      expect(attr(policy, 'warden.decision')).toBe('deny');
      expect(mine.some((s) => s.name === 'warden.upstream')).toBe(false);
    });
  });
}
