// Notifications an upstream sends on its own initiative that belong to a downstream session:
// log messages (MCP 2025-11-25 "Logging", notifications/message) and resource updates
// ("Resources" §Subscriptions, notifications/resources/updated).
//
// An HTTP upstream has one client per downstream session, so whatever arrives on it is that
// session's. A stdio child is one client shared by every session of every route that uses it
// (/mcp and /u/<name>/mcp): its log messages go to the one call they can be attributed to, or
// nowhere (shared-calls.ts); its updates are fanned out here, to each session subscribed to
// the URI. Nothing goes to a session that did not ask, so one user's subscriptions or logs
// never reach another.

import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  LoggingMessageNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type LoggingLevel,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import type { Upstream } from '../upstream/upstream.ts';
import type { InFlight } from './relay.ts';

export type LogParams = LoggingMessageNotification['params'];

/** A downstream session as seen by the relay (implemented by McpSession). */
export interface NoticeTarget {
  readonly inflight: InFlight;
  /** The level the session set with logging/setLevel. */
  readonly logLevel: LoggingLevel | undefined;
  /** Whether the session subscribed (through `upstream`) to `uri` or a resource containing it. */
  subscribed(upstream: string, uri: string): boolean;
  /** Subscribed URIs through `upstream`, for reference counting on a shared child. */
  subscriptions(upstream: string): string[];
  log(upstream: string, params: LogParams): void;
  updated(uri: string): void;
}

/** A per-session (HTTP) upstream client: every notice on it is the session's own. */
export function relayToSession(client: Client, upstream: string, target: NoticeTarget): void {
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) =>
    target.log(upstream, n.params),
  );
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) =>
    target.updated(n.params.uri),
  );
}

/** Sessions using each stdio upstream, across routes, and the child's client each last used
 *  (one shared child, or with isolation: per_subject the subject's own). */
const users = new WeakMap<Upstream, Map<NoticeTarget, Client>>();
/** Shared clients that already fan out (a restarted child brings a new client). */
const fanning = new WeakSet<Client>();

/** The sessions using `upstream`; given `client`, only those on that child. */
export function sharedUsers(upstream: Upstream, client?: Client): NoticeTarget[] {
  const all = [...(users.get(upstream) ?? new Map<NoticeTarget, Client>())];
  return all.filter(([, c]) => client === undefined || c === client).map(([t]) => t);
}

/** The child's client `target` uses on `upstream`. */
export function clientOf(upstream: Upstream, target: NoticeTarget): Client | undefined {
  return users.get(upstream)?.get(target);
}

/** Registers a session as a user of a shared client; installs the fan-out once per client. */
export function joinShared(upstream: Upstream, client: Client, target: NoticeTarget): void {
  let map = users.get(upstream);
  if (!map) users.set(upstream, (map = new Map()));
  map.set(target, client);
  if (fanning.has(client)) return;
  fanning.add(client);
  // Only to the sessions on this child: a per-subject child's updates are its subject's.
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    for (const t of sharedUsers(upstream, client))
      if (t.subscribed(upstream.name, n.params.uri)) t.updated(n.params.uri);
  });
}

export function leaveShared(upstream: Upstream, target: NoticeTarget): void {
  users.get(upstream)?.delete(target);
}

/**
 * MCP 2025-11-25 "Resources": the updated URI "might be a sub-resource of the one that the
 * client actually subscribed to". A sub-resource is taken to be a path below it.
 */
export function coversUri(subscribed: string, uri: string): boolean {
  if (uri === subscribed) return true;
  return uri.startsWith(subscribed.endsWith('/') ? subscribed : `${subscribed}/`);
}
