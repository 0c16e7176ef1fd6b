// The methods of the tasks extension (SEP-2663): tasks/get, tasks/update and tasks/cancel, on
// every per-request McpServer of the 2026-07-28 fixture, answered from the process's TaskStore
// (tasks.ts). Registered as extension methods with their own params schemas, so the SDK's HTTP
// entry still does everything it does for a spec method first: the standard headers (for these
// methods `Mcp-Name` must equal `params.taskId`, SEP-2663 "Streamable HTTP: Routing Headers";
// else HTTP 400 with -32020), the per-request `_meta` envelope, the params. `tasks/result` and
// `tasks/list` do not exist in the extension and stay unregistered: the SDK answers -32601.

import {
  MissingRequiredClientCapabilityError,
  ProtocolError,
  ProtocolErrorCode,
  fromJsonSchema,
  type McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { clientCapabilities } from './shared.ts';
import type { TaskStore } from './tasks.ts';

export const TASKS_EXTENSION = 'io.modelcontextprotocol/tasks';

/** Whether a request's client capabilities declare the tasks extension (SEP-2663 "Capability
 *  Negotiation": per request, under `extensions`; nothing carries over from other requests). */
export function declaresTasks(capabilities: unknown): boolean {
  const ext = (capabilities as { extensions?: unknown } | undefined)?.extensions;
  return typeof ext === 'object' && ext !== null && Object.hasOwn(ext, TASKS_EXTENSION);
}

/** -32021 naming the extension (SEP-2663 "Capability Negotiation"); HTTP 400. */
export const missingTasksExtension = (what: string) =>
  new MissingRequiredClientCapabilityError(
    { requiredCapabilities: { extensions: { [TASKS_EXTENSION]: {} } } },
    `${what} needs the client capability extensions["${TASKS_EXTENSION}"]`,
  );

// `inputResponses` of tasks/update is not among the params: the SDK lifts it out of every
// request, as for a multi-round-trip retry, into ctx.mcpReq.inputResponses (well-formed
// entries only; the others are dropped, which leaves their questions outstanding).
const BY_ID = fromJsonSchema<{ taskId: string }>({
  type: 'object',
  properties: { taskId: { type: 'string', minLength: 1 } },
  required: ['taskId'],
});

/** SEP-2663 "Protocol Errors": a client that did not declare the extension on this very request
 *  is refused, before the task id is looked at. */
function requireTasks(method: string, ctx: ServerContext): void {
  if (!declaresTasks(clientCapabilities(ctx))) throw missingTasksExtension(method);
}

export function registerTaskMethods(server: McpServer, store: TaskStore): void {
  const low = server.server;
  // SEP-2663 "Task Polling": the DetailedTask of the current status, `resultType: "complete"`
  // (the standard result of tasks/get). An unknown or expired id is -32602.
  low.setRequestHandler('tasks/get', { params: BY_ID }, ({ taskId }, ctx) => {
    requireTasks('tasks/get', ctx);
    return { resultType: 'complete', ...store.get(taskId) };
  });
  // SEP-2663 "Task Update Requests": an empty ack; the answers take effect asynchronously and
  // show on the next tasks/get. Keys not outstanding are ignored.
  low.setRequestHandler('tasks/update', { params: BY_ID }, ({ taskId }, ctx) => {
    requireTasks('tasks/update', ctx);
    const responses = ctx.mcpReq.inputResponses;
    if (responses === undefined)
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'tasks/update needs inputResponses');
    store.update(taskId, responses);
    return { resultType: 'complete' };
  });
  // SEP-2663 "Task Cancellation": an empty ack, also for a task already terminal.
  low.setRequestHandler('tasks/cancel', { params: BY_ID }, ({ taskId }, ctx) => {
    requireTasks('tasks/cancel', ctx);
    store.cancel(taskId);
    return { resultType: 'complete' };
  });
}
