// Everything one configuration builds: upstreams (started and discovered), the authorizer,
// the routes and the router. A reload builds a new Runtime next to the old one, swaps it in,
// and closes the old one once its in-flight calls have finished.

import type { ListKind } from '../upstream/upstream.ts';
import { createRequestStateSealer } from '../session/request-state.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import {
  createResourceServer,
  createUpstreamCredentials,
  JwksWatch,
  type AuthConfig,
  type DemoIssuer,
  type ResourceServer,
  type UpstreamAuthConfig,
} from '../auth/index.ts';
import type { UpstreamConfig, WardenConfig } from '../config/schema.ts';
import { compileOriginPolicy } from '../transport/hygiene.ts';
import { Upstream } from '../upstream/upstream.ts';
import type { Auditor } from '../audit/index.ts';
import type { GatewayMetrics } from '../metrics/gateway.ts';
import { Authorizer, type CallGuard } from './authorize.ts';
import { DropInProxy } from './dropin-proxy.ts';
import type { McpRoute } from './http-stage.ts';
import type { RemotePolicyStatus } from '../policy/remote.ts';
import type { PolicyDecider } from './policy-port.ts';
import { attachShared, busy } from './shared-calls.ts';
import { RouteContext } from './route-context.ts';
import { createRouter, type RegistryHandler } from './routes.ts';
import { ServedRoute } from './served-route.ts';

export interface RuntimeShared {
  log: Logger;
  audit: Auditor;
  metrics: GatewayMetrics;
  demo?: DemoIssuer;
  /** Where the gateway listens (http://host:port) and the host it is bound to. */
  url: string;
  host: string;
  draining: () => boolean;
  /** Runtimes not yet closed (during a reload, the old one still answers its calls): a shared
   *  stdio child adopted across reloads routes its server-to-client requests through all. */
  live: Set<Runtime>;
  /** Builds the `/registry/…` handler for a runtime's upstreams (see GatewayOptions). */
  registry?: RegistryFactory;
}

/** Called once per Runtime (a reload builds new upstreams): the registry module's hook. */
export type RegistryFactory = (rt: {
  upstreams: Upstream[];
  config: WardenConfig;
  publicUrl: string;
}) => RegistryHandler & Partial<CallGuard> & { close?(): void };

export class Runtime {
  readonly upstreams: Upstream[];
  readonly served: ServedRoute[] = [];
  readonly dropIn = new Map<string, McpRoute>();
  auth!: ResourceServer;
  registry?: ReturnType<RegistryFactory>;
  /** Watches `auth.jwks_uri` for /readyz (absent: keys in process, or introspection only). */
  jwks?: JwksWatch;
  handle!: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  /** POSTs being answered by this runtime (a reload waits for them). */
  inflight = 0;
  private readonly idle: Array<() => void> = [];
  /** Upstreams taken over from the previous runtime (already started; not restarted). */
  private readonly adopted = new Set<Upstream>();
  /** Upstreams a newer runtime took over: close() leaves them running. */
  private readonly handedOver = new Set<Upstream>();
  private readonly listeners: Array<() => void> = [];

  constructor(
    readonly config: WardenConfig,
    readonly policy: PolicyDecider,
    private readonly shared: RuntimeShared,
    /** Set when the policy follows a bundle server: shown in /readyz and /metrics. */
    private readonly policyStatus?: () => RemotePolicyStatus,
    /** The runtime being replaced (reload): its stdio children whose config is unchanged are
     *  kept — a restart would lose their state and every session's calls in flight on them. */
    previous?: Runtime,
  ) {
    shared.live.add(this);
    this.upstreams = config.upstreams.map((u, i) => {
      const kept = previous?.upstreams.find(
        (o) => o.kind === 'stdio' && o.name === u.name && sameConfig(o.config, u),
      );
      if (kept) {
        this.adopted.add(kept);
        previous!.handedOver.add(kept);
        return kept;
      }
      const creds = u.auth
        ? createUpstreamCredentials(u.auth as unknown as UpstreamAuthConfig, {
            where: `upstreams[${i}].auth`,
          })
        : { headers: async () => ({}) };
      // A stdio child is shared by every session: its server-to-client requests and log
      // messages go to the one call they can be attributed to, or are dropped and recorded.
      const sink = { audit: shared.audit, log: shared.log };
      return new Upstream(u, shared.log, creds, {
        capabilities: { sampling: {}, elicitation: {}, roots: {} },
        install: (client, opts) => attachShared(client, u.name, sink, opts),
        busy,
      });
    });
  }

  /** Starts upstreams (discovery) and builds the routes. Upstream failures do not throw. */
  async start(): Promise<void> {
    const { config, shared, upstreams } = this;
    const publicUrl = config.public_url ?? shared.url;
    const authCfg: AuthConfig = {
      ...(config.auth as AuthConfig),
      ...(shared.demo ? shared.demo.authConfig(config.auth as AuthConfig) : {}),
    };
    const jwksUri = shared.demo ? undefined : config.auth.jwks_uri;
    if (jwksUri) {
      const log = shared.log.child({ component: 'auth' });
      this.jwks = new JwksWatch(jwksUri, (config.auth.fetch_timeout_ms as number) ?? 3000, {
        fetched: (ok) => shared.metrics.jwksFetched(ok),
        failed: (s) =>
          log.error(
            { jwks_uri: s.url, err: s.error },
            'cannot fetch the token keys (JWKS): every call gets 503 and /readyz fails until they can be fetched',
          ),
        recovered: (s) =>
          log.info({ jwks_uri: s.url, keys: s.keys }, 'token keys (JWKS) fetched again'),
      });
    }
    await Promise.all([
      ...upstreams.filter((u) => !this.adopted.has(u)).map((u) => u.start()),
      this.jwks?.check(),
    ]);
    this.auth = createResourceServer(authCfg, {
      onKeysUnavailable: () => this.jwks?.unavailable(),
      publicUrl,
      localJwks: shared.demo?.jwks,
      scopesSupported: () => [
        ...new Set(
          upstreams.flatMap((u) => [...(u.catalog?.byName.values() ?? [])].map((t) => t.scope)),
        ),
      ],
    });
    this.registry = shared.registry?.({ upstreams, config, publicUrl });
    const authorizer = new Authorizer(this.auth, this.policy, config, this.registry);
    const nameOpts = { maxNameLength: config.limits.tool_name_max_length };
    const aggCtx = new RouteContext(
      '/mcp',
      upstreams,
      authorizer,
      { ...nameOpts, prefix: true },
      shared.audit,
      shared.metrics,
    );
    // One sealer for every route: a state sealed on /mcp is opened by any replica's /mcp.
    const states = createRequestStateSealer({ keys: config.sessions.keys });
    aggCtx.states = states;
    // Task ids (tasks extension) live as long as sealed sessions.
    const taskIds = createRequestStateSealer({
      keys: config.sessions.keys,
      ttlMs: config.sessions.ttl_s * 1000,
    });
    aggCtx.taskIds = taskIds;
    aggCtx.replica = config.sessions.advertise_url;
    // Sessions per subject are capped per route (session-cap.ts).
    const sessions = {
      ...config.sessions,
      max_per_subject: config.limits.max_sessions_per_subject,
    };
    const aggServed = new ServedRoute(aggCtx, sessions);
    this.served.push(aggServed);
    const aggregate: McpRoute = { kind: 'served', ctx: aggCtx, served: aggServed, upstream: null };
    for (const u of upstreams) {
      const ctx = new RouteContext(
        `/u/${u.name}/mcp`,
        [u],
        authorizer,
        { ...nameOpts, prefix: false },
        shared.audit,
        shared.metrics,
      );
      ctx.states = states;
      ctx.taskIds = taskIds;
      ctx.replica = config.sessions.advertise_url;
      let route: McpRoute;
      if (u.kind === 'http')
        route = {
          kind: 'proxy',
          ctx,
          proxy: new DropInProxy(u, ctx, sessions),
          upstream: u.name,
        };
      else {
        const served = new ServedRoute(ctx, sessions);
        this.served.push(served);
        route = { kind: 'served', ctx, served, upstream: u.name };
      }
      this.dropIn.set(u.name, route);
      const onChanged = (notice?: ListKind) => {
        if (route.kind === 'served') route.served.changed(notice);
        else route.ctx.index.rebuild();
        aggServed.changed(notice);
      };
      u.on('changed', onChanged);
      this.listeners.push(() => u.off('changed', onChanged));
    }
    const router = createRouter({
      auth: this.auth,
      audit: shared.audit,
      metrics: shared.metrics,
      log: shared.log,
      origins: compileOriginPolicy({
        allowed: config.allowed_origins,
        publicUrl: config.public_url,
        listenUrl: shared.url,
        host: shared.host,
      }),
      publicHost: config.public_url ? new URL(config.public_url).hostname : undefined,
      maxBodyBytes: config.limits.max_body_bytes,
      bodyTimeoutMs: config.limits.body_timeout_ms,
      aggregate,
      dropIn: this.dropIn,
      upstreams,
      demo: shared.demo,
      publicUrl,
      policyRevision: () => this.policy.revision,
      policyStatus: this.policyStatus,
      draining: shared.draining,
      registry: this.registry,
      ...(this.jwks ? { jwks: () => this.jwks!.status() } : {}),
    });
    this.handle = async (req, res) => {
      // Only POSTs are calls; GET streams are long-lived and end when sessions close.
      const counted = req.method === 'POST';
      if (counted) this.inflight++;
      res.on('close', () => {
        if (counted && --this.inflight === 0) this.idle.splice(0).forEach((f) => f());
      });
      await router(req, res);
    };
  }

  /** Resolves when no call is in flight, or after `graceMs`. */
  async drain(graceMs: number): Promise<void> {
    // Listen streams are not calls to wait for: they end now, with their result.
    for (const r of this.served) for (const end of [...r.ctx.closing]) end();
    if (this.inflight === 0) return;
    await Promise.race([
      new Promise<void>((ok) => this.idle.push(ok)),
      new Promise<void>((ok) => setTimeout(ok, graceMs).unref()),
    ]);
  }

  async close(): Promise<void> {
    this.shared.live.delete(this);
    this.listeners.splice(0).forEach((off) => off());
    const closing = this.upstreams.filter((u) => !this.handedOver.has(u));
    this.registry?.close?.();
    this.jwks?.close();
    this.shared.metrics.retire(closing);
    for (const r of this.served) for (const end of [...r.ctx.closing]) end();
    await Promise.all(this.served.map((r) => r.close()));
    // Held 2026-07-28 calls and their pooled upstream sessions (gateway/held-calls.ts).
    for (const r of this.served) r.ctx.held.close();
    for (const r of this.dropIn.values()) if (r.kind === 'proxy') r.proxy.close();
    await Promise.all(closing.map((u) => u.close()));
  }

  /** A reload that failed to start: the previous runtime keeps what it lent. */
  abandon(previous: Runtime): void {
    for (const u of this.adopted) {
      previous.handedOver.delete(u);
      this.handedOver.add(u);
    }
  }
}

/** Same upstream definition (the reload keeps its stdio child). */
const sameConfig = (a: UpstreamConfig, b: UpstreamConfig): boolean =>
  JSON.stringify(a) === JSON.stringify(b);
