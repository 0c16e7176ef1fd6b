// `/metrics` scraped by a real Prometheus server (Debian package `prometheus`, issue #8 item 3):
// its own config and TSDB in a temp dir, listening on a free loopback port, scraping the gateway
// every second. After SDK clients make allowed and denied calls, Prometheus's HTTP API
// (https://prometheus.io/docs/prometheus/latest/querying/api/) must return the series with the
// gateway's labels and the values the gateway itself reports, and `up{job="warden"} == 1`.
// Without the binary the test is skipped with a message, except under CI (env CI), where a
// missing Prometheus is a failure.

import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startSdkUpstream, type SdkUpstream } from '../fixtures/sdk-upstream.ts';
import { startHarness, type Harness } from '../gateway/harness.ts';

function findPrometheus(): string | undefined {
  const dirs = ['/usr/bin', ...(process.env.PATH ?? '').split(delimiter)];
  for (const d of dirs) {
    const p = join(d, 'prometheus');
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

const BIN = findPrometheus();
const JOB = 'warden';
const ALLOWED = 5;
const DENIED = 3;

if (!BIN) {
  if (process.env.CI)
    it('has a prometheus binary (required under CI)', () => {
      throw new Error('prometheus is not installed (apt-get install prometheus)');
    });
  else console.warn('SKIP test/scale/prometheus.e2e.test.ts: no prometheus binary on PATH');
}

/** A loopback port that was free a moment ago (Prometheus takes its port as a flag). */
async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((ok) => s.listen(0, '127.0.0.1', ok));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((ok) => s.close(() => ok()));
  return port;
}

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

describe.skipIf(!BIN)('a real Prometheus server scrapes /metrics', () => {
  let up: SdkUpstream;
  let h: Harness;
  let dir: string;
  let prom: ChildProcess | undefined;
  let promUrl = '';
  let stderr = '';
  const kill = () => prom?.kill('SIGKILL');

  beforeAll(async () => {
    up = await startSdkUpstream({ json: true });
    h = await startHarness({ upstreams: [{ name: 'api', url: up.url }] });
    dir = await mkdtemp(join(tmpdir(), 'warden-prom-'));
    const target = new URL(h.gw.url).host;
    await writeFile(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'scrape_configs:',
        `  - job_name: ${JOB}`,
        '    scrape_interval: 1s',
        '    scrape_timeout: 1s',
        '    metrics_path: /metrics',
        '    static_configs:',
        `      - targets: ['${target}']`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    prom = spawn(
      BIN as string,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--web.console.templates=${join(dir, 'consoles')}`,
        `--web.console.libraries=${join(dir, 'console_libraries')}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prom.stderr?.on('data', (b: Buffer) => void (stderr = (stderr + b.toString()).slice(-4000)));
    // Whatever happens to the test run, the child does not outlive it.
    process.once('exit', kill);
    await vi.waitFor(
      async () => {
        if (prom?.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
        expect((await fetch(`${promUrl}/-/ready`)).status).toBe(200);
      },
      { timeout: 30_000, interval: 200 },
    );
  }, 60_000);

  afterAll(async () => {
    if (prom && prom.exitCode === null) {
      const exited = new Promise((ok) => prom?.once('exit', ok));
      prom.kill('SIGTERM');
      const t = setTimeout(kill, 5000);
      await exited;
      clearTimeout(t);
    }
    process.off('exit', kill);
    await h?.close();
    await up?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function query(q: string): Promise<PromResult[]> {
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as {
      status: string;
      data: { resultType: string; result: PromResult[] };
    };
    expect(body.status).toBe('success');
    return body.data.result;
  }

  /** The gateway's own value of a series (its /metrics text), for comparison. */
  async function own(series: string): Promise<number> {
    const line = (await (await fetch(`${h.gw.url}/metrics`)).text())
      .split('\n')
      .find((l) => l.startsWith(`${series} `));
    return Number(line?.split(' ')[1]);
  }

  it('sees the target up and the gateway series with the right labels and values', async () => {
    await vi.waitFor(
      async () => {
        const r = await query(`up{job="${JOB}"}`);
        expect(r).toHaveLength(1);
        expect(r[0].value[1]).toBe('1');
      },
      { timeout: 20_000, interval: 250 },
    );

    const route = '/u/api/mcp';
    const c = await h.client(route, await h.token(['mcp:tools:call'], { route }));
    for (let i = 0; i < ALLOWED; i++)
      await c.callTool({ name: 'echo', arguments: { text: `n${i}` } });
    for (let i = 0; i < DENIED; i++)
      await expect(c.callTool({ name: `nope${i}`, arguments: {} })).rejects.toThrow(/no such tool/);
    await c.close();

    // What the gateway counts for its MCP route no longer changes; wait for a scrape of it.
    const postSeries = `warden_http_requests_total{route="${route}",method="POST",status="200"}`;
    const posts = await own(postSeries);
    expect(posts).toBeGreaterThanOrEqual(ALLOWED + DENIED);
    await vi.waitFor(
      async () => {
        const r = await query(
          `warden_http_requests_total{job="${JOB}",route="${route}",method="POST",status="200"}`,
        );
        expect(r).toHaveLength(1);
        expect(Number(r[0].value[1])).toBe(posts);
      },
      { timeout: 20_000, interval: 250 },
    );

    // The family as a whole: every series carries the gateway's labels plus job/instance.
    const all = await query('warden_http_requests_total');
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const s of all) {
      expect(Object.keys(s.metric).sort()).toEqual(
        ['__name__', 'instance', 'job', 'method', 'route', 'status'].sort(),
      );
      expect(s.metric).toMatchObject({ job: JOB, instance: new URL(h.gw.url).host });
    }
    expect(all.some((s) => s.metric.route === '/metrics' && s.metric.method === 'GET')).toBe(true);

    const allow = await query(`warden_policy_decisions_total{job="${JOB}",decision="allow"}`);
    expect(Number(allow[0]?.value[1])).toBe(ALLOWED);
    const deny = await query(
      `warden_policy_decisions_total{job="${JOB}",decision="deny",reason="no such tool"}`,
    );
    expect(Number(deny[0]?.value[1])).toBe(DENIED);
    const calls = await query(
      `warden_upstream_request_duration_seconds_count{job="${JOB}",upstream="api",method="tools/call"}`,
    );
    expect(Number(calls[0]?.value[1])).toBe(ALLOWED);
    const buckets = await query(
      `warden_upstream_request_duration_seconds_bucket{job="${JOB}",upstream="api",method="tools/call",le="+Inf"}`,
    );
    expect(Number(buckets[0]?.value[1])).toBe(ALLOWED);
    const rev = await query(`warden_policy_revision_info{job="${JOB}"}`);
    expect(rev).toHaveLength(1);
    expect(rev[0].metric.revision).toBe(h.gw.policy.revision);
    expect(rev[0].value[1]).toBe('1');
  }, 90_000);
});
