// logging/setLevel on a gateway-served route (MCP 2025-11-25 "Logging"). The gateway has no
// log of its own to send: the level is the client's wish for its upstreams' messages, so it is
// forwarded to every upstream that declares `logging`, remembered for connections made later,
// and applied once more at the gateway (a shared stdio child runs at the most verbose level any
// of its sessions asked for, and a session must not see messages below its own level).

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SetLevelRequestSchema, type LoggingLevel } from '@modelcontextprotocol/sdk/types.js';
import type { Upstream } from '../upstream/upstream.ts';
import { sharedUsers } from './notices.ts';
import type { Extra, SessionPort } from './relay.ts';

/** The spec's levels (RFC 5424 severities), least severe first. */
export const LOG_LEVELS: readonly LoggingLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
];

/** Whether a message at `level` passes a session's minimum (none set: everything passes). */
export function passes(level: LoggingLevel, min: LoggingLevel | undefined): boolean {
  return min === undefined || LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(min);
}

/** The most verbose of several minimums: what a child shared by these sessions must run at. */
export function mostVerbose(levels: Array<LoggingLevel | undefined>): LoggingLevel | undefined {
  const set = levels.filter((l): l is LoggingLevel => l !== undefined);
  if (!set.length) return undefined;
  return LOG_LEVELS[Math.min(...set.map((l) => LOG_LEVELS.indexOf(l)))];
}

export interface LoggingSession extends SessionPort {
  logLevel: LoggingLevel | undefined;
  /** Whether this session already has a client for the upstream (a new one gets the level
   * when it connects, see `levelFor`). */
  hasClient(upstream: Upstream): boolean;
}

/** The level to set on `upstream` for this session, or undefined when none was asked for. */
export function levelFor(session: LoggingSession, upstream: Upstream): LoggingLevel | undefined {
  if (!upstream.catalog?.capabilities.logging) return undefined;
  if (upstream.kind === 'http') return session.logLevel;
  return mostVerbose([session.logLevel, ...sharedUsers(upstream).map((s) => s.logLevel)]);
}

async function setOn(client: Client, level: LoggingLevel, extra: Extra | undefined, ms: number) {
  await client.setLoggingLevel(level, { signal: extra?.signal, timeout: ms });
}

/** Sets the session's level on a client it has just connected (best effort: a failure only
 * means the upstream keeps its default level, and the gateway still filters). */
export async function applyLevel(
  session: LoggingSession,
  upstream: Upstream,
  client: Client,
): Promise<void> {
  const level = levelFor(session, upstream);
  if (level) await setOn(client, level, undefined, upstream.config.timeout_ms).catch(() => {});
}

export function installLogging(session: LoggingSession): void {
  session.server.setRequestHandler(SetLevelRequestSchema, async (req, extra) => {
    session.logLevel = req.params.level;
    const ups = session.route.upstreams.filter((u) => u.catalog?.capabilities.logging);
    // Best effort per upstream: one unreachable upstream must not refuse the level to the
    // others; it gets the level when its connection is made (applyLevel).
    await Promise.allSettled(
      ups.map(async (u) => {
        const fresh = !session.hasClient(u);
        const client = await session.client(u);
        const level = levelFor(session, u);
        if (level && (!fresh || u.kind === 'stdio'))
          await setOn(client, level, extra, u.config.timeout_ms);
      }),
    );
    return {};
  });
}
