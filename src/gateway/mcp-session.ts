// One downstream MCP session of a gateway-served route (/mcp, or /u/<stdio-upstream>/mcp): an
// SDK Server on a StreamableHTTPServerTransport, plus the upstream clients this session uses.
// The handlers route by exposed name; authorization already happened at the HTTP stage
// (gateway/http-stage.ts) so a tools/call that reaches a handler is allowed. Methods other than
// tools/call (resources, prompts, completion, logging, subscriptions: one module each) are
// authenticated and audited there too, and not policy-evaluated per tool.

import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CallToolRequestSchema,
  CallToolResultSchema,
  ErrorCode,
  GetPromptRequestSchema,
  GetPromptResultSchema,
  ListPromptsRequestSchema,
  ListToolsRequestSchema,
  McpError,
  type LoggingLevel,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { Subject } from '../auth/index.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { GATEWAY_INFO } from '../upstream/upstream.ts';
import {
  InFlight,
  installReverseHandlers,
  relayOptions,
  upstreamError,
  upstreamParams,
  type Extra,
  relayRequest,
} from './relay.ts';
import { installCompletion } from './completion.ts';
import { applyLevel, installLogging, passes, type LoggingSession } from './logging.ts';
import { joinShared, leaveShared, relayToSession, type LogParams } from './notices.ts';
import { installResources } from './resources.ts';
import type { RouteContext } from './route-context.ts';
import { passedCapabilities, reconnect, type SealedSessions } from './sealed-session.ts';
import { installPassThrough } from './session-reverse.ts';
import type { SessionState } from '../session/seal.ts';
import {
  installSubscriptions,
  releaseShared,
  SessionSubscriptions,
  type SubscribingSession,
} from './subscriptions.ts';
import { withSpan } from '../telemetry/index.ts';
import { runShared } from './shared-calls.ts';
import { subjectKey } from '../upstream/child-pool.ts';
import { modernUpstreamClient } from './era-adapter.ts';
import { redactForClient } from './audit-hook.ts';
import { SpanKind } from '@opentelemetry/api';

/** Answered instead of a tool's result whose audit record could not be written. */
const AUDIT_FAILED = new McpError(ErrorCode.InternalError, 'audit record could not be written');

/** A request of a sealed session (stateless replicas, gateway/sealed-session.ts). */
export interface SealedMode {
  sessions: SealedSessions;
  /** The opened state; absent for the initialize that creates it. */
  state?: SessionState;
  /** The sealed id: the request's header, or (initialize) set once the state is sealed. */
  id?: string;
}

export class McpSession implements SubscribingSession, LoggingSession {
  readonly transport: StreamableHTTPServerTransport;
  readonly server: Server;
  readonly inflight = new InFlight();
  readonly subs = new SessionSubscriptions();
  /** Set by logging/setLevel (logging.ts); applied to the upstreams and to relayed messages. */
  logLevel: LoggingLevel | undefined;
  lastSeen = Date.now();
  private readonly clients = new Map<string, Promise<Client>>();

  constructor(
    readonly route: RouteContext,
    readonly subject: Subject,
    onInit: (s: McpSession, id: string) => void,
    onClose: (s: McpSession) => void,
    /** Set: this object serves one request of a sealed session and is then closed. */
    readonly sealed?: SealedMode,
  ) {
    if (!sealed)
      this.transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        onsessioninitialized: (id) => onInit(this, id),
      });
    else if (!sealed.state)
      // initialize: the SDK takes the id from the generator once the request is accepted; the
      // route has sealed it by then (served-route.ts).
      this.transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => sealed.id! });
    else {
      // Any later request: the SDK's stateless mode (no session validation: the route opened
      // the sealed id already). Its session id is set so that the SDK echoes the header and
      // handlers' `extra.sessionId` keys the audit ledger like in-memory sessions do.
      this.transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      (
        this.transport as unknown as { _webStandardTransport: { sessionId?: string } }
      )._webStandardTransport.sessionId = sealed.id;
    }
    this.transport.onclose = () => {
      onClose(this);
      void this.closeClients();
    };
    this.server = new Server(
      { ...GATEWAY_INFO, title: `mcp-warden ${route.path}` },
      {
        // Declared for the route as a whole; a method whose upstream lacks the feature answers
        // accordingly (completion.ts, subscriptions.ts, logging.ts).
        capabilities: {
          tools: { listChanged: true },
          resources: { listChanged: true, subscribe: true },
          prompts: { listChanged: true },
          logging: {},
          completions: {},
        },
        instructions: route.instructions(),
      },
    );
    this.install();
  }

  get id(): string | undefined {
    return this.transport.sessionId;
  }

  /** The upstream client this session uses: its own for HTTP, the shared child for stdio. */
  client(upstream: Upstream): Promise<Client> {
    // A stdio child may have been restarted since the last call: always take the current one.
    if (upstream.kind === 'stdio')
      return upstream.sessionClient({}, subjectKey(this.subject)).then(({ client }) => {
        joinShared(upstream, client, this);
        return client;
      });
    let p = this.clients.get(upstream.name);
    if (!p && upstream.modern) {
      // A 2026-07-28 upstream: stateless requests, translated (era-adapter.ts).
      p = Promise.resolve(
        modernUpstreamClient(upstream, {
          inflight: this.inflight,
          logLevel: () => this.logLevel,
          capabilities: () =>
            passedCapabilities(
              this.server.getClientCapabilities() ?? this.sealed?.state?.clientCapabilities,
            ),
          log: (name, params) => this.log(name, params),
        }),
      );
      this.clients.set(upstream.name, p);
    }
    if (!p) {
      const state = this.sealed?.state;
      // Pass the downstream client's capabilities through, so upstreams only ask for what the
      // real client can do.
      const caps = passedCapabilities(
        this.server.getClientCapabilities() ?? state?.clientCapabilities,
      );
      const install = (c: Client) => {
        // Sealed: the client's answer may reach any replica, which posts it to the upstream.
        if (this.sealed) installPassThrough(c, upstream.name, this, caps);
        else installReverseHandlers(c, upstream.name, () => this, caps);
        relayToSession(c, upstream.name, this);
      };
      const sid = state?.upstreamSessions[upstream.name];
      p = (
        sid !== undefined
          ? reconnect(upstream, sid, state?.upstreamVersions?.[upstream.name], caps, install)
          : upstream.sessionClient({ capabilities: caps, install }).then(({ client }) => client)
      ).then(async (client) => {
        await applyLevel(this, upstream, client);
        return client;
      });
      p.catch(() => this.clients.delete(upstream.name));
      this.clients.set(upstream.name, p);
    }
    return p;
  }

  hasClient(upstream: Upstream): boolean {
    return this.clients.has(upstream.name);
  }

  async forward<T>(
    upstream: Upstream,
    extra: Extra,
    fn: (c: Client) => Promise<T>,
    /** For the upstream latency histogram. */
    method: string,
  ): Promise<T> {
    const t0 = performance.now();
    try {
      const client = await this.client(upstream);
      const run = () => this.inflight.run(upstream.name, extra, () => fn(client));
      if (upstream.kind === 'http') return await run();
      // A stdio child is shared: what it sends while this call runs is this call's only when
      // it is the one call in flight there (shared-calls.ts).
      const call = {
        log: (params: LogParams) => this.log(upstream.name, params, extra),
        ask: (req: ServerRequest, schema: Parameters<Extra['sendRequest']>[1]) =>
          extra.sendRequest(req, schema),
      };
      return await runShared(client, call, run);
    } catch (e) {
      const err = upstreamError(upstream.name, e);
      this.route.ledger.error(extra, err);
      throw err;
    } finally {
      this.route.metrics.upstreamLatency(upstream.name, method, (performance.now() - t0) / 1000);
    }
  }

  /** Waits for the request's audit record; a failed write withholds the answer. */
  private async committed(extra: Extra): Promise<void> {
    try {
      await this.route.ledger.commit(extra);
    } catch {
      throw AUDIT_FAILED;
    }
  }

  private install(): void {
    const { route, server } = this;
    const subjectOf = () => this.subject;

    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: route
        .visibleTools(subjectOf())
        .map(({ exposed, tool }) => ({ ...tool.def, name: exposed })),
    }));

    server.setRequestHandler(CallToolRequestSchema, async (req, extra) => {
      const hit = route.index.tool(req.params.name);
      try {
        if (!hit || hit.tool.hidden)
          throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${req.params.name}`);
        const opts = relayOptions(extra, hit.upstream.config.timeout_ms);
        const span = { 'warden.upstream': hit.upstream.name, 'mcp.tool': req.params.name };
        const result = await withSpan(
          'warden.upstream',
          span,
          () =>
            this.forward(
              hit.upstream,
              extra,
              (c) =>
                c.request(
                  {
                    method: 'tools/call',
                    params: { ...upstreamParams(req.params), name: hit.tool.name },
                  },
                  CallToolResultSchema,
                  opts,
                ),
              'tools/call',
            ),
          SpanKind.CLIENT,
        );
        route.ledger.result(extra, result);
        // The answer leaves only once its record is written (durable in audit.mode sync).
        await this.committed(extra);
        return redactForClient(route.audit, 'tools/call', result);
      } catch (e) {
        if (e !== AUDIT_FAILED) {
          route.ledger.error(extra, e as McpError);
          await this.committed(extra);
        }
        throw e;
      }
    });

    server.setRequestHandler(ListPromptsRequestSchema, () => ({
      prompts: [...route.index.allPrompts()].map(({ exposed, prompt }) => ({
        ...prompt,
        name: exposed,
      })),
    }));

    server.setRequestHandler(GetPromptRequestSchema, async (req, extra) => {
      const hit = route.index.prompt(req.params.name);
      if (!hit) throw new McpError(ErrorCode.InvalidParams, `Unknown prompt: ${req.params.name}`);
      return relayRequest(
        this,
        hit.upstream,
        extra,
        'prompts/get',
        { ...upstreamParams(req.params), name: hit.prompt.name },
        GetPromptResultSchema,
      );
    });

    installResources(this);
    installSubscriptions(this);
    installCompletion(this);
    installLogging(this);
  }

  subscribed(upstream: string, uri: string): boolean {
    return this.subs.covers(upstream, uri);
  }

  subscriptions(upstream: string): string[] {
    return this.subs.list(upstream);
  }

  /** An upstream's log message: on the stream of the call that caused it when there is one
   * (MCP 2025-11-25 "Transports": related messages go on that request's stream). */
  log(upstream: string, params: LogParams, extra = this.inflight.latest(upstream)): void {
    if (!passes(params.level, this.logLevel)) return;
    const n = { method: 'notifications/message' as const, params };
    void (extra ? extra.sendNotification(n) : this.server.notification(n)).catch(() => {});
  }

  updated(uri: string): void {
    if (this.id) void this.server.sendResourceUpdated({ uri }).catch(() => {});
  }

  /** Upstream catalogs changed: tell the client (MCP notifications/*_list_changed). */
  async listChanged(): Promise<void> {
    if (!this.id) return;
    await Promise.all([
      this.server.sendToolListChanged(),
      this.server.sendPromptListChanged(),
      this.server.sendResourceListChanged(),
    ]).catch(() => undefined);
  }

  private async closeClients(): Promise<void> {
    for (const u of this.route.upstreams)
      if (u.kind === 'stdio') {
        releaseShared(this, u, subjectKey(this.subject));
        leaveShared(u, this);
      }
    const owned = [...this.clients.entries()].filter(
      ([name]) => this.route.upstreams.find((u) => u.name === name)?.kind === 'http',
    );
    this.clients.clear();
    await Promise.all(
      owned.map(async ([, p]) => (await p.catch(() => undefined))?.close().catch(() => undefined)),
    );
  }

  async close(): Promise<void> {
    await this.transport.close().catch(() => undefined);
    await this.closeClients();
  }
}
