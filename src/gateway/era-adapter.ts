// Era translation, 2025-era client → 2026-07-28 upstream, on the aggregated endpoint.
//
// A 2025-era session on /mcp talks to its upstreams through SDK Clients (mcp-session.ts). A
// 2026-07-28 upstream has no sessions, so this module gives the session an object with the
// Client methods it uses, answered by stateless requests (upstream/modern.ts):
//   - the session's client capabilities go into every request's `_meta`, and its log level
//     (logging/setLevel in the 2025 era) as `io.modelcontextprotocol/logLevel`;
//   - progress and log notifications on the answer's stream go to the session;
//   - an `input_required` result becomes real server-to-client requests (elicitation/create,
//     sampling/createMessage, roots/list) on the stream of the downstream call that caused it,
//     and the answers go back to the upstream in a retry with `inputResponses` and the
//     upstream's `requestState` — which never leaves the gateway on this path;
//   - what 2026-07-28 removed (resources/subscribe) answers -32021: no translation exists.

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  ListRootsResultSchema,
  McpError,
  type ClientCapabilities,
  type LoggingLevel,
} from '@modelcontextprotocol/sdk/types.js';
import type { Upstream } from '../upstream/upstream.ts';
import type { InFlight } from './relay.ts';

/** An upstream asking forever is a loop, not a conversation. */
const MAX_ROUNDS = 16;

const RESULT_SCHEMAS: Record<string, unknown> = {
  'elicitation/create': ElicitResultSchema,
  'sampling/createMessage': CreateMessageResultSchema,
  'roots/list': ListRootsResultSchema,
};

export interface AdaptedSession {
  readonly inflight: InFlight;
  logLevel(): LoggingLevel | undefined;
  capabilities(): ClientCapabilities;
  log(upstream: string, params: { level: LoggingLevel; logger?: string; data: unknown }): void;
}

interface CallOptions {
  signal?: AbortSignal;
  timeout?: number;
  onprogress?: (p: { progress: number; total?: number; message?: string }) => void;
}

const noTranslation = (what: string) =>
  new McpError(
    -32021,
    `${what} is not available: the upstream speaks MCP 2026-07-28, which has no equivalent`,
  );

export function modernUpstreamClient(upstream: Upstream, session: AdaptedSession): Client {
  const modern = upstream.modern!;
  const call = async (method: string, params: Record<string, unknown>, opts: CallOptions = {}) => {
    const { _meta, ...rest } = params;
    const meta: Record<string, unknown> = { ...(_meta as Record<string, unknown> | undefined) };
    const level = session.logLevel();
    if (level) meta['io.modelcontextprotocol/logLevel'] = level;
    if (opts.onprogress && meta.progressToken === undefined) meta.progressToken = 1;
    let p: Record<string, unknown> = rest;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const a = await modern.request(method, p, {
        capabilities: session.capabilities() as Record<string, unknown>,
        meta,
        inputSchema:
          method === 'tools/call' ? upstream.tool(String(rest.name))?.def.inputSchema : undefined,
        signal: opts.signal,
        timeoutMs: opts.timeout ?? upstream.config.timeout_ms,
        onNotification: (n) => {
          if (n.method === 'notifications/progress' && opts.onprogress)
            opts.onprogress(n.params as never);
          else if (n.method === 'notifications/message')
            session.log(upstream.name, n.params as never);
        },
      });
      if (a.error) throw new McpError(a.error.code, a.error.message, a.error.data);
      const r = a.result!;
      if (r.resultType !== 'input_required') {
        // 2025-era clients know neither the result type nor the caching hints.
        const { resultType: _t, ttlMs: _ttl, cacheScope: _scope, ...legacy } = r;
        return legacy;
      }
      // Asked about the call in flight: the newest downstream call to this upstream.
      const extra = session.inflight.latest(upstream.name);
      if (!extra) throw noTranslation('input requested outside of a call');
      const responses: Record<string, unknown> = {};
      for (const [key, q] of Object.entries(
        (r.inputRequests ?? {}) as Record<string, { method: string; params?: unknown }>,
      )) {
        const schema = RESULT_SCHEMAS[q.method];
        if (!schema) throw noTranslation(`input request ${q.method}`);
        responses[key] = await extra.sendRequest(
          { method: q.method, params: q.params } as never,
          schema as never,
          {
            signal: opts.signal,
          },
        );
      }
      p = {
        ...rest,
        inputResponses: responses,
        ...(typeof r.requestState === 'string' ? { requestState: r.requestState } : {}),
      };
    }
    throw new McpError(
      -32603,
      `upstream ${upstream.name} asked for input more than ${MAX_ROUNDS} times`,
    );
  };
  const adapter = {
    request: (
      req: { method: string; params?: Record<string, unknown> },
      _schema: unknown,
      opts?: CallOptions,
    ) => call(req.method, req.params ?? {}, opts),
    listResources: (params?: Record<string, unknown>, opts?: CallOptions) =>
      call('resources/list', params ?? {}, opts),
    listResourceTemplates: (params?: Record<string, unknown>, opts?: CallOptions) =>
      call('resources/templates/list', params ?? {}, opts),
    complete: (params: Record<string, unknown>, opts?: CallOptions) =>
      call('completion/complete', params, opts),
    // The level rides on every request instead (see `call`).
    setLoggingLevel: async () => ({}),
    subscribeResource: async () => {
      throw noTranslation('resources/subscribe');
    },
    unsubscribeResource: async () => {
      throw noTranslation('resources/unsubscribe');
    },
    getServerCapabilities: () => upstream.catalog?.capabilities,
    close: async () => undefined,
  };
  return adapter as unknown as Client;
}
