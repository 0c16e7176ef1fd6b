// The gateway's metrics (PRODUCT.md `/metrics`): requests by route, method and status; policy
// decisions by reason; upstream latency per upstream; the policy revision as an info gauge;
// remote bundle activations, rejections and the time of the last successful poll; reloads;
// JWKS fetches and failures; stdio child restarts and upstream readiness; the audit module's
// metrics, read at scrape time; and the process and Node.js runtime metrics (registry.ts).
// Every family has HELP. Label values are bounded, never a client's strings (labels.ts):
// routes are templates of known paths, methods known names or "other", reasons lose what
// follows their first colon ("no such tool: x" → "no such tool") and beyond the first 64
// distinct ones are "other", upstreams and sinks are configured names, protocol versions the
// known revisions, codes stable error codes.

import { Counter, Gauge, Histogram } from 'prom-client';
import type { AuditMetrics } from '../audit/index.ts';
import { CONTENT_TYPE, Registry, processMetrics, renderAll } from './registry.ts';
import { SUPPORTED_VERSIONS } from '../transport/era.ts';
import { BoundedValues, httpMethodLabel, mcpMethodLabel } from './labels.ts';

export { CONTENT_TYPE };

/** Seconds; from a fast loopback call to a slow tool (the default timeout is 30 s). */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

const KNOWN_VERSIONS = new Set(SUPPORTED_VERSIONS);

/** What a scrape reads from the running gateway. */
export interface ScrapeView {
  policyRevision: string;
  /** The remote policy's status: `lastSuccessAt` epoch ms. */
  bundle?: { lastSuccessAt?: number };
  audit?: AuditMetrics;
  upstreams?: ReadonlyArray<{ name: string; ready: boolean; process?: { restarts: number } }>;
  /** The issuer's keys' URL and whether its last fetch succeeded (absent: none configured). */
  jwks?: { url: string; ok: boolean };
}

/** A decision's outcome as the shadow counter labels it (error: the shadow failed). */
export type ShadowOutcome = 'allow' | 'deny' | 'ask' | 'error';

/** The result label of a reload: applied, refused (old config kept), or nothing changed. */
export type ReloadResult = 'applied' | 'rejected' | 'unchanged';

export class GatewayMetrics {
  private readonly registry = new Registry();
  private readonly r = [this.registry];
  /** Policy reasons are the policy author's text, which may quote the request: bounded. */
  private readonly reasons = new BoundedValues(64);
  private readonly requests = new Counter({
    name: 'warden_http_requests_total',
    help: 'HTTP requests answered, by route template, method and status.',
    labelNames: ['route', 'method', 'status'],
    registers: this.r,
  });
  private readonly decisions = new Counter({
    name: 'warden_policy_decisions_total',
    help: 'tools/call authorization decisions, by decision and reason (one per reason of a denial).',
    labelNames: ['decision', 'reason'],
    registers: this.r,
  });
  private readonly upstream = new Histogram({
    name: 'warden_upstream_request_duration_seconds',
    help: 'Time from forwarding a request to an upstream to its answer, by upstream and method.',
    labelNames: ['upstream', 'method'],
    buckets: LATENCY_BUCKETS,
    registers: this.r,
  });
  private readonly eras = new Counter({
    name: 'warden_mcp_messages_total',
    help: 'MCP messages POSTed to the gateway, by protocol revision (the 2026-07-28 envelope, the 2025-era MCP-Protocol-Version header, or "unknown").',
    labelNames: ['route', 'protocol_version'],
    registers: this.r,
  });
  private readonly revision = new Gauge({
    name: 'warden_policy_revision_info',
    help: 'The loaded policy bundle revision (value 1).',
    labelNames: ['revision'],
    registers: this.r,
  });
  private readonly activations = new Counter({
    name: 'warden_policy_bundle_activations_total',
    help: 'Policy bundles downloaded from the bundle server, verified and activated.',
    registers: this.r,
  });
  private readonly rejections = new Counter({
    name: 'warden_policy_bundle_failures_total',
    help: 'Bundle polls that failed or bundles rejected (the active bundle stays), by error code.',
    labelNames: ['code'],
    registers: this.r,
  });
  private readonly lastSuccess = new Gauge({
    name: 'warden_policy_bundle_last_success_timestamp_seconds',
    help: 'Unix time of the last bundle poll that succeeded (a new bundle or 304 Not Modified); 0: none yet, or no bundle server.',
    registers: this.r,
  });
  private readonly reloads = new Counter({
    name: 'warden_reloads_total',
    help: 'Reloads of the config (SIGHUP, file change) or of a local policy, by what was reloaded and result (applied, rejected: the running one kept, unchanged: skipped).',
    labelNames: ['kind', 'result'],
    registers: this.r,
  });
  private readonly jwksFetches = new Counter({
    name: 'warden_jwks_fetches_total',
    help: "Fetches of the issuer's token keys (auth.jwks_uri) by the readiness check.",
    registers: this.r,
  });
  private readonly jwksFailures = new Counter({
    name: 'warden_jwks_fetch_failures_total',
    help: "Fetches of the issuer's token keys that failed (no keys: every JWT gets 503).",
    registers: this.r,
  });
  private readonly jwksUp = new Gauge({
    name: 'warden_jwks_up',
    help: "1 when the last fetch of the issuer's token keys succeeded, else 0; by auth.jwks_uri (absent: none configured).",
    labelNames: ['jwks_uri'],
    registers: this.r,
  });
  private readonly restarts = new Counter({
    name: 'warden_stdio_restarts_total',
    help: 'Restarts of stdio upstream children after they exited, by upstream.',
    labelNames: ['upstream'],
    registers: this.r,
  });
  private readonly upstreamUp = new Gauge({
    name: 'warden_upstream_ready',
    help: 'Whether the upstream is discovered and serving (1) or not (0), by upstream.',
    labelNames: ['upstream'],
    registers: this.r,
  });
  private readonly shadow = new Counter({
    name: 'warden_policy_shadow_disagreements_total',
    help: 'tools/call decisions where the shadow policy (policy.shadow) decided otherwise than the live one, by both outcomes (allow, deny, ask; error when the shadow failed).',
    labelNames: ['live', 'shadow'],
    registers: this.r,
  });
  /** Restarts of stdio children of runtimes that were replaced by a reload, by upstream. */
  private readonly retired = new Map<string, number>();
  private readonly audit = new AuditFamilies(this.r);

  request(route: string, method: string, status: number): void {
    this.requests.inc({ route, method: httpMethodLabel(method), status: String(status) });
  }

  /** Label values are bounded: known revisions only, anything else is "unknown". */
  message(route: string, protocolVersion: string | undefined): void {
    const v = protocolVersion && KNOWN_VERSIONS.has(protocolVersion) ? protocolVersion : 'unknown';
    this.eras.inc({ route, protocol_version: v });
  }

  decision(allow: boolean, reasons: readonly string[]): void {
    if (allow) return void this.decisions.inc({ decision: 'allow', reason: '' });
    for (const r of reasons.length ? reasons : [''])
      this.decisions.inc({ decision: 'deny', reason: this.reasons.label(reasonLabel(r)) });
  }

  upstreamLatency(upstream: string, method: string, seconds: number): void {
    this.upstream.observe({ upstream, method: mcpMethodLabel(method) }, seconds);
  }

  /** Outcomes are one of allow / deny / ask / error (bounded by the caller's type). */
  shadowDisagreement(live: ShadowOutcome, shadow: ShadowOutcome): void {
    this.shadow.inc({ live, shadow });
  }

  bundleActivated(): void {
    this.activations.inc();
  }

  /** `code` is the failure's stable error code (bounded: WardenError codes). */
  bundleRejected(code: string): void {
    this.rejections.inc({ code: code.slice(0, 64) });
  }

  reload(kind: 'config' | 'policy', result: ReloadResult): void {
    this.reloads.inc({ kind, result });
  }

  jwksFetched(ok: boolean): void {
    this.jwksFetches.inc();
    if (!ok) this.jwksFailures.inc();
  }

  /** A runtime's upstreams are closing (reload): their children's restarts stay counted. */
  retire(upstreams: NonNullable<ScrapeView['upstreams']>): void {
    for (const u of upstreams)
      if (u.process) this.retired.set(u.name, (this.retired.get(u.name) ?? 0) + u.process.restarts);
  }

  /**
   * The exposition text: the gateway's families, the audit module's, then the process's. The
   * gauges that mirror state (revision, bundle time, readiness, JWKS, restarts, audit) are set
   * from `view` at each scrape, so they follow swaps and reloads with exactly one series each.
   */
  async render(view: ScrapeView): Promise<string> {
    this.revision.reset();
    this.revision.set({ revision: view.policyRevision }, 1);
    this.lastSuccess.reset();
    if (view.bundle?.lastSuccessAt) this.lastSuccess.set(view.bundle.lastSuccessAt / 1000);
    this.jwksUp.reset();
    if (view.jwks) this.jwksUp.set({ jwks_uri: view.jwks.url }, view.jwks.ok ? 1 : 0);
    this.upstreamUp.reset();
    this.restarts.reset();
    const restarts = new Map(this.retired);
    for (const u of view.upstreams ?? []) {
      this.upstreamUp.set({ upstream: u.name }, u.ready ? 1 : 0);
      if (u.process) restarts.set(u.name, (restarts.get(u.name) ?? 0) + u.process.restarts);
    }
    for (const [upstream, n] of restarts) this.restarts.inc({ upstream }, n);
    this.audit.set(view.audit);
    return renderAll([this.registry, processMetrics()]);
  }
}

/** The audit module's metrics (src/audit AuditMetrics), mirrored at each scrape. */
class AuditFamilies {
  private readonly records: Counter;
  private readonly written: Counter;
  private readonly rejected: Counter;
  private readonly redactions: Counter;
  private readonly remote: Array<[Counter | Gauge, (s: AuditMetrics['remote'][string]) => number]>;

  constructor(registers: Registry[]) {
    const counter = (name: string, help: string, labelNames: string[] = []) =>
      new Counter({ name, help, labelNames, registers });
    const gauge = (name: string, help: string) =>
      new Gauge({ name, help, labelNames: ['sink'], registers });
    this.records = counter('warden_audit_records_total', 'Audit records sealed.');
    this.written = counter(
      'warden_audit_records_written_total',
      'Records written per local sink.',
      ['sink'],
    );
    this.rejected = counter(
      'warden_audit_rejected_total',
      'Calls refused with 503 because a spool was full.',
    );
    this.remote = [
      [
        counter('warden_audit_delivered_total', 'Records delivered per remote sink.', ['sink']),
        (s) => s.delivered,
      ],
      [
        counter(
          'warden_audit_spooled_total',
          'Records that waited in the spool of a failing or unconfirmed remote sink.',
          ['sink'],
        ),
        (s) => s.spooled,
      ],
      [
        counter('warden_audit_delivery_failures_total', 'Failed deliveries per remote sink.', [
          'sink',
        ]),
        (s) => s.failures,
      ],
      [
        gauge('warden_audit_spool_bytes', 'Bytes waiting in the spool per remote sink.'),
        (s) => s.pending_bytes,
      ],
      [
        gauge(
          'warden_audit_delivery_lag_seconds',
          'Age of the oldest undelivered record per remote sink.',
        ),
        (s) => s.lag_ms / 1000,
      ],
    ];
    this.redactions = counter('warden_audit_redactions_total', 'Values redacted, by kind.', [
      'kind',
    ]);
  }

  set(m: AuditMetrics | undefined): void {
    for (const f of [this.records, this.written, this.rejected, this.redactions]) f.reset();
    for (const [f] of this.remote) f.reset();
    if (!m) return;
    this.records.inc(m.records_total);
    for (const [sink, v] of Object.entries(m.records_written)) this.written.inc({ sink }, v);
    this.rejected.inc(m.rejected_total);
    for (const [sink, s] of Object.entries(m.remote))
      for (const [f, read] of this.remote) {
        const v = Number(read(s));
        if (f instanceof Gauge) f.set({ sink }, v);
        else f.inc({ sink }, v);
      }
    for (const [kind, v] of Object.entries(m.redactions)) this.redactions.inc({ kind }, v);
  }
}

/** A reason without its variable part (tool names, scopes): bounded label values. */
export function reasonLabel(reason: string): string {
  const i = reason.indexOf(':');
  return (i >= 0 ? reason.slice(0, i) : reason).slice(0, 100);
}

/** Route label of a request path: templates, never raw paths (unbounded cardinality). */
export function routeLabel(path: string, upstreams: ReadonlySet<string>): string {
  if (path === '/mcp' || path === '/healthz' || path === '/readyz' || path === '/metrics')
    return path;
  const m = /^\/u\/([^/]+)(\/.*)$/.exec(path);
  if (m) {
    let name: string;
    try {
      name = decodeURIComponent(m[1]);
    } catch {
      return 'other';
    }
    return upstreams.has(name) ? `/u/${name}${m[2] === '/mcp' ? '/mcp' : '/*'}` : '/u/unknown';
  }
  if (path.startsWith('/.well-known/')) return '/.well-known/*';
  if (path.startsWith('/registry/')) return '/registry/*';
  return 'other';
}
