// The gateway's metrics (issue #8 "Observability", PRODUCT.md `/metrics`): requests by route,
// method and status; policy decisions by reason; upstream latency per upstream; the policy
// revision as an info gauge; remote bundle activations, rejections and the time of the last
// successful poll; and the audit module's own metrics appended at scrape time.
// Label values are bounded: routes are templates of known paths, reasons lose what follows
// their first colon ("no such tool: x" → "no such tool"), upstreams are the configured names.

import { CONTENT_TYPE, Registry } from './registry.ts';
import { SUPPORTED_VERSIONS } from '../transport/era.ts';

export { CONTENT_TYPE };

/** Seconds; from a fast loopback call to a slow tool (the default timeout is 30 s). */
const LATENCY_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

const KNOWN_VERSIONS = new Set(SUPPORTED_VERSIONS);

export class GatewayMetrics {
  private readonly registry = new Registry();
  private readonly requests = this.registry.counter(
    'warden_http_requests_total',
    'HTTP requests answered, by route template, method and status.',
    ['route', 'method', 'status'],
  );
  private readonly decisions = this.registry.counter(
    'warden_policy_decisions_total',
    'tools/call authorization decisions, by decision and reason (one per reason of a denial).',
    ['decision', 'reason'],
  );
  private readonly upstream = this.registry.histogram(
    'warden_upstream_request_duration_seconds',
    'Time from forwarding a request to an upstream to its answer, by upstream and method.',
    ['upstream', 'method'],
    LATENCY_BUCKETS,
  );
  private readonly eras = this.registry.counter(
    'warden_mcp_messages_total',
    'MCP messages POSTed to the gateway, by protocol revision (the 2026-07-28 envelope, the 2025-era MCP-Protocol-Version header, or "unknown").',
    ['route', 'protocol_version'],
  );
  private readonly revision = this.registry.gauge(
    'warden_policy_revision_info',
    'The loaded policy bundle revision (value 1).',
    ['revision'],
  );
  private readonly activations = this.registry.counter(
    'warden_policy_bundle_activations_total',
    'Policy bundles downloaded from the bundle server, verified and activated.',
  );
  private readonly rejections = this.registry.counter(
    'warden_policy_bundle_failures_total',
    'Bundle polls that failed or bundles rejected (the active bundle stays), by error code.',
    ['code'],
  );
  private readonly shadow = this.registry.counter(
    'warden_policy_shadow_disagreements_total',
    'tools/call decisions where the shadow policy (policy.shadow) decided otherwise than the live one, by both outcomes (allow, deny, ask; error when the shadow failed).',
    ['live', 'shadow'],
  );
  private readonly lastSuccess = this.registry.gauge(
    'warden_policy_bundle_last_success_timestamp_seconds',
    'Unix time of the last bundle poll that succeeded (a new bundle or 304 Not Modified).',
  );

  request(route: string, method: string, status: number): void {
    this.requests.inc([route, method, String(status)]);
  }

  /** Label values are bounded: known revisions only, anything else is "unknown". */
  message(route: string, protocolVersion: string | undefined): void {
    const v = protocolVersion && KNOWN_VERSIONS.has(protocolVersion) ? protocolVersion : 'unknown';
    this.eras.inc([route, v]);
  }

  decision(allow: boolean, reasons: readonly string[]): void {
    if (allow) return this.decisions.inc(['allow', '']);
    for (const r of reasons.length ? reasons : ['']) this.decisions.inc(['deny', reasonLabel(r)]);
  }

  upstreamLatency(upstream: string, method: string, seconds: number): void {
    this.upstream.observe([upstream, method], seconds);
  }

  /** Outcomes are one of allow / deny / ask / error (bounded by the caller's type). */
  shadowDisagreement(live: string, shadow: string): void {
    this.shadow.inc([live, shadow]);
  }

  bundleActivated(): void {
    this.activations.inc();
  }

  /** `code` is the failure's stable error code (bounded: WardenError codes). */
  bundleRejected(code: string): void {
    this.rejections.inc([code.slice(0, 64)]);
  }

  /**
   * The exposition text: the gateway's families, then `extra` (the auditor's). The revision
   * gauge is rebuilt from the active revision at each scrape, so it follows bundle swaps with
   * exactly one series; `lastSuccessAt` (epoch ms) comes from the remote policy's status.
   */
  render(policyRevision: string, extra = '', bundle?: { lastSuccessAt?: number }): string {
    this.revision.reset();
    this.revision.set([policyRevision], 1);
    this.lastSuccess.reset();
    if (bundle?.lastSuccessAt) this.lastSuccess.set([], bundle.lastSuccessAt / 1000);
    return this.registry.render() + extra;
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
