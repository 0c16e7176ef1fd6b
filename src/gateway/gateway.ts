// createGateway: config in, a gateway out. `listen` binds and builds the Runtime (upstreams,
// policy, auth, routes); `reload` swaps in a Runtime built from a new config without dropping
// in-flight calls; `close` drains and stops everything. The policy is a PolicySource
// (policy-port.ts): a local bundle, or a bundle server polled for the gateway's lifetime and
// kept across reloads that leave its settings unchanged.

import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createAuditor, type Auditor } from '../audit/index.ts';
import { createDemoIssuer, type DemoIssuer, type ResourceServer } from '../auth/index.ts';
import type { WardenConfig } from '../config/schema.ts';
import { GatewayMetrics } from '../metrics/gateway.ts';
import { UserInputError } from '../errors/index.ts';
import { httpError, sendError } from '../transport/errors.ts';
import type { Upstream } from '../upstream/upstream.ts';
import type { RemotePolicy } from '../policy/remote.ts';
import { openPolicy, policyKey, type PolicyDecider, type PolicySource } from './policy-port.ts';
import { registryFactory } from '../registry/index.ts';
import { Runtime, type RegistryFactory, type RuntimeShared } from './runtime.ts';
import { startTelemetry } from '../telemetry/index.ts';
import { preflight, preflightError } from './preflight.ts';
import { watchLocalPolicy, type WatchedPolicySource } from './policy-watch.ts';
import { clientGone, createLogger, logOptions } from './log.ts';

/** How long a client has to send its request headers (node's default is 60 s). */
const HEADERS_TIMEOUT_MS = 10_000;

export interface GatewayOptions {
  /** Policy decision function; default: the WASM engine on `config.policy.path`. */
  policy?: PolicyDecider;
  /** The demo issuer to trust when `auth.demo` is set; default: a fresh one. */
  demoIssuer?: DemoIssuer;
  logger?: Logger;
  /** The audit module instance; default: createAuditor(config.audit), closed by close(). */
  audit?: Auditor;
  /** The `/registry/…` API for each runtime (src/registry); absent: those paths are 404. */
  registry?: RegistryFactory;
}

export interface Gateway {
  /** Binds (config.listen unless given), discovers upstreams; resolves to the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  /**
   * Applies a new config: builds and discovers the new upstreams and policy first; on success
   * new requests go to them and the old ones close after their in-flight calls finish. On
   * failure the old config stays and the error is thrown. `listen`, `auth.demo` and `audit`
   * changes need a restart (logged).
   */
  reload(config: WardenConfig, opts?: { policy?: PolicyDecider }): Promise<void>;
  /** Stops accepting, drains in-flight calls (≤ limits.shutdown_grace_ms), stops upstreams. */
  close(): Promise<void>;
  /** Base URL, e.g. http://127.0.0.1:8080 (after listen). */
  readonly url: string;
  readonly upstreams: Upstream[];
  readonly demoIssuer?: DemoIssuer;
  readonly auth: ResourceServer;
  readonly policy: PolicyDecider;
  /** The bundle server follower when `policy.path` is a URL (and no `policy` option given). */
  readonly remotePolicy?: RemotePolicy;
  readonly config: WardenConfig;
  readonly http: HttpServer;
  readonly log: Logger;
}

export async function createGateway(
  config: WardenConfig,
  opts: GatewayOptions = {},
): Promise<Gateway> {
  // A config the gateway cannot run with fails here, before any port is bound or upstream
  // started (PRODUCT.md "Command line": never a port bound while unable to serve).
  const problems = preflight(config);
  if (problems.length) throw preflightError(problems);
  const log = opts.logger ?? createLogger(logOptions(config.log));
  // Counters live as long as the process, across reloads (Prometheus expects monotonic).
  const metrics = new GatewayMetrics();
  const plog = log.child({ component: 'policy' });
  const open = async (p: WardenConfig['policy']): Promise<PolicySource> => {
    const s = await openPolicy(p, {
      log: plog,
      activated: () => metrics.bundleActivated(),
      rejected: (code) => metrics.bundleRejected(code),
      shadowDisagreed: (live, shadow) => metrics.shadowDisagreement(live, shadow),
    });
    // A local directory or bundle follows its files (a remote one follows its server).
    if (s.remote || p.watch === false) return s;
    return watchLocalPolicy(s, p, { log: plog, reloaded: (r) => metrics.reload('policy', r) });
  };
  const fixed = (decider: PolicyDecider): PolicySource => ({
    decider,
    key: `option:${decider.revision}`,
    close() {},
  });
  let source = opts.policy ? fixed(opts.policy) : await open(config.policy);
  const policy = source.decider;
  // One auditor for the gateway's lifetime: its file sinks own the hash chain's head, so a
  // second instance on the same file would fork the chain. A reload keeps it.
  let audit: Auditor;
  let demo: DemoIssuer | undefined;
  try {
    audit = opts.audit ?? (await createAuditor(config.audit, { logger: log }));
    demo = config.auth.demo ? (opts.demoIssuer ?? (await createDemoIssuer())) : undefined;
  } catch (e) {
    source.close(); // a remote policy would keep polling for a gateway that never was
    throw e;
  }
  // Traces (src/telemetry): process-wide, kept across reloads (a `telemetry` change needs a
  // restart), flushed on close.
  const telemetry = await startTelemetry(config.telemetry, log);
  let draining = false;
  let current: Runtime | undefined;
  let shared: RuntimeShared | undefined;
  const http = createServer((req, res) => {
    if (!current) return sendError(res, httpError('NOT_READY', 'Service Unavailable: starting'));
    current.handle(req, res).catch((e: unknown) => {
      if (clientGone(req, e)) log.debug({ err: e }, 'client went away mid-request');
      else log.error({ err: e }, 'unhandled request error');
      sendError(res, e);
    });
  });
  // Bounded reads (RFC 9110 §15.5.9 408): a client gets HEADERS_TIMEOUT_MS for its headers; the
  // body's own deadline (`limits.body_timeout_ms`, transport/body.ts) is answered and audited by
  // the route; node's requestTimeout is only the backstop behind both (it answers 408 itself).
  http.headersTimeout = HEADERS_TIMEOUT_MS;
  http.requestTimeout = HEADERS_TIMEOUT_MS + config.limits.body_timeout_ms + 5_000;

  const need = (): Runtime => {
    if (!current) throw new Error('gateway is not listening');
    return current;
  };

  return {
    get url() {
      return shared?.url ?? '';
    },
    get upstreams() {
      return need().upstreams;
    },
    demoIssuer: demo,
    get auth() {
      return need().auth;
    },
    get policy() {
      return current?.policy ?? policy;
    },
    get remotePolicy() {
      return source.remote;
    },
    get config() {
      return current?.config ?? config;
    },
    http,
    log,

    async listen(port = config.listen.port, host = config.listen.host) {
      await new Promise<void>((ok, fail) => {
        http.once('error', (e) => fail(listenError(e as NodeJS.ErrnoException, host, port)));
        http.listen(port, host, () => ok());
      });
      const addr = http.address() as AddressInfo;
      const url = `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`;
      // The demo authorization server's issuer is its URL (RFC 8414 §2), known only now.
      demo?.bindUrl(config.public_url ?? url);
      shared = {
        log,
        audit,
        metrics,
        demo,
        url,
        host,
        draining: () => draining,
        live: new Set(),
        registry: opts.registry ?? registryFactory(log),
      };
      const rt = new Runtime(config, policy, shared, statusOf(source));
      try {
        await rt.start();
      } catch (e) {
        // Nothing to serve with: give the port back rather than answer 503 forever.
        http.closeAllConnections();
        await new Promise<void>((ok) => http.close(() => ok()));
        await rt.close().catch(() => undefined);
        throw e;
      }
      current = rt;
      return url;
    },

    async reload(next, o = {}) {
      if (!shared) throw new Error('gateway is not listening');
      const old = need();
      // Nothing changed (a SIGHUP, an editor's save of the same text): keep everything — the
      // sessions, the children, the policy (re-read only if its files changed).
      const same = (c: WardenConfig) => JSON.stringify({ ...c, source: undefined });
      if (!o.policy && same(next) === same(old.config)) {
        await (source as Partial<WatchedPolicySource>).refresh?.();
        metrics.reload('config', 'unchanged');
        log.info({ source: next.source }, 'config unchanged; nothing to reload');
        return;
      }
      for (const key of ['listen', 'audit', 'telemetry'] as const)
        if (JSON.stringify(next[key]) !== JSON.stringify(old.config[key]))
          log.warn({ key }, 'config change needs a restart to apply; ignored');
      if (next.auth.demo !== old.config.auth.demo)
        log.warn({ key: 'auth.demo' }, 'config change needs a restart to apply; ignored');
      let nextSource: PolicySource;
      let rt: Runtime | undefined;
      try {
        // Same policy settings: keep the source (a remote keeps its poller, ETag and counters;
        // a local one its watcher).
        nextSource = o.policy
          ? fixed(o.policy)
          : policyKey(next.policy) === policyKey(old.config.policy) &&
              next.policy.watch === old.config.policy.watch &&
              !source.key.startsWith('option:')
            ? source
            : await open(next.policy);
        const problems = preflight(next);
        if (problems.length) throw preflightError(problems);
        rt = new Runtime(next, nextSource.decider, shared, statusOf(nextSource), old);
        await rt.start();
      } catch (e) {
        if (rt) {
          rt.abandon(old);
          void rt.close();
        }
        if (nextSource! && nextSource !== source) nextSource.close();
        metrics.reload('config', 'rejected');
        throw e;
      }
      const oldSource = source;
      source = nextSource;
      current = rt;
      metrics.reload('config', 'applied');
      log.info(
        { source: next.source, policy_revision: nextSource.decider.revision },
        'config reloaded',
      );
      // Old sessions end with the old runtime; their clients get 404 and re-initialize (MCP
      // 2025-11-25 "Session Management"), but no call in flight is cut. A replaced remote stops
      // polling; its engine stays usable for the calls still draining on it.
      if (oldSource !== source) oldSource.close();
      void old.drain(next.limits.shutdown_grace_ms).then(() => old.close());
    },

    async close() {
      draining = true;
      const closed = new Promise<void>((ok) => http.close(() => ok()));
      if (current) {
        await current.drain(current.config.limits.shutdown_grace_ms);
        await current.close();
      }
      http.closeAllConnections();
      await closed;
      source.close();
      // After draining: every answered request's record is sealed by now; flush and drain
      // the remote sinks (what does not make it stays spooled for the next start).
      if (opts.audit) await audit.flush();
      else await audit.close(config.limits.shutdown_grace_ms);
      await telemetry.shutdown(); // after the last request's spans ended
    },
  };
}

/** Binding failures are the operator's to fix (another process on the port, an address this
 *  host does not have): one line naming listen.host/listen.port, not an internal error. */
function listenError(e: NodeJS.ErrnoException, host: string, port: number): Error {
  const why: Record<string, [string, string]> = {
    EADDRINUSE: ['listen.port', 'address already in use'],
    EADDRNOTAVAIL: ['listen.host', 'address not available on this host'],
    EACCES: ['listen.port', 'permission denied (ports below 1024 need privileges)'],
    ENOTFOUND: ['listen.host', 'host name not found'],
    EAI_AGAIN: ['listen.host', 'host name not resolvable'],
  };
  const w = e.code ? why[e.code] : undefined;
  if (!w) return e;
  const addr = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  return new UserInputError('LISTEN_FAILED', `cannot listen on ${addr}: ${w[1]} (${e.code})`, {
    where: w[0],
    cause: e,
  });
}

const statusOf = (s: PolicySource) =>
  s.remote ? () => (s.remote as RemotePolicy).status() : undefined;
