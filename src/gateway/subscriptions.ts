// resources/subscribe and resources/unsubscribe on a gateway-served route (MCP 2025-11-25
// "Resources" §Subscriptions). A subscription goes to the upstream that owns the URI (the one
// that listed it, or whose template matches: resources.ts) and is remembered per session, so
// that updates are relayed only to sessions that asked (notices.ts). A stdio child is shared:
// it is told to unsubscribe only when no other session still holds the URI.

import {
  EmptyResultSchema,
  ErrorCode,
  McpError,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Upstream } from '../upstream/upstream.ts';
import { clientOf, coversUri, sharedUsers, type NoticeTarget } from './notices.ts';
import { upstreamParams, type SessionPort, relayRequest } from './relay.ts';
import { resourceOwner, resourceUpstreams } from './resources.ts';

/** One session's subscriptions: URIs by the upstream they were sent to. */
export class SessionSubscriptions {
  private readonly byUpstream = new Map<string, Set<string>>();

  add(upstream: string, uri: string): void {
    let set = this.byUpstream.get(upstream);
    if (!set) this.byUpstream.set(upstream, (set = new Set()));
    set.add(uri);
  }

  /** Removes `uri`; returns the upstream it had been sent to. */
  remove(uri: string): string | undefined {
    for (const [upstream, set] of this.byUpstream) if (set.delete(uri)) return upstream;
    return undefined;
  }

  covers(upstream: string, uri: string): boolean {
    for (const s of this.byUpstream.get(upstream) ?? []) if (coversUri(s, uri)) return true;
    return false;
  }

  list(upstream: string): string[] {
    return [...(this.byUpstream.get(upstream) ?? [])];
  }
}

export interface SubscribingSession extends SessionPort, NoticeTarget {
  readonly subs: SessionSubscriptions;
}

/** Whether a session (or listen stream) other than `self` on the same child still holds
 *  `uri` on a stdio upstream. */
export function heldByOthers(upstream: Upstream, uri: string, self: NoticeTarget): boolean {
  return sharedUsers(upstream, clientOf(upstream, self)).some(
    (t) => t !== self && t.subscriptions(upstream.name).includes(uri),
  );
}

export function installSubscriptions(session: SubscribingSession): void {
  const { server, route } = session;

  server.setRequestHandler(SubscribeRequestSchema, async (req, extra) => {
    const { uri } = req.params;
    const upstream = resourceOwner(resourceUpstreams(route), uri);
    if (!upstream) throw new McpError(-32002, `Resource not found: ${uri}`);
    if (!upstream.catalog?.capabilities.resources?.subscribe)
      throw new McpError(
        ErrorCode.InvalidParams,
        `Resource ${uri} cannot be subscribed to: upstream ${upstream.name} does not support subscriptions`,
      );
    await relayRequest(
      session,
      upstream,
      extra,
      'resources/subscribe',
      upstreamParams(req.params),
      EmptyResultSchema,
    );
    session.subs.add(upstream.name, uri);
    return {};
  });

  server.setRequestHandler(UnsubscribeRequestSchema, async (req, extra) => {
    const { uri } = req.params;
    const held = session.subs.remove(uri);
    const upstream = held
      ? route.upstreams.find((u) => u.name === held)
      : resourceOwner(resourceUpstreams(route), uri);
    // Not subscribed, and nobody to tell: unsubscribing is idempotent.
    if (!upstream?.catalog?.capabilities.resources?.subscribe) return {};
    if (upstream.kind === 'stdio' && heldByOthers(upstream, uri, session)) return {};
    await relayRequest(
      session,
      upstream,
      extra,
      'resources/unsubscribe',
      upstreamParams(req.params),
      EmptyResultSchema,
    );
    return {};
  });
}

/**
 * A session using a shared child ended: unsubscribe what only it held. (An HTTP upstream
 * forgets a session's subscriptions with the session, which ends when its client closes.)
 */
export function releaseShared(
  session: SubscribingSession,
  upstream: Upstream,
  /** The session's subject (child-pool.ts subjectKey): whose child, with per_subject. */
  subject: string,
): void {
  const uris = session.subs.list(upstream.name);
  for (const uri of uris) session.subs.remove(uri);
  const orphans = uris.filter((uri) => !heldByOthers(upstream, uri, session));
  if (!orphans.length) return;
  const child = upstream.existingClient(subject);
  if (!child) return; // the child is gone, and its subscriptions with it
  void child.then(
    (client) =>
      Promise.all(
        orphans.map((uri) =>
          client.unsubscribeResource({ uri }, { timeout: upstream.config.timeout_ms }),
        ),
      ).catch(() => undefined),
    () => undefined, // the child is gone, and its subscriptions with it
  );
}
