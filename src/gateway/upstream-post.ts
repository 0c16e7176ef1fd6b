// The POSTs the drop-in route answers itself (tools/call, tools/list, 2026-07-28 requests whose
// answers carry a requestState): sent on an undici connection pool instead of node:http.
// Why: on the route's hot path node:http's ClientRequest/IncomingMessage machinery (agent queue,
// header objects, a Readable per answer, one event-loop turn between headers and body) was
// ~170 µs of CPU per call; undici's dispatcher parses the answer with llhttp straight into
// callbacks (issue #4, bench/gateway). Everything else (GET streams, DELETE, notifications)
// still goes through http-proxy.
//
// Timeout semantics match the rest of the route: the upstream's `timeout_ms` bounds the wait for
// the answer's headers; an SSE body may then stream for as long as it likes (MCP 2025-11-25
// Streamable HTTP: a POST may be answered with a stream of any length).

import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { Pool, type Dispatcher } from 'undici';
import { AnswerTooLargeError } from '../upstream/node-fetch.ts';

/** The start of an upstream answer, as the route needs it (also satisfied by IncomingMessage). */
export interface AnswerHead {
  statusCode?: number;
  headers: IncomingHttpHeaders;
  destroy(): void;
}

/** Where the answer's body goes, as text. */
export interface AnswerFeed {
  data(chunk: string): void;
  end(): void;
}

export interface PostCallbacks {
  /** Headers arrived: return the feed for the body (undefined: the body is discarded). */
  head(answer: AnswerHead): AnswerFeed | undefined;
  /** No answer: refused, reset, or no headers within the timeout (`timedOut`). */
  failed(err: Error, timedOut: boolean): void;
}

/** Request headers undici refuses (hop-by-hop, RFC 9110 §7.6.1) or sets itself from the body. */
const DROPPED = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'te'];

export class UpstreamPoster {
  private readonly pool: Pool;
  private readonly path: string;

  constructor(
    url: string,
    timeoutMs: number,
    /** Bound on a JSON answer's body (an SSE answer is bounded per event by the feed). */
    private readonly maxAnswerBytes = Infinity,
  ) {
    const u = new URL(url);
    this.path = `${u.pathname}${u.search}`;
    this.pool = new Pool(u.origin, {
      connections: 256,
      pipelining: 1,
      headersTimeout: timeoutMs,
      bodyTimeout: 0, // an SSE answer may be quiet between events
      // A dead upstream is reported within the same bound as a slow one.
      connectTimeout: timeoutMs,
    });
  }

  /**
   * Sends one POST. `headers` are the client's (minus what undici refuses; Host and
   * Content-Length are undici's to set) merged with the route's own. The answer streams into
   * the feed `head` returns; `res` gives backpressure (a slow client pauses the upstream) and
   * its early close aborts the exchange.
   */
  post(
    res: ServerResponse,
    inHeaders: IncomingMessage['headers'],
    extra: Record<string, string>,
    body: Buffer,
    cb: PostCallbacks,
  ): void {
    const headers: Record<string, string | string[]> = {};
    for (const k in inHeaders) {
      const v = inHeaders[k];
      if (v !== undefined && k !== 'host' && k !== 'content-length' && !DROPPED.includes(k))
        headers[k] = v;
    }
    for (const k in extra) headers[k.toLowerCase()] = extra[k];
    let controller: Dispatcher.DispatchController | undefined;
    let feed: AnswerFeed | undefined;
    let decoder: StringDecoder | undefined;
    let done = false;
    let sse = false;
    let bytes = 0;
    const onClientGone = () => {
      if (!done && !res.writableFinished) controller?.abort(new Error('client closed'));
    };
    res.once('close', onClientGone);
    const onDrain = () => controller?.resume();
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: (c) => {
        controller = c;
      },
      onResponseStart: (c, statusCode, resHeaders) => {
        if (statusCode < 200) return; // 1xx: the real answer follows
        sse = String(resHeaders['content-type'] ?? '').includes('text/event-stream');
        feed = cb.head({
          statusCode,
          headers: resHeaders,
          destroy: () => c.abort(new Error('answer abandoned')),
        });
        if (feed) decoder = new StringDecoder('utf8');
      },
      onResponseData: (c, chunk) => {
        if (!feed || !decoder) return;
        bytes += chunk.length;
        if (!sse && bytes > this.maxAnswerBytes) {
          feed = undefined;
          return c.abort(new AnswerTooLargeError(this.maxAnswerBytes));
        }
        const text = decoder.write(chunk);
        try {
          if (text) feed.data(text);
        } catch (e) {
          // The feed refused the answer (an SSE event past its bound): the exchange ends here.
          feed = undefined;
          return c.abort(e as Error);
        }
        // Backpressure: an SSE answer relayed to a slow client waits for it.
        if (res.writableNeedDrain && !c.paused) {
          c.pause();
          res.once('drain', onDrain);
        }
      },
      onResponseEnd: () => {
        done = true;
        res.off('close', onClientGone);
        if (!feed || !decoder) return;
        const rest = decoder.end();
        try {
          if (rest) feed.data(rest);
        } catch (e) {
          return cb.failed(e as Error, false); // the last bytes took an event past its bound
        }
        feed.end();
      },
      onResponseError: (_c, err) => {
        done = true;
        res.off('close', onClientGone);
        if (res.destroyed) return; // the client left first: nobody to tell
        // No answer, a JSON answer cut or refused before any of it reached the client (a clean
        // 502/504), or a stream cut midway (what was relayed stays relayed; the client sees
        // the stream end and may resume it with Last-Event-ID where the upstream supports it).
        const code = (err as { code?: string }).code;
        cb.failed(err, code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT');
      },
    };
    this.pool.dispatch({ path: this.path, method: 'POST', headers, body }, handler);
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

/** Wires an IncomingMessage (http-proxy's answer) to a feed, as `UpstreamPoster` does. */
export function feedFrom(answer: IncomingMessage, feed: AnswerFeed): void {
  answer.setEncoding('utf8');
  answer.on('data', (chunk: string) => feed.data(chunk));
  answer.on('end', () => feed.end());
}
