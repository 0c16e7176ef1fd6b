// The GET stream of a sealed session on a served route (MCP 2025-11-25 "Transports", "Listening
// for Messages from the Server" and "Resumability and Redelivery"). An open stream cannot travel
// between replicas, so the replica that receives the GET opens the upstreams' own GET streams
// (on the sealed upstream sessions) and merges them. Each event id it sends is the position
// reached on every upstream, so a client reconnecting with `Last-Event-ID` through any replica
// resumes each upstream stream where it stopped (the upstream replays when it keeps an event
// store, MCP "Resumability"). Server-to-client requests get the pass-through ids of
// session-reverse.ts, so their answers also reach the upstream from any replica.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SessionState } from '../session/seal.ts';
import { SseParser, encodeEvent } from '../transport/sse.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { relayedId } from './session-reverse.ts';

/** Event id: base64url of JSON `{upstream: that upstream's last event id}` (opaque to clients). */
export function encodePositions(p: Record<string, string>): string {
  return Buffer.from(JSON.stringify(p), 'utf8').toString('base64url');
}

export function decodePositions(id: unknown): Record<string, string> {
  if (typeof id !== 'string' || id === '') return {};
  try {
    const v = JSON.parse(Buffer.from(id, 'base64url').toString('utf8')) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
    return Object.fromEntries(
      Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'),
    );
  } catch {
    return {};
  }
}

/** Serves a GET on a sealed session by merging the upstreams' GET streams. */
export async function serveSealedStream(
  req: IncomingMessage,
  res: ServerResponse,
  upstreams: Upstream[],
  state: SessionState,
): Promise<void> {
  const positions = decodePositions(req.headers['last-event-id']);
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const opened = await Promise.all(
    upstreams
      .filter((u) => u.kind === 'http' && state.upstreamSessions[u.name])
      .map(async (u) => {
        const headers: Record<string, string> = {
          ...(await u.headers()),
          accept: 'text/event-stream',
          'mcp-session-id': state.upstreamSessions[u.name],
          'mcp-protocol-version': state.upstreamVersions?.[u.name] ?? state.protocolVersion,
        };
        if (positions[u.name]) headers['last-event-id'] = positions[u.name];
        // No redirects: the upstream's credentials go to its own URL only (upstream/discovery.ts).
        const r = await fetch(u.config.url!, {
          headers,
          signal: abort.signal,
          redirect: 'error',
        }).catch(() => undefined);
        // 405: the upstream offers no GET stream (allowed by the spec); skip it.
        if (!r?.ok || !r.body) {
          await r?.body?.cancel().catch(() => undefined);
          return undefined;
        }
        return { u, body: r.body };
      }),
  );
  const streams = opened.filter((s) => s !== undefined);
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache, no-transform',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  await Promise.all(
    streams.map(async ({ u, body }) => {
      const parser = new SseParser(u.config.max_answer_bytes);
      const decoder = new TextDecoder();
      try {
        for await (const chunk of body as AsyncIterable<Uint8Array>)
          for (const ev of parser.feed(decoder.decode(chunk, { stream: true }))) {
            if (ev.id !== undefined) positions[u.name] = ev.id;
            const data = rewrite(ev.data, u.name);
            if (data === undefined) continue;
            res.write(encodeEvent({ ...ev, id: encodePositions(positions) }, data));
          }
      } catch {
        // the client left (abort) or the upstream closed: this stream is done
      }
    }),
  );
  if (!res.writableEnded) res.end();
}

/** Upstream requests get pass-through ids; notifications pass; stray responses are dropped. */
function rewrite(data: string, upstream: string): string | undefined {
  if (!data) return undefined; // priming events (an id, no data) only move the position
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof m.method !== 'string') return undefined;
  if (m.id === undefined) return data;
  return JSON.stringify({ ...m, id: relayedId(upstream, m.id as string | number) });
}
