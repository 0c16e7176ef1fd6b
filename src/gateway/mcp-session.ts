// One downstream MCP session of a gateway-served route (/mcp, or /u/<stdio-upstream>/mcp): an
// SDK Server on a StreamableHTTPServerTransport, plus the upstream clients this session uses.
// The handlers route by exposed name; authorization already happened at the HTTP stage
// (gateway/http-stage.ts) so a tools/call that reaches a handler is allowed.

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
  ListResourceTemplatesRequestSchema,
  ListResourcesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  ReadResourceResultSchema,
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
} from './relay.ts';
import { decodeCursor, encodeCursor, resourceOwner } from './resources.ts';
import type { RouteContext } from './route-context.ts';

export class McpSession {
  readonly transport: StreamableHTTPServerTransport;
  readonly server: Server;
  readonly inflight = new InFlight();
  lastSeen = Date.now();
  private readonly clients = new Map<string, Promise<Client>>();

  constructor(
    private readonly route: RouteContext,
    readonly subject: Subject,
    onInit: (s: McpSession, id: string) => void,
    onClose: (s: McpSession) => void,
  ) {
    this.transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => crypto.randomUUID(),
      onsessioninitialized: (id) => onInit(this, id),
    });
    this.transport.onclose = () => {
      onClose(this);
      void this.closeClients();
    };
    this.server = new Server(
      { ...GATEWAY_INFO, title: `mcp-warden ${route.path}` },
      {
        capabilities: {
          tools: { listChanged: true },
          resources: { listChanged: true },
          prompts: { listChanged: true },
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
  private client(upstream: Upstream): Promise<Client> {
    // A stdio child may have been restarted since the last call: always take the current one.
    if (upstream.kind === 'stdio') return upstream.sessionClient({}).then((r) => r.client);
    let p = this.clients.get(upstream.name);
    if (!p) {
      const all = this.server.getClientCapabilities() ?? {};
      // Pass the downstream client's capabilities through, so upstreams only ask for what the
      // real client can do.
      const caps = Object.fromEntries(
        (['sampling', 'elicitation', 'roots'] as const)
          .filter((k) => all[k])
          .map((k) => [k, all[k]]),
      );
      p = upstream
        .sessionClient({
          capabilities: caps,
          install: (c) => installReverseHandlers(c, upstream.name, () => this, caps),
        })
        .then((r) => r.client);
      p.catch(() => this.clients.delete(upstream.name));
      this.clients.set(upstream.name, p);
    }
    return p;
  }

  private async forward<T>(
    upstream: Upstream,
    extra: Extra,
    fn: (c: Client) => Promise<T>,
  ): Promise<T> {
    try {
      const client = await this.client(upstream);
      return await this.inflight.run(upstream.name, extra, () => fn(client));
    } catch (e) {
      const err = upstreamError(upstream.name, e);
      this.route.ledger.error(extra, err);
      throw err;
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
      if (!hit || hit.tool.hidden)
        throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${req.params.name}`);
      const opts = relayOptions(extra, hit.upstream.config.timeout_ms);
      const result = await this.forward(hit.upstream, extra, (c) =>
        c.request(
          { method: 'tools/call', params: { ...upstreamParams(req.params), name: hit.tool.name } },
          CallToolResultSchema,
          opts,
        ),
      );
      route.ledger.result(extra, result);
      return result;
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
      return this.forward(hit.upstream, extra, (c) =>
        c.request(
          {
            method: 'prompts/get',
            params: { ...upstreamParams(req.params), name: hit.prompt.name },
          },
          GetPromptResultSchema,
          relayOptions(extra, hit.upstream.config.timeout_ms),
        ),
      );
    });

    // Resources keep their URIs (they are already global identifiers); listing walks the
    // upstreams in order with a cursor that encodes (upstream index, upstream cursor).
    const withResources = () => route.upstreams.filter((u) => u.catalog?.capabilities.resources);
    const listPaged = async <K extends 'resources' | 'resourceTemplates'>(
      key: K,
      cursor: string | undefined,
      extra: Extra,
    ) => {
      const ups = withResources();
      const pos = decodeCursor(cursor, ups.length);
      const upstream = ups[pos.i];
      if (!upstream) return { [key]: [] } as never;
      const params = pos.c ? { cursor: pos.c } : undefined;
      const opts = relayOptions(extra, upstream.config.timeout_ms);
      const page: { nextCursor?: string } = await this.forward(
        upstream,
        extra,
        (c): Promise<{ nextCursor?: string }> =>
          key === 'resources'
            ? c.listResources(params, opts)
            : c.listResourceTemplates(params, opts),
      );
      const next = page.nextCursor
        ? { i: pos.i, c: page.nextCursor }
        : pos.i + 1 < ups.length
          ? { i: pos.i + 1 }
          : undefined;
      return {
        [key]: (page as Record<string, unknown>)[key],
        nextCursor: next && encodeCursor(next),
      } as never;
    };
    server.setRequestHandler(ListResourcesRequestSchema, (req, extra) =>
      listPaged('resources', req.params?.cursor, extra),
    );
    server.setRequestHandler(ListResourceTemplatesRequestSchema, (req, extra) =>
      listPaged('resourceTemplates', req.params?.cursor, extra),
    );
    server.setRequestHandler(ReadResourceRequestSchema, async (req, extra) => {
      const upstream = resourceOwner(withResources(), req.params.uri);
      if (!upstream) throw new McpError(-32002, `Resource not found: ${req.params.uri}`);
      return this.forward(upstream, extra, (c) =>
        c.request(
          { method: 'resources/read', params: upstreamParams(req.params) },
          ReadResourceResultSchema,
          relayOptions(extra, upstream.config.timeout_ms),
        ),
      );
    });
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
