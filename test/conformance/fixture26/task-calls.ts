// The task-creating tools/call of the 2026-07-28 fixture (SEP-2663 "Task Creation"), in front of
// the SDK's handler. The SDK cannot give these answers: its tools/call funnel turns every
// non-input_required result into a validated CallToolResult (a flat CreateTaskResult would gain
// `content: []`), and turns what a tool throws into an `isError` result (no -32021). So this
// layer answers exactly two things, and only for a tools/call the SDK itself would have accepted
// and dispatched to the tool (2026-07-28 era, standard headers in agreement, valid envelope and
// arguments, no foreign requestState):
//   - the client declared the extension and the call should run as a task: the task is created
//     (it is in the store before the answer is written) and the answer is a CreateTaskResult;
//   - the client did not declare it and the tool requires a task: -32021 naming the extension.
// Everything else, including every error, goes to the SDK unchanged: its answer is the
// authoritative one (a request in doubt is simply not taken).

import {
  CLIENT_CAPABILITIES_META_KEY,
  SERVER_INFO_META_KEY,
  classifyInboundRequest,
  isJsonContentType,
  type McpHttpHandler,
} from '@modelcontextprotocol/server';
import { declaresTasks, missingTasksExtension } from './task-methods.ts';
import { TASK_TOOLS } from './task-tools.ts';
import type { TaskStore } from './tasks.ts';

/** The revision this fixture serves (createMcpHandler's modern leg; the only one it supports). */
const REVISION = '2026-07-28';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fetch face toNodeHandler wraps: task-creating calls here, the rest to the SDK. */
export function withTaskCalls(
  mcp: McpHttpHandler,
  tasks: TaskStore,
  serverInfo: { name: string; version: string },
): Pick<McpHttpHandler, 'fetch'> {
  return {
    fetch: async (request, options) =>
      (await answerTaskCall(request.clone(), tasks, serverInfo)) ?? mcp.fetch(request, options),
  };
}

async function answerTaskCall(
  request: Request,
  tasks: TaskStore,
  serverInfo: { name: string; version: string },
): Promise<Response | undefined> {
  if (request.method !== 'POST' || !isJsonContentType(request.headers.get('content-type')))
    return undefined;
  const body: unknown = await request.json().catch(() => undefined);
  if (!isObject(body) || body.method !== 'tools/call' || !isObject(body.params)) return undefined;
  const params = body.params;
  const tool = typeof params.name === 'string' ? TASK_TOOLS.get(params.name) : undefined;
  if (!tool || !wouldDispatch(request.headers, body, params.name as string)) return undefined;

  const meta = params._meta as Json; // wouldDispatch: a valid 2026-07-28 envelope
  if (!declaresTasks(meta[CLIENT_CAPABILITIES_META_KEY])) {
    if (tool.taskSupport === 'optional') return undefined; // runs synchronously in the SDK
    const e = missingTasksExtension(`tools/call of ${tool.name}`);
    return Response.json(
      { jsonrpc: '2.0', id: body.id, error: { code: e.code, message: e.message, data: e.data } },
      { status: 400 },
    );
  }
  // The SDK verifies requestState before any handler runs; none of these tools mints one.
  if ('requestState' in params) return undefined;
  const answers = params.inputResponses ?? {};
  if (!isObject(answers)) return undefined;
  const parsed = await tool.args['~standard'].validate(params.arguments ?? {});
  if (parsed.issues) return undefined; // the SDK answers -32602 with the schema's complaint
  const args = parsed.value;
  // Questions still open on the call itself, or an instant result: no task (SEP-2663 leaves
  // the decision to the server, per request).
  if (tool.before?.(answers) || (tool.wantsTask && !tool.wantsTask(args))) return undefined;

  const task = tasks.create((got, signal) => tool.work(args, got, signal), answers);
  // SEP-2663 CreateTaskResult: `Result & Task`, flat, `resultType: "task"`.
  const result = { resultType: 'task', ...task, _meta: { [SERVER_INFO_META_KEY]: serverInfo } };
  return Response.json({ jsonrpc: '2.0', id: body.id, result });
}

/** Whether the SDK's HTTP entry would dispatch this request to its McpServer: a 2026-07-28
 *  request (the classifier checks the envelope and that the headers it carries agree with the
 *  body) carrying every standard header (SEP-2243: MCP-Protocol-Version, Mcp-Method, and
 *  Mcp-Name equal to the tool name, possibly Base64-encoded). */
function wouldDispatch(headers: Headers, body: Json, name: string): boolean {
  const header = (n: string) => headers.get(n) ?? undefined;
  const route = classifyInboundRequest({
    httpMethod: 'POST',
    protocolVersionHeader: header('mcp-protocol-version'),
    mcpMethodHeader: header('mcp-method'),
    mcpNameHeader: header('mcp-name'),
    body,
  });
  return (
    route.kind === 'modern' &&
    route.messageKind === 'request' &&
    route.classification.revision === REVISION &&
    headers.get('mcp-protocol-version') === REVISION &&
    headers.get('mcp-method') === 'tools/call' &&
    decodeHeaderValue(headers.get('mcp-name')) === name
  );
}

/** SEP-2243 "Value Encoding": a value that is not plain ASCII travels as `=?base64?…?=`. */
function decodeHeaderValue(value: string | null): string | undefined {
  if (value === null) return undefined;
  const sentinel = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/i.exec(value);
  return sentinel ? Buffer.from(sentinel[1], 'base64').toString('utf8') : value;
}
