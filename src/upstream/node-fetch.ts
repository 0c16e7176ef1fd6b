// A `fetch` for the SDK's Streamable HTTP client transport, on node:http with a keep-alive
// agent per upstream.
//
// Why not the global fetch (undici): profiled on the aggregated endpoint, undici and the web
// streams it builds took ~25% of the gateway's CPU per relayed call, and the SDK passes one
// long-lived AbortSignal to every request of a session, to which undici kept adding listeners
// (Node's MaxListenersExceededWarning after ~1,500 calls on one session: a leak). Here a JSON
// answer is read whole and handed over as a string-bodied Response; only an SSE answer keeps a
// stream; the abort listener is removed when the exchange ends. Redirects are never followed
// (node:http does not, whatever `init.redirect` says): a 3xx reaches the SDK as the answer, an
// error there, so the upstream's credentials are only ever sent to its configured URL.

import { Agent, request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import { HTTP_ERRORS } from '../transport/errors.ts';
import { messageEvent } from '../transport/sse.ts';
import { SseEventBound } from '../transport/sse-bound.ts';

export type FetchLike = (url: string | URL, init?: RequestInit) => Promise<Response>;

/** A JSON answer over the caller's bound (`upstreams[].max_answer_bytes`): not buffered. */
export class AnswerTooLargeError extends Error {
  readonly code = 'UPSTREAM_ANSWER_TOO_LARGE';
  constructor(readonly limit: number) {
    super(`the answer exceeds ${limit} bytes (max_answer_bytes)`);
  }
}

export function createNodeFetch(): FetchLike & {
  (input: string | URL, init?: RequestInit, maxBytes?: number): Promise<Response>;
  close(): void;
} {
  const http = new Agent({ keepAlive: true, maxSockets: 256 });
  const https = new HttpsAgent({ keepAlive: true, maxSockets: 256 });
  const nodeFetch = (
    input: string | URL,
    init: RequestInit = {},
    maxBytes = Infinity,
  ): Promise<Response> => {
    const url = new URL(input);
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(signal.reason ?? abortError());
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    const body = init.body;
    if (body !== undefined && body !== null && typeof body !== 'string')
      return Promise.reject(new TypeError('node-fetch: only string bodies are supported'));
    if (typeof body === 'string') headers['content-length'] = String(Buffer.byteLength(body));
    return new Promise<Response>((ok, fail) => {
      const secure = url.protocol === 'https:';
      const req = (secure ? httpsRequest : httpRequest)(url, {
        method: init.method ?? 'GET',
        headers,
        agent: secure ? https : http,
      });
      const release = signal ? watch(signal, req) : () => undefined;
      req.once('error', (e) => {
        release();
        fail(e);
      });
      req.once('response', (res) => {
        res.once('close', release);
        respond(res, maxBytes, body ?? undefined).then(ok, fail);
      });
      req.end(body ?? undefined);
    });
  };
  return Object.assign(nodeFetch, {
    close() {
      http.destroy();
      https.destroy();
    },
  });
}

async function respond(
  res: IncomingMessage,
  maxBytes: number,
  sent: string | undefined,
): Promise<Response> {
  const headers = new Headers();
  for (const [k, v] of Object.entries(res.headers))
    if (v !== undefined) for (const one of Array.isArray(v) ? v : [v]) headers.append(k, one);
  const status = res.statusCode ?? 502;
  const init = { status, statusText: res.statusMessage ?? '', headers };
  // Statuses that carry no body (RFC 9110 §15.3.5, §15.4.5) cannot be given one in a Response.
  if (status === 204 || status === 205 || status === 304) {
    res.resume();
    return new Response(null, init);
  }
  if ((res.headers['content-type'] ?? '').includes('text/event-stream'))
    return new Response(Readable.toWeb(boundedEvents(res, maxBytes, sent)) as ReadableStream, init);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res) {
    size += (c as Buffer).length;
    if (size > maxBytes) {
      res.destroy();
      throw new AnswerTooLargeError(maxBytes);
    }
    chunks.push(c as Buffer);
  }
  return new Response(Buffer.concat(chunks), init);
}

/**
 * The SSE answer with each event bounded by `maxBytes` (the SDK parses it and would buffer any
 * size). Over the bound the upstream is cut, and the stream ends with a JSON-RPC error for each
 * request of the POST that opened it, so the SDK's pending calls fail at once with -32010
 * instead of waiting for their timeout.
 */
function boundedEvents(res: IncomingMessage, maxBytes: number, sent: string | undefined): Readable {
  if (maxBytes === Infinity) return res;
  let cut = false;
  const bound = new SseEventBound(maxBytes, () => {
    cut = true;
    res.unpipe(bound);
    res.destroy();
    return errorEvents(sent, new AnswerTooLargeError(maxBytes).message);
  });
  res.on('error', (e) => {
    if (!cut) bound.destroy(e);
  });
  bound.once('close', () => res.destroy()); // the reader cancelled, or the stream is done
  return res.pipe(bound);
}

function errorEvents(sent: string | undefined, message: string): Buffer | undefined {
  let msg: unknown;
  try {
    msg = JSON.parse(sent ?? '');
  } catch {
    return undefined;
  }
  const code = HTTP_ERRORS.UPSTREAM_ANSWER_TOO_LARGE.rpcCode;
  const events = (Array.isArray(msg) ? msg : [msg])
    .filter((m) => typeof m?.method === 'string' && m.id !== undefined && m.id !== null)
    .map((m) => messageEvent({ id: m.id, error: { code, message } }));
  return events.length > 0 ? Buffer.from(events.join('')) : undefined;
}

/**
 * The SDK gives every request of a session the same AbortSignal: one listener per signal, and
 * the requests in flight under it in a set (a listener per request would pile up under
 * concurrent calls — Node warns past ten).
 */
const inFlight = new WeakMap<AbortSignal, Set<ClientRequest>>();

function watch(signal: AbortSignal, req: ClientRequest): () => void {
  let set = inFlight.get(signal);
  if (!set) {
    const reqs = new Set<ClientRequest>();
    set = reqs;
    inFlight.set(signal, reqs);
    signal.addEventListener(
      'abort',
      () => {
        for (const r of reqs) r.destroy(signal.reason ?? abortError());
        reqs.clear();
      },
      { once: true },
    );
  }
  set.add(req);
  return () => void set.delete(req);
}

function abortError(): Error {
  return new DOMException('This operation was aborted', 'AbortError');
}
