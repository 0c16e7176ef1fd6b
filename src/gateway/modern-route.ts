// MCP 2026-07-28 on a gateway-served route (/mcp, and /u/<stdio-upstream>/mcp): stateless, so
// every request is answered here from the merged catalog or forwarded to one upstream, with no
// session and no SDK server in between. Authentication, the policy decision of a tools/call and
// the header checks happened at the HTTP stage (http-stage.ts); this module dispatches:
//   server/discover (mandatory for servers), the lists (with `ttlMs` and `cacheScope`),
//   tools/call, prompts/get, resources/read (MRTR-capable: `requestState` sealed per principal
//   and request; a 2025-era upstream's server-to-client requests held and surfaced as
//   `input_required`, held-calls.ts), completion/complete.
// An answer is one JSON body unless the upstream sends notifications first (progress, log
// messages the client opted into with `_meta`), then the answer becomes an SSE stream.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Subject } from '../auth/index.ts';
import type { JsonRpcMessage } from '../transport/body.ts';
import { httpError, type JsonRpcId } from '../transport/errors.ts';
import {
  META_CLIENT_CAPABILITIES,
  META_PROTOCOL_VERSION,
  SUPPORTED_VERSIONS,
  TASKS_EXTENSION,
  declaresTasks,
  type Era,
} from '../transport/era.ts';
import { isWardenError } from '../errors/index.ts';
import { messageEvent } from '../transport/sse.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { GATEWAY_INFO } from '../upstream/upstream.ts';
import { applyResult, redactForClient, type RequestAudit } from './audit-hook.ts';
import { completionTarget } from './completion.ts';
import { bindingOf, clientAnswer, openState } from './modern-request.ts';
import { resourceOwner, resourceUpstreams } from './resources.ts';
import type { RouteContext } from './route-context.ts';
import type { Step } from './held-calls.ts';
import { serveListen } from './modern-listen.ts';
import { clientTaskAnswer, forwardTaskRequest, taskToolResult } from './task-ids.ts';
import { HeldElsewhere, mayRelay, relayToReplica } from './replica-relay.ts';
import { subjectKey } from '../upstream/child-pool.ts';

type Modern = Extract<Era, { era: 'modern' }>;
type Result = Record<string, unknown>;

const META_SERVER_INFO = 'io.modelcontextprotocol/serverInfo';

/** How long a relayed retry waits for the owning replica to start answering. */
const RELAY_CONNECT_MS = 10_000;

/** How long clients may cache the gateway's lists: the catalog changes on upstream refresh. */
const LIST_TTL_MS = 30_000;

/** Whether some resource owner can be watched through a listen stream (modern-listen.ts): one
 *  that declares `resources.subscribe`, of any era or transport. */
const canWatch = (ctx: RouteContext) =>
  resourceUpstreams(ctx).some(
    (u) => (u.catalog?.capabilities.resources as { subscribe?: boolean })?.subscribe,
  );

const serverInfo = (ctx: RouteContext) => ({ ...GATEWAY_INFO, title: `mcp-warden ${ctx.path}` });

class Reply {
  private streaming = false;
  constructor(
    private readonly res: ServerResponse,
    private readonly id: JsonRpcId,
  ) {}

  notify(n: { method: string; params?: unknown }): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    if (!this.streaming) {
      this.streaming = true;
      this.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    }
    this.res.write(messageEvent(n));
  }

  send(
    body: { result: Result } | { error: { code: number; message: string; data?: unknown } },
  ): void {
    if (this.streaming) return void this.res.end(messageEvent({ id: this.id, ...body }));
    const text = JSON.stringify({ jsonrpc: '2.0', id: this.id, ...body });
    this.res.writeHead('error' in body ? statusOf(body.error.code) : 200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    this.res.end(text);
  }
}

export async function serveModern(
  route: { ctx: RouteContext },
  req: IncomingMessage,
  res: ServerResponse,
  msg: JsonRpcMessage,
  subject: Subject,
  era: Modern,
  audit: RequestAudit,
  log: Logger,
): Promise<void> {
  if (msg.id === undefined || msg.id === null) {
    // Notifications and posted responses: accepted (202), nothing to answer.
    res.writeHead(202).end();
    return;
  }
  const ctx = route.ctx;
  const reply = new Reply(res, msg.id);
  const params = (msg.params ?? {}) as Result;
  const abort = new AbortController();
  // MCP 2026-07-28: closing the response stream is the cancellation.
  res.on('close', () => res.writableFinished || abort.abort());
  const isCall = msg.method === 'tools/call';
  if (msg.method === 'subscriptions/listen') {
    const r = serveListen(ctx, res, msg.id, params, serverInfo(ctx), era.capabilities);
    if ('error' in r) return reply.send(r);
    return r;
  }
  try {
    const result = await dispatch();
    if (isCall) {
      applyResult(audit.rec, result);
      await audit.commit(200);
    }
    reply.send({ result: redactForClient(ctx.audit, msg.method, result) });
  } catch (e) {
    if (e instanceof HeldElsewhere) {
      // The owner answers, audits the call and streams; this replica's record notes the hop.
      audit.rec.reasons = [
        ...audit.rec.reasons,
        `relayed to replica ${e.replica}, which holds the call`,
      ];
      const status = await relayToReplica(
        e.replica,
        ctx.path,
        req,
        res,
        msg,
        ctx.replica,
        RELAY_CONNECT_MS,
      );
      return audit.settle(status);
    }
    // JSON-RPC errors of the method are answered in-band (200); transport errors propagate.
    const rpc = asRpcError(e);
    if (!rpc) throw e;
    audit.rec.outcome = 'error';
    audit.rec.error_code = rpc.code;
    audit.rec.error_message = rpc.message;
    if (isCall)
      await audit.commit(200).catch((err: unknown) => {
        log.error({ err, route: ctx.path }, 'audit record could not be written');
        throw httpError('INTERNAL', 'audit record could not be written');
      });
    reply.send({ error: rpc });
  }

  async function dispatch(): Promise<Result> {
    switch (msg.method) {
      case 'server/discover':
        return {
          resultType: 'complete',
          supportedVersions: [...SUPPORTED_VERSIONS],
          // list_changed on subscriptions/listen (modern-listen.ts).
          capabilities: {
            tools: { listChanged: true },
            // subscribe: resourceSubscriptions on listen streams, when an upstream can serve
            // them (modern-listen.ts).
            resources: { listChanged: true, ...(canWatch(ctx) ? { subscribe: true } : {}) },
            prompts: { listChanged: true },
            completions: {},
            // The tasks extension (SEP-2663), when an upstream offers it (task-ids.ts).
            ...(ctx.upstreams.some((u) => u.modern && declaresTasks(u.catalog?.capabilities))
              ? { extensions: { [TASKS_EXTENSION]: {} } }
              : {}),
          },
          serverInfo: serverInfo(ctx),
          _meta: { [META_SERVER_INFO]: serverInfo(ctx) },
          ...(ctx.instructions() ? { instructions: ctx.instructions() } : {}),
          ttlMs: LIST_TTL_MS,
          cacheScope: 'public',
        };
      case 'tools/list':
        return list('private', {
          tools: ctx
            .visibleTools(subject)
            .map(({ exposed, tool }) => ({ ...tool.def, name: exposed })),
        });
      case 'prompts/list':
        return list('public', {
          prompts: [...ctx.index.allPrompts()].map(({ exposed, prompt }) => ({
            ...prompt,
            name: exposed,
          })),
        });
      case 'resources/list':
        return list('public', {
          resources: resourceUpstreams(ctx).flatMap((u) => u.catalog!.resources),
        });
      case 'resources/templates/list':
        return list('public', {
          resourceTemplates: resourceUpstreams(ctx).flatMap((u) => u.catalog!.resourceTemplates),
        });
      case 'tools/call': {
        const hit = ctx.index.tool(String(params.name));
        if (!hit || hit.tool.hidden) throw rpcError(-32602, `Unknown tool: ${String(params.name)}`);
        return forward(hit.upstream, { ...params, name: hit.tool.name }, hit.tool.def.inputSchema);
      }
      case 'prompts/get': {
        const hit = ctx.index.prompt(String(params.name));
        if (!hit) throw rpcError(-32602, `Unknown prompt: ${String(params.name)}`);
        return forward(hit.upstream, { ...params, name: hit.prompt.name });
      }
      case 'resources/read': {
        const uri = String(params.uri);
        const owner = resourceOwner(resourceUpstreams(ctx), uri);
        // SEP-2164: an unknown resource is Invalid Params naming the uri, never empty contents.
        if (!owner) throw rpcError(-32602, 'Resource not found', { uri });
        const r = await forward(owner, params);
        return r.resultType === 'input_required' ? r : { ttlMs: 0, cacheScope: 'private', ...r };
      }
      case 'tasks/get':
      case 'tasks/update':
      case 'tasks/cancel': {
        const a = await forwardTaskRequest(ctx, msg, bindingOf(msg, subject, '').principal, {
          capabilities: era.capabilities,
          meta: clientMeta(params._meta),
          onNotification: (n) => reply.notify(n),
          signal: abort.signal,
        });
        // The record names the task's tool, and a completed task's result (as tools/call's).
        audit.rec.tool = a.tool ?? null;
        if ('error' in a) throw rpcError(a.error.code, a.error.message, a.error.data);
        const done = taskToolResult(a.result);
        if (done !== undefined) applyResult(audit.rec, done);
        return a.result;
      }
      case 'completion/complete': {
        const target = completionTarget(ctx, params.ref as never);
        if (!target) throw rpcError(-32602, 'Unknown completion reference');
        return forward(target.upstream, { ...params, ref: target.ref });
      }
      default:
        throw rpcError(-32601, `Method not found: ${msg.method}`);
    }
  }

  function list(scope: 'public' | 'private', body: Result): Result {
    return { resultType: 'complete', ...body, ttlMs: LIST_TTL_MS, cacheScope: scope };
  }

  /** One request to one upstream, in the era it speaks. */
  async function forward(upstream: Upstream, p: Result, inputSchema?: unknown): Promise<Result> {
    const method = msg.method!;
    const binding = bindingOf(msg, subject, upstream.name);
    const opened = openState(ctx.states, msg, binding);
    const { requestState: _rs, _meta, ...rest } = p;
    const meta = clientMeta(_meta);
    const t0 = performance.now();
    try {
      if (upstream.modern) {
        const a = await upstream.modern.request(
          method,
          { ...rest, ...(opened?.state !== undefined ? { requestState: opened.state } : {}) },
          {
            capabilities: era.capabilities,
            meta,
            inputSchema,
            onNotification: (n) => reply.notify(n),
            signal: abort.signal,
            timeoutMs: upstream.config.timeout_ms,
          },
        );
        if (a.error) throw rpcError(a.error.code, a.error.message, a.error.data);
        const r = clientAnswer(a.result!, ctx.states, binding, false) ?? a.result!;
        const tool = method === 'tools/call' ? String(msg.params?.name) : undefined;
        return (
          clientTaskAnswer(r, ctx.taskIds, upstream.name, binding.principal, undefined, tool) ?? r
        );
      }
      // A 2025-era upstream: the call runs in a held upstream session (era translation).
      const { inputResponses, ...call } = rest;
      const step: Step | undefined = opened?.held
        ? await ctx.held.resume(opened.held, (inputResponses ?? {}) as Result)
        : await ctx.held.start(
            upstream,
            era.capabilities,
            method,
            { ...call, _meta: meta },
            upstream.config.timeout_ms,
            subjectKey(subject),
          );
      if (!step && opened?.replica && opened.replica !== ctx.replica && mayRelay(req))
        throw new HeldElsewhere(opened.replica);
      if (!step)
        throw httpError(
          'INVALID_REQUEST_STATE',
          'Invalid params: requestState refers to a call this gateway no longer holds (expired, or held by another replica): start the request over',
        );
      if (step.kind === 'error') throw step.error;
      if (step.kind === 'done') return { resultType: 'complete', ...step.result };
      return {
        resultType: 'input_required',
        inputRequests: step.inputRequests,
        requestState: ctx.states.seal(
          {
            upstream: upstream.name,
            held: step.handle,
            ...(ctx.replica ? { replica: ctx.replica } : {}),
          },
          binding.principal,
          binding.digest,
        ),
      };
    } finally {
      ctx.metrics.upstreamLatency(upstream.name, method, (performance.now() - t0) / 1000);
    }
  }
}

/** The client's own `_meta` (progress token, log level, trace context) goes on; the envelope
 *  is the gateway's to write for its own request. */
function clientMeta(_meta: unknown): Result {
  const meta = { ...(_meta as Result | undefined) };
  delete meta[META_PROTOCOL_VERSION];
  delete meta[META_CLIENT_CAPABILITIES];
  return meta;
}

/** MCP 2026-07-28 Streamable HTTP: an unknown (or removed: initialize, ping, logging/setLevel,
 * resources/subscribe) method is HTTP 404; the era's own errors are 400; other JSON-RPC
 * errors ride on 200. */
function statusOf(code: number): number {
  if (code === -32601) return 404;
  if (code === -32020 || code === -32021 || code === -32022) return 400;
  return 200;
}

class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

const rpcError = (code: number, message: string, data?: unknown) =>
  new RpcError(code, message, data);

/** In-band JSON-RPC errors: ours, the upstream's, and gateway errors answered with HTTP 200. */
function asRpcError(e: unknown): { code: number; message: string; data?: unknown } | undefined {
  if (e instanceof RpcError)
    return { code: e.code, message: e.message, ...(e.data !== undefined ? { data: e.data } : {}) };
  if (isWardenError(e))
    return e.status === 200 ? { code: e.rpcCode, message: e.message } : undefined;
  const c = (e as { code?: unknown }).code;
  if (typeof c === 'number') return { code: c, message: (e as Error).message };
  return undefined;
}
