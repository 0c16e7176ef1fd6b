// `subscriptions/listen` on a gateway-served route (MCP 2026-07-28: it replaced the GET stream
// of the session era). The client opens one long-lived SSE answer naming the notifications it
// wants; the gateway acknowledges what it will honour, then sends list_changed notices for the
// route's merged catalog as upstreams change (route-context.ts `catalogChanged`). Every
// notification carries `_meta["io.modelcontextprotocol/subscriptionId"]`, the id of the
// listen request; the stream ends with a result when the gateway shuts down.
// Not honoured: `resourceSubscriptions` (resources/updated of individual URIs), left out of the
// acknowledgement as the spec asks for what a server does not support.

import type { ServerResponse } from 'node:http';
import type { JsonRpcId } from '../transport/errors.ts';
import type { ListKind } from '../upstream/upstream.ts';
import type { RouteContext } from './route-context.ts';

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
): Promise<void> | { error: { code: number; message: string } } {
  if (ctx.listChangedListeners.size >= MAX_LISTENERS)
    return { error: { code: -32603, message: 'Subscription limit reached' } };
  const asked = (params.notifications ?? {}) as Record<string, unknown>;
  const kinds = (Object.keys(FILTER_KEYS) as ListKind[]).filter(
    (k) => asked[FILTER_KEYS[k]] === true,
  );
  const meta = { [SUBSCRIPTION_ID]: id };
  const frame = (m: Record<string, unknown>) =>
    res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', ...m })}\n\n`);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  // The acknowledgement is the first message of the subscription, listing what is honoured.
  frame({
    method: 'notifications/subscriptions/acknowledged',
    params: {
      notifications: Object.fromEntries(kinds.map((k) => [FILTER_KEYS[k], true])),
      _meta: meta,
    },
  });
  const onChange = (kind: ListKind) => {
    if (kinds.includes(kind))
      frame({ method: `notifications/${kind}/list_changed`, params: { _meta: meta } });
  };
  ctx.listChangedListeners.add(onChange);
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  return new Promise<void>((done) => {
    const end = () => {
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
