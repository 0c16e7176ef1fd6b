// `subscriptions/listen` on a gateway-served route (MCP 2026-07-28: it replaced the GET stream
// of the session era). The client opens one long-lived SSE answer naming the notifications it
// wants; the gateway acknowledges what it will honour, then sends list_changed notices for the
// route's merged catalog as upstreams change (route-context.ts `catalogChanged`). Every
// notification carries `_meta["io.modelcontextprotocol/subscriptionId"]`, the id of the
// listen request; the stream ends with a result when the gateway shuts down.
// `resourceSubscriptions` (resources/updated of individual URIs, which replaced
// resources/subscribe) are honoured for URIs whose owner declares `resources.subscribe`: for a
// 2026-07-28 upstream the gateway opens a listen stream for this client's URIs; for a 2025-era
// HTTP upstream it opens a session of its own, sends resources/subscribe for each URI and
// relays the session's resources/updated (era translation), unsubscribing when the client's
// stream ends; a stdio child's one shared session is subscribed once more and its updates fanned
// out to this stream as to any session that holds the URI (notices.ts). URIs nobody owns are
// left out of the acknowledgement, as the spec asks for what a server does not support.

import type { ServerResponse } from 'node:http';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  ResourceUpdatedNotificationSchema,
  type ClientCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import type { JsonRpcId } from '../transport/errors.ts';
import { messageEvent } from '../transport/sse.ts';
import type { ListKind } from '../upstream/upstream.ts';
import type { RouteContext } from './route-context.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { resourceOwner, resourceUpstreams } from './resources.ts';
import { passedCapabilities } from './sealed-session.ts';
import { coversUri, joinShared, leaveShared, type NoticeTarget } from './notices.ts';
import { heldByOthers } from './subscriptions.ts';
import { InFlight } from './relay.ts';

const SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';
/** Comment frames keep idle proxies (and the client) from timing the stream out. */
const KEEPALIVE_MS = 15_000;
/** Open listen streams per route before new ones are refused (each holds a socket). */
export const MAX_LISTENERS = 1024;

const FILTER_KEYS: Record<ListKind, string> = {
  tools: 'toolsListChanged',
  prompts: 'promptsListChanged',
  resources: 'resourcesListChanged',
};

/** Opens the stream; resolves when it ends (client gone or gateway closing). */
export function serveListen(
  ctx: RouteContext,
  res: ServerResponse,
  id: JsonRpcId,
  params: Record<string, unknown>,
  serverInfo: Record<string, unknown>,
  /** The client capabilities of the listen request (passed on to the upstreams). */
  capabilities: Record<string, unknown>,
): Promise<void> | { error: { code: number; message: string } } {
  if (ctx.listChangedListeners.size >= MAX_LISTENERS)
    return { error: { code: -32603, message: 'Subscription limit reached' } };
  const asked = (params.notifications ?? {}) as Record<string, unknown>;
  const kinds = (Object.keys(FILTER_KEYS) as ListKind[]).filter(
    (k) => asked[FILTER_KEYS[k]] === true,
  );
  const meta = { [SUBSCRIPTION_ID]: id };
  const watched = watchable(ctx, asked.resourceSubscriptions);
  const honoured = [...watched.values()].flat();
  const frame = (m: Record<string, unknown>) => res.write(messageEvent(m));
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  // The acknowledgement is the first message of the subscription, listing what is honoured.
  frame({
    method: 'notifications/subscriptions/acknowledged',
    params: {
      notifications: {
        ...Object.fromEntries(kinds.map((k) => [FILTER_KEYS[k], true])),
        ...(honoured.length ? { resourceSubscriptions: honoured } : {}),
      },
      _meta: meta,
    },
  });
  const onChange = (kind: ListKind) => {
    if (kinds.includes(kind))
      frame({ method: `notifications/${kind}/list_changed`, params: { _meta: meta } });
  };
  ctx.listChangedListeners.add(onChange);
  const upstreams = new AbortController();
  for (const [u, uris] of watched)
    relayUpdates(u, uris, upstreams.signal, capabilities, (params) =>
      frame({
        method: 'notifications/resources/updated',
        params: { ...params, _meta: meta },
      }),
    );
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  return new Promise<void>((done) => {
    const end = () => {
      upstreams.abort();
      clearInterval(keepalive);
      ctx.listChangedListeners.delete(onChange);
      ctx.closing.delete(close);
      done();
    };
    // Shutdown: the subscription ends gracefully, with its result (SubscriptionsListenResult).
    const close = () => {
      if (res.writableEnded) return;
      frame({
        id,
        result: {
          resultType: 'complete',
          _meta: { ...meta, 'io.modelcontextprotocol/serverInfo': serverInfo },
        },
      });
      res.end();
    };
    ctx.closing.add(close);
    res.once('close', end);
  });
}

/** The URIs asked for that the gateway can watch, by the upstream that owns them. */
function watchable(ctx: RouteContext, asked: unknown): Map<Upstream, string[]> {
  const out = new Map<Upstream, string[]>();
  if (!Array.isArray(asked)) return out;
  const candidates = resourceUpstreams(ctx);
  for (const uri of asked) {
    if (typeof uri !== 'string') continue;
    const u = resourceOwner(candidates, uri);
    const caps = u?.catalog?.capabilities.resources as { subscribe?: boolean } | undefined;
    if (!u || !caps?.subscribe) continue;
    out.set(u, [...(out.get(u) ?? []), uri]);
  }
  return out;
}

/** One watch of `uris` on the upstream `u` that owns them, for one client's listen stream. */
interface Watch {
  u: Upstream;
  uris: string[];
  /** Aborted when the client's stream ends. */
  signal: AbortSignal;
  capabilities: Record<string, unknown>;
  send: (params: Record<string, unknown>) => void;
}

/** Holds a watch while its signal is live, re-opened with backoff when the upstream side ends. */
function relayUpdates(
  u: Upstream,
  uris: string[],
  signal: AbortSignal,
  capabilities: Record<string, unknown>,
  send: (params: Record<string, unknown>) => void,
): void {
  const w: Watch = { u, uris, signal, capabilities, send };
  const watch = u.modern ? listenModern : u.kind === 'stdio' ? subscribeShared : subscribeLegacy;
  void (async () => {
    let backoff = 1000;
    while (!signal.aborted) {
      const opened = Date.now();
      await watch(w).catch(() => undefined);
      if (signal.aborted) return;
      if (Date.now() - opened > 30_000) backoff = 1000;
      await new Promise((r) => setTimeout(r, backoff).unref());
      backoff = Math.min(backoff * 2, 30_000);
    }
  })();
}

/** An update as the client gets it: the upstream's own subscription id is not the client's. */
function updated(w: Watch, params: Record<string, unknown> | undefined): void {
  const { _meta: _upstreamMeta, ...rest } = params ?? {};
  w.send(rest);
}

/** Resolves when the client's stream ends, or when `ended` calls back (the upstream side). */
function untilEnded(w: Watch, ended: (done: () => void) => void): Promise<void> {
  return new Promise<void>((done) => {
    if (w.signal.aborted) return done();
    w.signal.addEventListener('abort', () => done(), { once: true });
    ended(done);
  });
}

const subscribeAll = async (c: Client, w: Watch, uris = w.uris) => {
  for (const uri of uris)
    await c.subscribeResource({ uri }, { timeout: w.u.config.timeout_ms, signal: w.signal });
};

/** Best effort: the client is gone, and so may be the upstream. */
const unsubscribeAll = (c: Client, w: Watch, uris: string[]) =>
  Promise.all(
    uris.map((uri) => c.unsubscribeResource({ uri }, { timeout: w.u.config.timeout_ms })),
  ).catch(() => undefined);

/** One listen stream to a 2026-07-28 upstream; settles when it ends. */
async function listenModern(w: Watch): Promise<void> {
  await w.u.modern!.request(
    'subscriptions/listen',
    { notifications: { resourceSubscriptions: w.uris } },
    {
      timeoutMs: Infinity,
      signal: w.signal,
      capabilities: w.capabilities,
      onNotification: (n) => {
        if (n.method === 'notifications/resources/updated') updated(w, n.params);
      },
    },
  );
}

/**
 * A 2025-era upstream: a session of the gateway's own, subscribed to the URIs (MCP 2025-11-25
 * "Resources" §Subscriptions); its updates arrive on the session's GET stream. Settles when the
 * session ends (re-opened by the caller) or the client's stream does (unsubscribed, closed).
 */
async function subscribeLegacy(w: Watch): Promise<void> {
  const { client } = await w.u.sessionClient({
    capabilities: passedCapabilities(w.capabilities as ClientCapabilities),
    install: (c) =>
      c.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => updated(w, n.params)),
  });
  try {
    await subscribeAll(client, w);
    await untilEnded(w, (done) => (client.onclose = done));
    if (w.signal.aborted) await unsubscribeAll(client, w, w.uris);
  } finally {
    await client.close().catch(() => undefined);
  }
}

/**
 * A stdio child (one session shared by every client): this stream joins its users like a
 * session subscribed to the URIs (notices.ts fans updates out). Settles when the client's
 * stream ends (URIs nobody else holds are unsubscribed) or the child restarted (re-subscribed
 * then).
 */
async function subscribeShared(w: Watch): Promise<void> {
  const { u, uris } = w;
  const { client } = await u.sessionClient({});
  const target: NoticeTarget = {
    inflight: new InFlight(),
    logLevel: undefined,
    subscribed: (up, uri) => up === u.name && uris.some((s) => coversUri(s, uri)),
    subscriptions: (up) => (up === u.name ? uris : []),
    log: () => undefined, // a listen stream asked for resources/updated only
    updated: (uri) => w.send({ uri }),
  };
  joinShared(u, client, target);
  const restarts = u.process?.restarts;
  let onChanged: (() => void) | undefined;
  try {
    await subscribeAll(client, w);
    await untilEnded(w, (done) => {
      onChanged = () => u.process?.restarts !== restarts && done();
      u.on('changed', onChanged);
    });
  } finally {
    if (onChanged) u.off('changed', onChanged);
    if (w.signal.aborted && u.process?.restarts === restarts)
      await unsubscribeAll(
        client,
        w,
        uris.filter((uri) => !heldByOthers(u, uri, target)),
      );
    leaveShared(u, target);
  }
}
