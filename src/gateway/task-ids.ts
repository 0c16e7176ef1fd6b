// The tasks extension (SEP-2663, `io.modelcontextprotocol/tasks`) through the gateway.
//
// A task-supporting upstream answers a tools/call with a CreateTaskResult (`resultType:
// "task"`, a `taskId`); the client then polls `tasks/get`, answers questions with
// `tasks/update` and stops it with `tasks/cancel`, naming the task by its id. Those requests
// carry no tool name: the gateway's policy saw the call once, when it was made. So the id the
// client holds must be the gateway's, not the upstream's: it is sealed (session/request-state.ts,
// AES-256-GCM) with the upstream that owns the task and bound to the principal that created
// it. Another user's token, or an upstream task id learnt elsewhere, opens nothing (-32602, as
// for an unknown task). Any replica with the same `sessions.keys` opens it; it lives as long
// as sealed sessions do (`sessions.ttl_s`).
//
// Requests without the extension in their client capabilities are refused with -32021
// (SEP-2663 capability gating), before any id is looked at.

import type { IncomingMessage } from 'node:http';
import type { JsonRpcMessage } from '../transport/body.ts';
import { encodeHeaderValue, declaresTasks, TASKS_EXTENSION } from '../transport/era.ts';
import { httpError } from '../transport/errors.ts';
import type { RequestStateSealer } from '../session/request-state.ts';
import type { RouteContext } from './route-context.ts';

/** The methods that name a task by `taskId`. */
export const TASK_METHODS = new Set(['tasks/get', 'tasks/update', 'tasks/cancel']);

/** What a sealed task id is bound to besides the principal (a constant: any task request). */
const TASK_BINDING = TASKS_EXTENSION;

export function sealTaskId(
  taskIds: RequestStateSealer,
  upstream: string,
  taskId: string,
  principal: string,
  /** The tool as the client called it: task requests' audit records name it. */
  tool?: string,
): string {
  return taskIds.seal(
    { upstream, state: taskId, ...(tool ? { tool } : {}) },
    principal,
    TASK_BINDING,
  );
}

/** The upstream and its task id behind a client's task id; undefined when it is not one the
 *  gateway sealed for this principal (tampered, another user's, expired). */
export function openTaskId(
  taskIds: RequestStateSealer,
  token: unknown,
  principal: string,
): { upstream: string; taskId: string; tool?: string } | undefined {
  if (typeof token !== 'string') return undefined;
  const s = taskIds.open(token, principal, TASK_BINDING);
  return s && typeof s.state === 'string'
    ? { upstream: s.upstream, taskId: s.state, tool: s.tool }
    : undefined;
}

/** -32021 for a task request whose client did not declare the extension (SEP-2663). */
export function requireTasks(method: string, capabilities: Record<string, unknown>): void {
  if (!declaresTasks(capabilities))
    throw httpError(
      'MISSING_CAPABILITY',
      `${method} needs the client capability extensions["${TASKS_EXTENSION}"]`,
      { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
    );
}

/** -32602 for a task id that does not open here (SEP-2663: unknown task). */
export const unknownTask = (taskId: unknown) =>
  httpError('INVALID_REQUEST_STATE', 'Invalid params: unknown task', { taskId });

/**
 * The drop-in route: a task request goes to the upstream with the upstream's own task id, in
 * the body and in `Mcp-Name`. Returns the body to forward and the task's tool, or undefined
 * when `msg` is not a task request.
 */
export function prepareTaskRequest(
  req: IncomingMessage,
  msg: JsonRpcMessage,
  taskIds: RequestStateSealer,
  upstream: string,
  principal: string,
  capabilities: Record<string, unknown>,
): { body: Buffer; tool?: string } | undefined {
  if (!TASK_METHODS.has(msg.method!)) return undefined;
  requireTasks(msg.method!, capabilities);
  const params = (msg.params ?? {}) as Record<string, unknown>;
  const opened = openTaskId(taskIds, params.taskId, principal);
  if (!opened || opened.upstream !== upstream) throw unknownTask(params.taskId);
  if (req.headers['mcp-name'] !== undefined)
    req.headers['mcp-name'] = encodeHeaderValue(opened.taskId);
  const out = Buffer.from(JSON.stringify({ ...msg, params: { ...params, taskId: opened.taskId } }));
  req.headers['content-length'] = String(out.length);
  return { body: out, tool: opened.tool };
}

/**
 * A result as the client sees it: a CreateTaskResult's task id sealed; a task request's answer
 * (tasks/get's DetailedTask) naming the task by the id the client sent. Undefined: unchanged.
 */
export function clientTaskAnswer(
  result: Record<string, unknown>,
  taskIds: RequestStateSealer,
  upstream: string,
  principal: string,
  /** The client's task id, when the request was a task request. */
  clientTaskId: string | undefined,
  /** The tool called, when the request was a tools/call. */
  tool?: string,
): Record<string, unknown> | undefined {
  if (typeof result.taskId !== 'string') return undefined;
  if (clientTaskId !== undefined) return { ...result, taskId: clientTaskId };
  if (result.resultType !== 'task') return undefined;
  return { ...result, taskId: sealTaskId(taskIds, upstream, result.taskId, principal, tool) };
}

/** The tool result a task request's answer carries: a completed task's (SEP-2663 inlines it
 *  in tasks/get), for the audit record's result summary. */
export function taskToolResult(result: unknown): unknown {
  const r = result as { status?: unknown; result?: unknown } | undefined;
  return r?.status === 'completed' ? r.result : undefined;
}

/**
 * A task request on a gateway-served route: to the upstream that owns the task, under the
 * upstream's id; its result names the task by the client's id, its error is the upstream's.
 */
export async function forwardTaskRequest(
  ctx: RouteContext,
  msg: JsonRpcMessage,
  principal: string,
  opts: {
    capabilities: Record<string, unknown>;
    meta: Record<string, unknown>;
    onNotification: (n: { method: string; params?: Record<string, unknown> }) => void;
    signal: AbortSignal;
  },
): Promise<
  { tool?: string } & ({ result: Record<string, unknown> } | { error: UpstreamRpcError })
> {
  requireTasks(msg.method!, opts.capabilities);
  const { _meta, ...params } = (msg.params ?? {}) as Record<string, unknown>;
  const opened = openTaskId(ctx.taskIds, params.taskId, principal);
  const upstream = opened && ctx.upstreams.find((u) => u.name === opened.upstream);
  if (!opened || !upstream?.modern) throw unknownTask(params.taskId);
  const a = await upstream.modern.request(
    msg.method!,
    { ...params, taskId: opened.taskId },
    { ...opts, timeoutMs: upstream.config.timeout_ms },
  );
  if (a.error) return { tool: opened.tool, error: a.error };
  const r = a.result!;
  return {
    tool: opened.tool,
    result: clientTaskAnswer(r, ctx.taskIds, upstream.name, principal, String(params.taskId)) ?? r,
  };
}

type UpstreamRpcError = { code: number; message: string; data?: unknown };
