// Era translation, 2026-07-28 client → 2025-era upstream: the upstream asks for input with
// server-to-client requests (elicitation/create, sampling/createMessage, roots/list) on the
// call's stream, but a 2026-07-28 client only knows multi-round-trip results (MRTR): an
// `input_required` answer listing `inputRequests`, then a retry carrying `inputResponses`.
//
// So the gateway holds the upstream call open: each server-to-client request becomes an entry
// of `inputRequests`; the call is parked here under a random handle that travels to the client
// inside a sealed `requestState` (session/request-state.ts); the retry's `inputResponses`
// answer the parked requests, and the call continues to its result or its next question.
// A call runs alone on its upstream session (a 2025-era SDK Client, pooled and reused one call
// at a time), so its server-to-client requests cannot be confused with another call's — except
// on a stdio child shared with other clients, where a request is the call's only when it is the
// one call in flight there (shared-calls.ts). The client's progress token never reaches the
// upstream: the SDK client sends its own, unique on that upstream session. Held
// calls live on the replica that started them: a retry that reaches another replica is relayed
// to it when replicas advertise their address (replica-relay.ts); otherwise, or after the hold
// expired, it gets -32602 and must start over.

import { randomUUID } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  McpError,
  ResultSchema,
  type ClientCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import type { Upstream } from '../upstream/upstream.ts';
import { passedCapabilities } from './sealed-session.ts';
import { runShared } from './shared-calls.ts';

export type Step =
  | { kind: 'done'; result: Record<string, unknown> }
  | { kind: 'error'; error: unknown }
  | { kind: 'input'; handle: string; inputRequests: Record<string, unknown> };

interface Asked {
  request: { method: string; params?: unknown };
  answer: (r: Record<string, unknown>) => void;
}

interface Held {
  pooled: Pooled;
  asked: Map<string, Asked>;
  outcome?: Step;
  /** A capability the upstream asked for that the client did not declare. */
  missing?: string;
  /** Wakes the waiter when the upstream asks something or the call ends. */
  wake?: () => void;
  timer?: NodeJS.Timeout;
}

/** One upstream session (an SDK Client), reused by calls one at a time. */
interface Pooled {
  key: string;
  upstream: string;
  /** What the 2026-07-28 client declared: the upstream may ask for nothing else. */
  caps: ClientCapabilities;
  client: Client;
  /** A stdio child's one session, shared with other calls (shared-calls.ts attributes its
   *  server-to-client requests). */
  shared: boolean;
  /** Parks a server-to-client request on the current call. */
  ask: (request: Asked['request']) => Promise<Record<string, unknown>>;
  closed?: boolean;
  /** The call this session is running: where its server-to-client requests go. */
  current?: Held;
  idleTimer?: NodeJS.Timeout;
}

const HOLD_MS = 10 * 60_000;
const CAPABILITY_OF: Record<string, string> = {
  'elicitation/create': 'elicitation',
  'sampling/createMessage': 'sampling',
  'roots/list': 'roots',
};
/** Idle upstream sessions kept per upstream and capability set: a stateless client must not
 * pay an upstream `initialize` on every call. */
const MAX_IDLE = 16;
const IDLE_MS = 60_000;

/** The call's params without the client's progress token (the SDK puts its own). */
function ownProgress(params: Record<string, unknown>): Record<string, unknown> {
  const meta = params._meta as Record<string, unknown> | undefined;
  if (!meta || !('progressToken' in meta)) return params;
  const { progressToken: _drop, ...rest } = meta;
  return { ...params, _meta: rest };
}

/** A request for a capability the call's client did not declare: noted on the call (its error
 *  then names the capability, -32021) and refused as the SDK would (-32601). */
function undeclared(h: Held | undefined, method: string): McpError {
  const cap = CAPABILITY_OF[method];
  if (cap && h) h.missing = cap;
  return new McpError(-32601, `Method not found: ${method}`);
}

export class HeldCalls {
  private readonly held = new Map<string, Held>();
  private readonly idle = new Map<string, Pooled[]>();

  /** Starts `method` on an upstream session; resolves at its first question or its end. */
  async start(
    upstream: Upstream,
    capabilities: Record<string, unknown>,
    method: string,
    params: Record<string, unknown>,
    timeoutMs: number,
    /** The caller (child-pool.ts subjectKey): a per-subject stdio upstream's child is its own. */
    subject?: string,
  ): Promise<Step> {
    // Only what the 2026-07-28 client declared for this request (the SDK refuses handlers for
    // undeclared capabilities, and the upstream must not ask for what the client cannot do).
    const caps = passedCapabilities(capabilities as ClientCapabilities);
    const pooled = await this.acquire(upstream, caps, subject);
    const handle = randomUUID();
    const h: Held = { pooled, asked: new Map() };
    pooled.current = h;
    this.held.set(handle, h);
    const asks = Boolean(caps.elicitation || caps.sampling || caps.roots);
    const run = () =>
      pooled.client.request({ method, params: ownProgress(params) } as never, ResultSchema, {
        // Waiting for a human (MRTR rounds) is not the upstream being slow.
        timeout: asks ? Math.max(timeoutMs, HOLD_MS) : timeoutMs,
        resetTimeoutOnProgress: true,
        // The SDK's own token (unique on this upstream session) replaces the client's; a held
        // call has no stream to pass progress on, so it only keeps the call's timeout fresh.
        onprogress: () => undefined,
      });
    const call = {
      ask: (request: Asked['request']) => {
        const cap = CAPABILITY_OF[request.method];
        return cap && !(caps as Record<string, unknown>)[cap]
          ? Promise.reject(undeclared(h, request.method))
          : pooled.ask(request);
      },
    };
    (pooled.shared ? runShared(pooled.client, call, run) : run())
      .then(
        (result) => (h.outcome = { kind: 'done', result: result as Record<string, unknown> }),
        (error: unknown) =>
          (h.outcome = {
            kind: 'error',
            // The upstream failed because it asked for input this client cannot give: say so
            // (MCP 2026-07-28: -32021 names the capability), not the -32601 it was answered.
            error: h.missing
              ? new McpError(
                  -32021,
                  `the upstream needs the client capability "${h.missing}", which this request did not declare`,
                  { requiredCapabilities: { [h.missing]: {} } },
                )
              : error,
          }),
      )
      .finally(() => {
        // A JSON-RPC error leaves the upstream session usable; a transport failure does not.
        const e = h.outcome?.kind === 'error' ? (h.outcome.error as { code?: unknown }) : undefined;
        this.release(pooled, !e || (typeof e.code === 'number' && e.code > -32100));
        h.wake?.();
      });
    return this.next(handle, h);
  }

  private async acquire(
    upstream: Upstream,
    caps: ClientCapabilities,
    subject?: string,
  ): Promise<Pooled> {
    const key = `${upstream.name}\u0000${JSON.stringify(caps)}`;
    const list = this.idle.get(key);
    while (list?.length) {
      const p = list.pop()!;
      clearTimeout(p.idleTimer);
      if (!p.closed) return p;
    }
    const p = { key, upstream: upstream.name, caps } as Pooled;
    const ask = (request: Asked['request']) =>
      new Promise<Record<string, unknown>>((answer, fail) => {
        const h = p.current;
        if (!h) return fail(new Error('no call in flight on this upstream session'));
        h.asked.set(randomUUID().slice(0, 8), { request, answer });
        h.wake?.();
      });
    const install = (c: Client) => {
      if (caps.elicitation) c.setRequestHandler(ElicitRequestSchema, (r) => ask(r) as never);
      if (caps.sampling) c.setRequestHandler(CreateMessageRequestSchema, (r) => ask(r) as never);
      if (caps.roots) c.setRequestHandler(ListRootsRequestSchema, (r) => ask(r) as never);
    };
    const { client, shared } = await upstream.sessionClient(
      { capabilities: caps, install },
      subject,
    );
    // Requests for undeclared capabilities reach no handler: note which, then refuse as the
    // SDK would (-32601).
    if (!shared)
      client.fallbackRequestHandler = async (req) => {
        throw undeclared(p.current, req.method);
      };
    p.client = client;
    p.shared = shared;
    p.ask = ask;
    if (!shared) client.onclose = () => (p.closed = true);
    return p;
  }

  private release(p: Pooled, reusable: boolean): void {
    p.current = undefined;
    if (p.shared) return;
    const list = this.idle.get(p.key) ?? [];
    if (!reusable || p.closed || list.length >= MAX_IDLE) {
      void p.client.close().catch(() => undefined);
      return;
    }
    list.push(p);
    this.idle.set(p.key, list);
    p.idleTimer = setTimeout(() => {
      const i = list.indexOf(p);
      if (i >= 0) list.splice(i, 1);
      void p.client.close().catch(() => undefined);
    }, IDLE_MS);
    p.idleTimer.unref();
  }

  /** Answers the parked requests with the retry's `inputResponses` and waits for what's next.
   *  Undefined when the handle is unknown here (other replica, expired, finished). */
  async resume(handle: string, responses: Record<string, unknown>): Promise<Step | undefined> {
    const h = this.held.get(handle);
    if (!h) return undefined;
    for (const [key, a] of [...h.asked]) {
      const r = responses[key];
      if (r && typeof r === 'object') {
        h.asked.delete(key);
        a.answer(r as Record<string, unknown>);
      }
    }
    return this.next(handle, h);
  }

  private async next(handle: string, h: Held): Promise<Step> {
    clearTimeout(h.timer);
    // Let a burst of questions asked together land in one input_required.
    while (!h.outcome && h.asked.size === 0) await new Promise<void>((wake) => (h.wake = wake));
    await new Promise((r) => setImmediate(r));
    h.wake = undefined;
    if (h.outcome && h.asked.size === 0) {
      this.held.delete(handle);
      return h.outcome;
    }
    h.timer = setTimeout(() => this.abandon(handle), HOLD_MS);
    h.timer.unref();
    return {
      kind: 'input',
      handle,
      inputRequests: Object.fromEntries(
        [...h.asked].map(([k, a]) => [k, { method: a.request.method, params: a.request.params }]),
      ),
    };
  }

  /** Nobody came back for the call: end it (closing its upstream session cancels it). */
  private abandon(handle: string): void {
    const h = this.held.get(handle);
    if (!h) return;
    this.held.delete(handle);
    if (!h.pooled.shared) {
      h.pooled.closed = true;
      void h.pooled.client.close().catch(() => undefined);
    }
  }

  close(): void {
    for (const k of [...this.held.keys()]) this.abandon(k);
    for (const list of this.idle.values())
      for (const p of list.splice(0)) {
        clearTimeout(p.idleTimer);
        void p.client.close().catch(() => undefined);
      }
  }
}
