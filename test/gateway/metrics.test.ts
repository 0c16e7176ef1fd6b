// `/metrics`: scraped over HTTP and parsed strictly as the Prometheus text exposition format
// 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/). A real Prometheus server
// scrape is test/scale/prometheus.e2e.test.ts. Also: the `/registry/` hook of the router.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayMetrics } from '../../src/metrics/gateway.ts';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';
import { rawSession, rpc, startHarness, type Harness } from './harness.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Parsed {
  types: Map<string, string>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
// Go's strconv.ParseFloat, which Prometheus parses values with, takes NaN and Inf in any case
// (prom-client writes "Nan").
const VALUE = /^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|[+-]Inf|NaN)$/i;

/** A strict parser: any deviation from the format throws, naming the line. */
function parseExposition(text: string): Parsed {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a line feed');
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const samples: Sample[] = [];
  const closed = new Set<string>(); // families whose samples ended (they must be contiguous)
  let current: string | undefined;
  const familyOf = (name: string): string => {
    for (const suffix of ['_bucket', '_sum', '_count']) {
      const base = name.slice(0, -suffix.length);
      if (name.endsWith(suffix) && types.get(base) === 'histogram') return base;
    }
    return name;
  };
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, i) => {
      const at = `line ${i + 1}: ${JSON.stringify(line)}`;
      if (line === '') return; // "Empty lines are ignored" (exposition format 0.0.4)
      if (line.startsWith('#')) {
        const m = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
        if (!m) throw new Error(`bad comment, ${at}`);
        if (!NAME.test(m[2])) throw new Error(`bad metric name, ${at}`);
        if (m[1] === 'TYPE') {
          if (types.has(m[2])) throw new Error(`second TYPE, ${at}`);
          if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(m[3]))
            throw new Error(`bad type, ${at}`);
          if (samples.some((s) => familyOf(s.name) === m[2]))
            throw new Error(`TYPE after samples, ${at}`);
          types.set(m[2], m[3]);
        } else {
          if (helps.has(m[2])) throw new Error(`second HELP, ${at}`);
          if (/\\[^\\n]/.test(m[3].replace(/\\\\/g, ''))) throw new Error(`bad HELP escape, ${at}`);
          helps.add(m[2]);
        }
        return;
      }
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`bad sample, ${at}`);
      const labels: Record<string, string> = {};
      if (m[2]) {
        let rest = m[2].slice(1, -1);
        while (rest.length) {
          const l = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
          if (!l) throw new Error(`bad labels, ${at}`);
          if (l[1] in labels) throw new Error(`duplicate label, ${at}`);
          labels[l[1]] = l[2].replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
          rest = rest.slice(l[0].length);
          if (l[3] === ',' && !rest) throw new Error(`trailing comma, ${at}`);
        }
      }
      if (!VALUE.test(m[3])) throw new Error(`bad value, ${at}`);
      const fam = familyOf(m[1]);
      if (!types.has(fam)) throw new Error(`sample without TYPE, ${at}`);
      if (fam !== current) {
        if (closed.has(fam)) throw new Error(`family not contiguous, ${at}`);
        if (current) closed.add(current);
        current = fam;
      }
      const v = m[3].toLowerCase();
      const value = v === '+inf' ? Infinity : v === '-inf' ? -Infinity : Number(m[3]);
      samples.push({ name: m[1], labels, value });
    });
  // Histograms: cumulative buckets ending in +Inf, which equals _count.
  for (const [fam, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of samples.filter((x) => x.name === `${fam}_bucket`)) {
      const { le, ...rest } = s.labels;
      if (le === undefined) throw new Error(`${fam}: bucket without le`);
      const k = JSON.stringify(rest);
      series.set(k, [...(series.get(k) ?? []), s]);
    }
    for (const [k, buckets] of series) {
      const les = buckets.map((b) => (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)));
      if (les.at(-1) !== Infinity) throw new Error(`${fam}${k}: no +Inf bucket`);
      for (let i = 1; i < buckets.length; i++) {
        if (!(les[i] > les[i - 1])) throw new Error(`${fam}${k}: le not ascending`);
        if (buckets[i].value < buckets[i - 1].value) throw new Error(`${fam}${k}: not cumulative`);
      }
      const count = samples.find(
        (s) => s.name === `${fam}_count` && JSON.stringify(s.labels) === k,
      );
      if (!samples.some((s) => s.name === `${fam}_sum` && JSON.stringify(s.labels) === k))
        throw new Error(`${fam}${k}: no _sum`);
      if (count?.value !== buckets.at(-1)!.value)
        throw new Error(`${fam}${k}: _count differs from +Inf bucket`);
    }
  }
  return { types, samples };
}

const find = (p: Parsed, name: string, labels: Record<string, string>) =>
  p.samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );

describe('gateway metrics', () => {
  it('renders a strict exposition with HELP on every family, process metrics included', async () => {
    const m = new GatewayMetrics();
    m.request('/mcp', 'POST', 200);
    const text = await m.render({ policyRevision: 'r' });
    const p = parseExposition(text);
    for (const fam of p.types.keys()) expect(text).toContain(`# HELP ${fam} `);
    expect(p.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(p.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(find(p, 'process_resident_memory_bytes', {})!.value).toBeGreaterThan(0);
  });

  it('escapes label values', async () => {
    const m = new GatewayMetrics();
    m.upstreamLatency('a"b\\c\nd', 'tools/call', 0.5);
    const p = parseExposition(await m.render({ policyRevision: 'r' }));
    expect(
      find(p, 'warden_upstream_request_duration_seconds_count', { method: 'tools/call' })!.labels
        .upstream,
    ).toBe('a"b\\c\nd');
  });

  it('counts reloads, JWKS fetches and stdio restarts across runtimes', async () => {
    const m = new GatewayMetrics();
    m.reload('config', 'applied');
    m.reload('config', 'unchanged');
    m.reload('policy', 'rejected');
    m.jwksFetched(true);
    m.jwksFetched(false);
    m.retire([{ name: 'db', ready: true, process: { restarts: 2 } }]);
    const p = parseExposition(
      await m.render({
        policyRevision: 'r',
        jwks: { url: 'https://login.example.com/jwks', ok: false },
        upstreams: [
          { name: 'db', ready: false, process: { restarts: 1 } },
          { name: 'api', ready: true },
        ],
      }),
    );
    expect(find(p, 'warden_reloads_total', { kind: 'config', result: 'applied' })!.value).toBe(1);
    expect(find(p, 'warden_reloads_total', { kind: 'policy', result: 'rejected' })!.value).toBe(1);
    expect(find(p, 'warden_jwks_fetches_total', {})!.value).toBe(2);
    expect(find(p, 'warden_jwks_fetch_failures_total', {})!.value).toBe(1);
    expect(find(p, 'warden_jwks_up', { jwks_uri: 'https://login.example.com/jwks' })!.value).toBe(
      0,
    );
    expect(find(p, 'warden_stdio_restarts_total', { upstream: 'db' })!.value).toBe(3);
    expect(find(p, 'warden_upstream_ready', { upstream: 'db' })!.value).toBe(0);
    expect(find(p, 'warden_upstream_ready', { upstream: 'api' })!.value).toBe(1);
  });
});

describe('gateway metrics: policy bundles', () => {
  it('follows the active revision with one info series, counts activations and rejections', async () => {
    const m = new GatewayMetrics();
    m.bundleActivated();
    m.bundleActivated();
    m.bundleRejected('POLICY_BUNDLE_INVALID');
    m.bundleRejected('POLICY_BUNDLE_INVALID');
    m.bundleRejected('POLICY_REMOTE_UNAVAILABLE');
    let p = parseExposition(
      await m.render({ policyRevision: 'rev-1', bundle: { lastSuccessAt: 1_700_000_000_500 } }),
    );
    expect(find(p, 'warden_policy_revision_info', { revision: 'rev-1' })!.value).toBe(1);
    expect(find(p, 'warden_policy_bundle_activations_total', {})!.value).toBe(2);
    const failures = (code: string) =>
      find(p, 'warden_policy_bundle_failures_total', { code })!.value;
    expect(failures('POLICY_BUNDLE_INVALID')).toBe(2);
    expect(failures('POLICY_REMOTE_UNAVAILABLE')).toBe(1);
    expect(find(p, 'warden_policy_bundle_last_success_timestamp_seconds', {})!.value).toBe(
      1_700_000_000.5,
    );
    expect(p.types.get('warden_policy_bundle_failures_total')).toBe('counter');
    // A swap replaces the series; a local policy has no bundle timestamp (0).
    p = parseExposition(await m.render({ policyRevision: 'rev-2' }));
    expect(p.samples.filter((s) => s.name === 'warden_policy_revision_info')).toEqual([
      { name: 'warden_policy_revision_info', labels: { revision: 'rev-2' }, value: 1 },
    ]);
    expect(find(p, 'warden_policy_bundle_last_success_timestamp_seconds', {})!.value).toBe(0);
    expect(find(p, 'warden_jwks_up', {})).toBeUndefined();
  });
});

describe('/metrics', () => {
  let up: SdkUpstream;
  let h: Harness;
  beforeAll(async () => {
    up = await startSdkUpstream({ json: true });
    h = await startHarness({ upstreams: [{ name: 'api', url: up.url }] });
  });
  afterAll(async () => {
    await h?.close();
    await up?.close();
  });

  it('exposes requests, decisions, upstream latency, policy revision and audit metrics', async () => {
    for (const route of ['/u/api/mcp', '/mcp']) {
      const url = `${h.gw.url}${route}`;
      const s = await rawSession(url, await h.token(['mcp:tools:call'], { route }));
      const name = route === '/mcp' ? 'api.echo' : 'echo';
      const call = (id: number, tool: string) => ({
        jsonrpc: '2.0',
        id,
        method: 'tools/call',
        params: { name: tool, arguments: { text: 'm' } },
      });
      expect((await rpc(url, call(1, name), s)).status).toBe(200);
      expect((await rpc(url, call(2, 'nope'), s)).json.error.code).toBe(-32003);
      expect((await rpc(url, call(3, name))).status).toBe(401);
    }
    const res = await fetch(`${h.gw.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const p = parseExposition(await res.text());

    expect(p.types.get('warden_http_requests_total')).toBe('counter');
    for (const route of ['/u/api/mcp', '/mcp']) {
      expect(
        find(p, 'warden_http_requests_total', { route, method: 'POST', status: '200' })!.value,
      ).toBeGreaterThanOrEqual(3);
      expect(
        find(p, 'warden_http_requests_total', { route, method: 'POST', status: '401' })!.value,
      ).toBe(1);
    }
    // Messages by protocol revision: initialize carries no header yet ("unknown"); then the
    // initialized notice and both calls in 2025-06-18 (the 401 is refused before parsing).
    for (const route of ['/u/api/mcp', '/mcp']) {
      const era = (v: string) =>
        find(p, 'warden_mcp_messages_total', { route, protocol_version: v })!.value;
      expect(era('2025-06-18')).toBe(3);
      expect(era('unknown')).toBe(1);
    }
    expect(find(p, 'warden_policy_decisions_total', { decision: 'allow' })!.value).toBe(2);
    expect(
      find(p, 'warden_policy_decisions_total', { decision: 'deny', reason: 'no such tool' })!.value,
    ).toBe(2);
    expect(p.types.get('warden_upstream_request_duration_seconds')).toBe('histogram');
    expect(
      find(p, 'warden_upstream_request_duration_seconds_count', {
        upstream: 'api',
        method: 'tools/call',
      })!.value,
    ).toBe(2);
    expect(find(p, 'warden_policy_revision_info', { revision: h.gw.policy.revision })!.value).toBe(
      1,
    );
    expect(find(p, 'warden_audit_records_total', {})!.value).toBeGreaterThanOrEqual(6);

    // Scrapes are counted too, and only GET/HEAD are allowed.
    const again = parseExposition(await (await fetch(`${h.gw.url}/metrics`)).text());
    expect(
      find(again, 'warden_http_requests_total', { route: '/metrics', status: '200' })!.value,
    ).toBe(1);
    expect((await fetch(`${h.gw.url}/metrics`, { method: 'POST' })).status).toBe(405);
  });
});

describe('/registry/ hook', () => {
  let h: Harness | undefined;
  afterAll(async () => h?.close());

  it('serves the built-in registry by default, 404 for paths it does not know', async () => {
    h = await startHarness({ upstreams: [] });
    const list = await fetch(`${h.gw.url}/registry/v0.1/servers`);
    expect(list.status).toBe(200);
    expect(await list.json()).toMatchObject({ servers: [] });
    expect((await fetch(`${h.gw.url}/registry/nope`)).status).toBe(404);
  });

  it('hands /registry/ paths to the plugged-in handler, 404 when it declines', async () => {
    const { createGateway } = await import('../../src/gateway/gateway.ts');
    const { buildConfig } = await import('../../src/config/index.ts');
    const { pino } = await import('pino');
    const seen: string[] = [];
    const gw = await createGateway(
      buildConfig({ auth: { demo: true }, audit: { sinks: [] }, upstreams: [] }, 'test'),
      {
        policy: { revision: 'r', decide: () => ({ allow: false, reasons: ['x'] }) },
        logger: pino({ level: 'silent' }),
        registry: ({ upstreams }) => ({
          async handle(_req: IncomingMessage, res: ServerResponse, path: string) {
            seen.push(path);
            if (path !== '/registry/v0.1/servers') return false;
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ servers: upstreams.map((u) => u.name) }));
            return true;
          },
        }),
      },
    );
    await gw.listen(0, '127.0.0.1');
    try {
      const ok = await fetch(`${gw.url}/registry/v0.1/servers?limit=1`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ servers: [] });
      expect((await fetch(`${gw.url}/registry/tools?q=x`)).status).toBe(404);
      expect(seen).toEqual(['/registry/v0.1/servers', '/registry/tools']);
    } finally {
      await gw.close();
    }
  });
});
