// Stateless replicas (issue #8): with `sessions.keys` configured, a served route keeps no session
// map. The `Mcp-Session-Id` the client sees is the sealed session state (src/session/seal.ts):
// the upstream sessions created at initialize, the negotiated versions and the client's
// capabilities. Any replica opens it and rebuilds, for one request, the upstream clients on the
// same upstream sessions (StreamableHTTPClientTransport with `sessionId`: the SDK then skips
// initialize, MCP 2025-11-25 "Session Management").

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  LATEST_PROTOCOL_VERSION,
  SUPPORTED_PROTOCOL_VERSIONS,
  type ClientCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import type { Subject } from '../auth/index.ts';
import {
  createSessionSealer,
  sessionSubject,
  type SessionSealer,
  type SessionState,
} from '../session/seal.ts';
import { GATEWAY_INFO, type Upstream } from '../upstream/upstream.ts';

export interface SessionsConfig {
  keys: string[];
  idle_timeout_s: number;
  ttl_s: number;
  /** `limits.max_sessions_per_subject`: in-memory sessions one subject holds on one route. */
  max_per_subject?: number;
}

/** An upstream that never issued a session id (a stateless server): sealed as "", reconnected
 *  without a header and without a new initialize. */
const NO_SESSION = '';

/** The capabilities passed through to upstreams: only what the real client can do. */
export function passedCapabilities(all: ClientCapabilities | undefined): ClientCapabilities {
  return Object.fromEntries(
    (['sampling', 'elicitation', 'roots'] as const)
      .filter((k) => all?.[k])
      .map((k) => [k, all![k]]),
  );
}

/** The version the SDK server will answer an initialize with (it echoes a supported one). */
export function negotiatedVersion(requested: unknown): string {
  return typeof requested === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(requested)
    ? requested
    : LATEST_PROTOCOL_VERSION;
}

export class SealedSessions {
  readonly sealer: SessionSealer;
  /** Ids ended by DELETE on this replica, until they expire (README "Threat model": replay after
   *  DELETE by the same subject is otherwise only stopped by the upstreams' own 404). */
  private readonly ended = new Map<string, number>();

  constructor(
    private readonly cfg: SessionsConfig,
    /** The route path the ids are bound to: an id sealed for `/mcp` is 404 on `/u/<name>/mcp`
     *  (whose upstream sessions it may well name) and the other way round. */
    private readonly route: string,
  ) {
    this.sealer = createSessionSealer({ keys: cfg.keys, ttlS: cfg.ttl_s });
  }

  open(id: string, subject: Subject): SessionState | null {
    if (this.ended.has(id)) return null;
    return this.sealer.open(id, sessionSubject(subject), this.route);
  }

  seal(state: SessionState): string {
    return this.sealer.seal({ ...state, route: this.route });
  }

  end(id: string): void {
    const now = Date.now();
    for (const [k, until] of this.ended) if (until < now) this.ended.delete(k);
    this.ended.set(id, now + this.cfg.ttl_s * 1000);
  }

  /**
   * Creates one session on each HTTP upstream for a new downstream session (at initialize, so
   * the ids can be sealed into the id the client gets). An unreachable upstream is left out:
   * calls to it then fail like any unreachable upstream.
   */
  async createUpstreamSessions(
    upstreams: Upstream[],
    caps: ClientCapabilities,
  ): Promise<Pick<SessionState, 'upstreamSessions' | 'upstreamVersions'>> {
    const upstreamSessions: Record<string, string> = {};
    const upstreamVersions: Record<string, string> = {};
    await Promise.all(
      upstreams
        // 2026-07-28 upstreams have no sessions (gateway/era-adapter.ts).
        .filter((u) => u.kind === 'http' && !u.modern)
        .map(async (u) => {
          try {
            const { client } = await u.sessionClient({ capabilities: caps });
            const t = client.transport as StreamableHTTPClientTransport;
            upstreamSessions[u.name] = t.sessionId ?? NO_SESSION;
            if (t.protocolVersion) upstreamVersions[u.name] = t.protocolVersion;
            // Closing the client only aborts its streams; the upstream session lives on.
            await client.close().catch(() => undefined);
          } catch {
            // left out: see above
          }
        }),
    );
    return { upstreamSessions, upstreamVersions };
  }
}

/** A client on an existing upstream session (no initialize): for one downstream request. */
export async function reconnect(
  upstream: Upstream,
  sessionId: string,
  version: string | undefined,
  caps: ClientCapabilities,
  install: (c: Client) => void,
): Promise<Client> {
  const client = new Client(GATEWAY_INFO, { capabilities: caps });
  install(client);
  const transport = new StreamableHTTPClientTransport(new URL(upstream.config.url!), {
    sessionId,
    fetch: upstream.clientFetch,
  });
  await client.connect(transport, { timeout: upstream.config.timeout_ms });
  transport.setProtocolVersion(version ?? LATEST_PROTOCOL_VERSION);
  return client;
}

/** Ends a downstream session's upstream sessions (DELETE, MCP "Session Management"). */
export async function terminateUpstreams(
  upstreams: Upstream[],
  state: SessionState,
): Promise<void> {
  await Promise.all(
    upstreams.map(async (u) => {
      const sid = state.upstreamSessions[u.name];
      if (u.kind !== 'http' || !sid) return;
      const c = await reconnect(u, sid, state.upstreamVersions?.[u.name], {}, () => {}).catch(
        () => undefined,
      );
      if (!c) return;
      await (c.transport as StreamableHTTPClientTransport).terminateSession().catch(() => {});
      await c.close().catch(() => undefined);
    }),
  );
}
