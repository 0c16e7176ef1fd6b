// One configured upstream: its connection(s), its discovered catalog and its resolved tools.
// HTTP upstreams get a fresh SDK Client per downstream session (so server-to-client requests
// and notifications travel on that session's own stream); stdio upstreams have a single child
// and therefore one shared Client (see StdioSupervisor), or with `isolation: per_subject` one
// child per subject (child-pool.ts) besides the one discovery uses.

import { EventEmitter } from 'node:events';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ToolListChangedNotificationSchema,
  type ClientCapabilities,
  type Implementation,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { UpstreamConfig } from '../config/schema.ts';
import { WardenError } from '../errors/index.ts';
import { defaultManifestUrl, discover, fetchManifest, type Listing } from './discovery.ts';
import { StdioSupervisor } from './stdio.ts';
import { ChildPool } from './child-pool.ts';
import { manifestTools, resolveTool, type ResolvedTool } from './tools.ts';
import { injectTraceHeaders } from '../telemetry/index.ts';
import { MODERN_VERSION, ModernClient } from './modern.ts';
import { modernLister } from './modern-lister.ts';
import { createNodeFetch } from './node-fetch.ts';
import { LEGACY_VERSIONS, SUPPORTED_VERSIONS } from '../transport/era.ts';

export const GATEWAY_INFO = { name: 'mcp-warden', version: '0.1.0' };
export type ListKind = 'tools' | 'prompts' | 'resources';
/** Re-list interval of a 2026-07-28 upstream that gives no `ttlMs`. */
const DEFAULT_POLL_MS = 60_000;

/** Headers sent to an HTTP upstream: its own credentials, never the client's token. */
export interface HeaderSource {
  headers(): Record<string, string> | Promise<Record<string, string>>;
}

export interface UpstreamCatalog extends Listing {
  serverInfo?: Implementation;
  capabilities: ServerCapabilities;
  instructions?: string;
  /** Resolved tools by upstream name (hidden ones included; filter with `.hidden`). */
  byName: Map<string, ResolvedTool>;
  manifest?: unknown;
}

export interface ClientHooks {
  capabilities?: ClientCapabilities;
  /** Installs request/notification handlers on a client connected for one session (on a
   *  stdio child's client: `oneSubject` when the child serves one subject's calls only). */
  install?: (client: Client, opts?: { oneSubject?: boolean }) => void;
  /** Whether a call is in flight on a stdio child's client (per-subject children). */
  busy?: (client: Client) => boolean;
}

export class Upstream extends EventEmitter {
  readonly name: string;
  readonly kind: 'http' | 'stdio';
  catalog?: UpstreamCatalog;
  lastError?: string;
  private discoveryClient?: Client;
  private stdio?: StdioSupervisor;
  /** `isolation: per_subject`: the subjects' own children. */
  private pool?: ChildPool;
  private closed = false;
  /** Set when the upstream answers `server/discover` for 2026-07-28 (detected once at start). */
  modern?: ModernClient;
  /** The upstream's `server/discover` result (2026-07-28 upstreams). */
  private discovered?: Record<string, unknown>;
  private pollTimer?: NodeJS.Timeout;
  private stopListening?: () => void;
  private nextPollMs = DEFAULT_POLL_MS;

  constructor(
    readonly config: UpstreamConfig,
    private readonly log: Logger,
    private readonly credentials: HeaderSource,
    /** Hooks for the shared stdio client (server-to-client requests are routed by the gateway). */
    private readonly sharedHooks: ClientHooks = {},
  ) {
    super();
    this.name = config.name;
    this.kind = config.url ? 'http' : 'stdio';
  }

  get ready(): boolean {
    return this.catalog !== undefined && (this.kind === 'http' || this.stdio?.client !== undefined);
  }

  get url(): string | undefined {
    return this.config.url;
  }

  /** A fresh object per call (callers add to it). Synchronous when the credentials are (a
   *  static header, a cached token): the drop-in route then forwards without an await. */
  headers(): Record<string, string> | Promise<Record<string, string>> {
    const own = this.credentials.headers();
    if (own instanceof Promise) return own.then((h) => ({ ...this.config.headers, ...h }));
    return { ...this.config.headers, ...own };
  }

  /** Connects and discovers. Failure is recorded (readyz reports it), not thrown. */
  async start(): Promise<void> {
    try {
      if (this.kind === 'stdio') {
        this.stdio = new StdioSupervisor({
          config: this.config,
          log: this.log,
          clientInfo: GATEWAY_INFO,
          capabilities: this.sharedHooks.capabilities ?? {},
          onClient: (c) => this.watch(c),
          onRestart: () => void this.refresh(),
        });
        if (this.config.isolation === 'per_subject')
          this.pool = new ChildPool({
            config: this.config,
            log: this.log,
            clientInfo: GATEWAY_INFO,
            capabilities: this.sharedHooks.capabilities ?? {},
            onClient: (c) => this.sharedHooks.install?.(c, { oneSubject: true }),
            busy: (c) => this.sharedHooks.busy?.(c) ?? false,
          });
        this.discoveryClient = await this.stdio.start();
      } else {
        // MCP 2026-07-28 first: one stateless POST tells whether the upstream speaks it. A
        // 2025-era server refuses it (no session), and is then initialized as before.
        const modern = new ModernClient(
          this.config.url!,
          async () => this.headers(),
          GATEWAY_INFO,
          this.config.timeout_ms,
          this.config.max_answer_bytes,
        );
        const d = await modern.discover();
        if (d) {
          this.modern = modern;
          this.discovered = d;
        } else {
          this.discoveryClient = await this.connectHttp({});
          this.watch(this.discoveryClient);
        }
      }
      await this.refresh();
      this.listen();
    } catch (e) {
      this.lastError = (e as Error).message;
      this.log.error({ upstream: this.name, err: this.lastError }, 'upstream discovery failed');
    }
  }

  private watch(client: Client): void {
    if (this.kind === 'stdio') this.sharedHooks.install?.(client);
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => this.refresh('tools'));
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () =>
      this.refresh('resources'),
    );
    client.setNotificationHandler(PromptListChangedNotificationSchema, () =>
      this.refresh('prompts'),
    );
  }

  /** The protocol version spoken with this upstream (the registry validates its tools
   * against that revision's schema). */
  get protocolVersion(): string | undefined {
    if (this.modern) return MODERN_VERSION;
    const c = this.kind === 'stdio' ? this.stdio?.client : this.discoveryClient;
    return (c?.transport as { protocolVersion?: string } | undefined)?.protocolVersion;
  }

  /** The versions this upstream serves, as far as the gateway speaks them too (what the
   * drop-in route's -32022 lists). */
  get supportedVersions(): string[] {
    if (this.modern) {
      const listed = this.discovered?.supportedVersions;
      const known = Array.isArray(listed)
        ? listed.filter((v) => SUPPORTED_VERSIONS.includes(v))
        : [];
      return known.length > 0 ? known : [MODERN_VERSION];
    }
    return [this.protocolVersion ?? LEGACY_VERSIONS[0]];
  }

  /** Re-lists everything (on start, list_changed, child restart); emits 'changed'. */
  async refresh(
    /** A list_changed notice of this kind caused the refresh: passed on even when the listing
     *  looks the same (the upstream knows better, e.g. a changed description). */
    notice?: ListKind,
  ): Promise<void> {
    const client = this.kind === 'stdio' ? this.stdio?.client : this.discoveryClient;
    if ((!client && !this.modern) || this.closed) return;
    try {
      const opts = { timeout: this.config.timeout_ms };
      let ttl = Infinity;
      const lister = this.modern
        ? modernLister(this.modern, this.discovered!, (t) => (ttl = Math.min(ttl, t)))
        : client!;
      const listing = await discover(lister, opts);
      let manifest: unknown;
      if (this.config.manifest_url || this.config.url)
        manifest = await fetchManifest(
          this.config.manifest_url ?? defaultManifestUrl(this.config.url!),
          Math.min(this.config.timeout_ms, 5000),
          await this.headers(),
        );
      const fromManifest = manifestTools(manifest);
      const byName = new Map<string, ResolvedTool>();
      for (const def of listing.tools)
        byName.set(
          def.name,
          resolveTool(this.name, def, {
            override: this.config.tools[def.name],
            manifest: fromManifest.get(def.name),
            defaultScope: this.config.default_scope,
          }),
        );
      const d = this.discovered;
      this.catalog = {
        ...listing,
        serverInfo: d ? (d.serverInfo as Implementation | undefined) : client!.getServerVersion(),
        capabilities: (d ? d.capabilities : client!.getServerCapabilities()) ?? {},
        instructions: d ? (d.instructions as string | undefined) : client!.getInstructions(),
        byName,
        manifest,
      };
      this.lastError = undefined;
      if (this.modern) this.nextPollMs = Number.isFinite(ttl) ? ttl : DEFAULT_POLL_MS;
      this.emit('changed', notice);
    } catch (e) {
      this.lastError = (e as Error).message;
      this.log.error({ upstream: this.name, err: this.lastError }, 'upstream discovery failed');
    } finally {
      if (this.modern) this.schedulePoll();
    }
  }

  /** Lists again on a fresh upstream session (a 2025-era HTTP upstream keeps its discovery
   *  session otherwise): what the upstream serves a new client, after an operator approved a
   *  definition a client was served. */
  async rediscover(): Promise<void> {
    if (this.kind === 'http' && !this.modern && !this.closed) {
      const fresh = await this.connectHttp({});
      this.watch(fresh);
      const old = this.discoveryClient;
      this.discoveryClient = fresh;
      await old?.close().catch(() => undefined);
    }
    await this.refresh();
  }

  /**
   * MCP 2026-07-28 delivers list_changed on a `subscriptions/listen` stream (it replaced the GET
   * stream): one per upstream that declares listChanged, re-opened with backoff when it ends.
   * Each notice re-lists the catalog and is passed on as such ('changed' with its kind).
   */
  private listen(): void {
    const caps = (this.discovered?.capabilities ?? {}) as Record<string, { listChanged?: boolean }>;
    const filter = {
      ...(caps.tools?.listChanged ? { toolsListChanged: true } : {}),
      ...(caps.prompts?.listChanged ? { promptsListChanged: true } : {}),
      ...(caps.resources?.listChanged ? { resourcesListChanged: true } : {}),
    };
    if (!this.modern || Object.keys(filter).length === 0) return;
    const abort = new AbortController();
    this.stopListening = () => abort.abort();
    const KINDS: Record<string, ListKind> = {
      'notifications/tools/list_changed': 'tools',
      'notifications/prompts/list_changed': 'prompts',
      'notifications/resources/list_changed': 'resources',
    };
    let backoff = 1000;
    const loop = async () => {
      while (!this.closed && !abort.signal.aborted) {
        const opened = Date.now();
        await this.modern!.request(
          'subscriptions/listen',
          { notifications: filter },
          {
            timeoutMs: Infinity,
            signal: abort.signal,
            onNotification: (n) => {
              const kind = KINDS[n.method];
              if (kind) void this.refresh(kind);
            },
          },
        ).catch(() => undefined);
        if (Date.now() - opened > 30_000) backoff = 1000;
        await new Promise((r) => setTimeout(r, backoff).unref());
        backoff = Math.min(backoff * 2, 30_000);
      }
    };
    void loop();
  }

  /** 2026-07-28 upstreams without listChanged: the catalog is re-listed when the upstream's
   * `ttlMs` says the lists may have changed (bounded to 5 s … 5 min). */
  private schedulePoll(): void {
    clearTimeout(this.pollTimer);
    if (this.closed) return;
    const ms = Math.min(Math.max(this.nextPollMs, 5_000), 300_000);
    this.pollTimer = setTimeout(() => void this.refresh(), ms);
    this.pollTimer.unref();
  }

  tool(name: string): ResolvedTool | undefined {
    return this.catalog?.byName.get(name);
  }

  /** The `fetch` of this upstream's SDK client transports: node:http keep-alive (see
   * node-fetch.ts), the upstream's credentials computed per request so refreshed tokens apply
   * at once, and W3C Trace Context (§3.2) continuing the gateway's `warden.upstream` span. */
  readonly clientFetch = async (url: string | URL, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    for (const [k, v] of Object.entries(await this.headers())) headers.set(k, v);
    injectTraceHeaders(headers);
    return this.nodeFetch(url, { ...init, headers }, this.config.max_answer_bytes);
  };
  private readonly nodeFetch = createNodeFetch();

  private async connectHttp(hooks: ClientHooks): Promise<Client> {
    const client = new Client(GATEWAY_INFO, { capabilities: hooks.capabilities ?? {} });
    hooks.install?.(client);
    const transport = new StreamableHTTPClientTransport(new URL(this.config.url!), {
      fetch: this.clientFetch,
    });
    await client.connect(transport, { timeout: this.config.timeout_ms });
    return client;
  }

  /**
   * A client for one downstream session: HTTP upstreams get their own connection with the
   * session's client capabilities; stdio upstreams share their single child.
   */
  async sessionClient(
    hooks: ClientHooks,
    /** The caller's subject (child-pool.ts subjectKey): which child, with per_subject. */
    subject?: string,
  ): Promise<{ client: Client; shared: boolean }> {
    if (this.kind === 'stdio' && this.pool) {
      if (subject === undefined)
        throw new WardenError(
          'UPSTREAM_UNAVAILABLE',
          `upstream ${this.name} runs one child per subject: this request names none`,
          { status: 502, rpcCode: -32010 },
        );
      return { client: await this.pool.acquire(subject), shared: true };
    }
    if (this.kind === 'stdio') {
      const client = this.stdio?.client;
      if (!client)
        throw new WardenError('UPSTREAM_UNAVAILABLE', `upstream ${this.name} is not running`, {
          status: 502,
          rpcCode: -32010,
        });
      return { client, shared: true };
    }
    try {
      return { client: await this.connectHttp(hooks), shared: false };
    } catch (e) {
      throw new WardenError(
        'UPSTREAM_UNAVAILABLE',
        `upstream ${this.name} is unreachable: ${(e as Error).message}`,
        {
          status: 502,
          rpcCode: -32010,
          cause: e,
        },
      );
    }
  }

  /** A stdio child already serving `subject` (never spawns one): the shared child, or with
   *  per_subject that subject's own. */
  existingClient(subject: string): Promise<Client> | undefined {
    if (this.pool) return this.pool.existing(subject);
    return this.stdio?.client && Promise.resolve(this.stdio.client);
  }

  /** Per-subject children running now (isolation: per_subject). */
  get children(): number {
    return this.pool?.size ?? 0;
  }

  /** For tests and `readyz`: the stdio child's pid, restart count and spawns tried. */
  get process(): { pid?: number; restarts: number; attempts: number } | undefined {
    return (
      this.stdio && {
        pid: this.stdio.pid,
        restarts: this.stdio.restarts,
        attempts: this.stdio.attempts,
      }
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.pollTimer);
    this.stopListening?.();
    this.modern?.close();
    await this.stdio?.close();
    await this.pool?.close();
    if (this.kind === 'http') await this.discoveryClient?.close().catch(() => undefined);
    this.nodeFetch.close();
  }
}
