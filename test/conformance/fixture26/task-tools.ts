// The tools of the 2026-07-28 fixture's tasks extension (SEP-2663): the fixtures the tasks-*
// scenarios of @modelcontextprotocol/conformance 0.2.0-alpha.12 name in their descriptions.
// `greet` is sync-only; every other tool supports tasks, `optional` (a client without the
// extension gets an ordinary result) or `required` (such a client gets -32021, SEP-2663
// "Capability Negotiation").
//
// Each tool's work is written once and driven two ways: as a task by the store (tasks.ts; its
// questions surface on tasks/get and are answered with tasks/update), and synchronously by the
// SDK's tools/call when no task is made (its questions become an input_required result that the
// client answers by retrying the call, SEP-2322). The SDK registration below is also what puts
// the tools on tools/list.

import { setTimeout as sleep } from 'node:timers/promises';
import {
  ProtocolError,
  ProtocolErrorCode,
  fromJsonSchema,
  inputRequired,
  inputResponse,
  type CallToolResult,
  type InputRequest,
  type InputRequiredResult,
  type McpServer,
} from '@modelcontextprotocol/server';
import { HARMLESS, text } from './shared.ts';
import { isAsk, type WorkOutcome } from './tasks.ts';

export type TaskSupport = 'optional' | 'required';

/** The tools/list `_meta` key that tells a client (or a gateway) how a tool supports tasks. The
 *  2026-07-28 Tool has no `execution.taskSupport` any more (the SDK deletes it from tools/list)
 *  and SEP-2663 leaves task creation to the server, so this is the fixture's own annotation. */
export const TASK_SUPPORT_META = 'io.github.mcp-warden/taskSupport';

type Args = Record<string, unknown>;
type Answers = Record<string, unknown>;
type ArgsSchema = ReturnType<typeof fromJsonSchema<Args>>;

export interface TaskTool {
  name: string;
  description: string;
  taskSupport: TaskSupport;
  /** The arguments' schema; the SDK and the task path validate with the same one. */
  args: ArgsSchema;
  /** Questions asked on the tools/call itself, before a task exists (SEP-2663 "Task Creation":
   *  multi-round-trip exchanges are resolved synchronously first); undefined once answered. */
  before?(answers: Answers): Record<string, InputRequest> | undefined;
  /** Whether this call becomes a task; the server decides per request (default: always). */
  wantsTask?(args: Args): boolean;
  /** The work: the result, or the questions still unanswered (each key asked once). */
  work(args: Args, answers: Answers, signal: AbortSignal): Promise<WorkOutcome>;
}

const schema = (properties: Record<string, object>, required: string[] = []): ArgsSchema =>
  fromJsonSchema<Args>({ type: 'object', properties, required, additionalProperties: false });

const ask = (message: string, field: string, type: 'string' | 'boolean'): InputRequest =>
  inputRequired.elicit({
    message,
    requestedSchema: {
      type: 'object',
      properties: { [field]: type === 'string' ? { type: 'string' } : { type: 'boolean' } },
      required: [field],
    },
  });

/** The accepted value of one elicited field, or undefined (declined, cancelled, wrong type). */
function accepted(answers: Answers, key: string, field: string, type: string): unknown {
  const r = inputResponse(answers, key);
  const v = r.kind === 'elicit' && r.action === 'accept' ? r.content?.[field] : undefined;
  return typeof v === type ? v : undefined;
}

const answered = (answers: Answers, key: string) => Object.hasOwn(answers, key);

const TOOLS: TaskTool[] = [
  {
    name: 'slow_compute',
    description: 'Sleeps `seconds` seconds, then returns; a task unless `seconds` is 0',
    taskSupport: 'optional',
    args: schema(
      { seconds: { type: 'number', minimum: 0, maximum: 3600 }, label: { type: 'string' } },
      ['seconds'],
    ),
    // SEP-2663 lets a task-supporting tool answer at once when the work is instant.
    wantsTask: (args) => Number(args.seconds) > 0,
    async work(args, _answers, signal) {
      const seconds = Number(args.seconds);
      await sleep(seconds * 1000, undefined, { signal }); // tasks/cancel aborts the sleep
      return text(`${String(args.label ?? 'slow_compute')}: computed after ${seconds}s`);
    },
  },
  {
    name: 'failing_job',
    description: 'Runs for a second, then ends with a tool execution error (isError)',
    taskSupport: 'required',
    args: schema({}),
    async work(_args, _answers, signal) {
      await sleep(1000, undefined, { signal });
      return { isError: true, content: [{ type: 'text', text: 'failing_job: the job failed' }] };
    },
  },
  {
    name: 'protocol_error_job',
    description: 'Runs for half a second, then fails with a JSON-RPC error (-32603)',
    taskSupport: 'required',
    args: schema({}),
    async work(_args, _answers, signal) {
      await sleep(500, undefined, { signal });
      throw new ProtocolError(ProtocolErrorCode.InternalError, 'protocol_error_job crashed');
    },
  },
  {
    name: 'confirm_delete',
    description: 'Asks to confirm (elicitation), then reports the file deleted; deletes nothing',
    taskSupport: 'optional',
    args: schema({ filename: { type: 'string', minLength: 1 } }, ['filename']),
    async work(args, answers, signal) {
      const file = String(args.filename);
      if (!answered(answers, 'confirm'))
        return { ask: { confirm: ask(`Delete ${file}?`, 'confirm', 'boolean') } };
      if (accepted(answers, 'confirm', 'confirm', 'boolean') !== true)
        return text(`Kept ${file}: the deletion was not confirmed`);
      await sleep(200, undefined, { signal });
      return text(`Deleted ${file}`);
    },
  },
  {
    name: 'multi_input',
    description: 'Asks for a name and a confirmation at once (two elicitations), then reports both',
    taskSupport: 'optional',
    args: schema({}),
    async work(_args, answers, signal) {
      const missing: Record<string, InputRequest> = {};
      if (!answered(answers, 'name')) missing.name = ask('What is your name?', 'name', 'string');
      if (!answered(answers, 'confirm'))
        missing.confirm = ask('Proceed with the job?', 'confirm', 'boolean');
      if (Object.keys(missing).length > 0) return { ask: missing };
      await sleep(200, undefined, { signal });
      const name = accepted(answers, 'name', 'name', 'string') ?? '(declined)';
      const ok = accepted(answers, 'confirm', 'confirm', 'boolean') ?? '(declined)';
      return text(`multi_input: name=${String(name)}; confirmed=${String(ok)}`);
    },
  },
  {
    name: 'test_tool_with_task',
    description: 'Asks for a name on the call itself (input_required), then greets as a task',
    taskSupport: 'required',
    args: schema({}),
    before: (answers) =>
      accepted(answers, 'user_name', 'name', 'string') === undefined
        ? { user_name: ask('What is your name?', 'name', 'string') }
        : undefined,
    async work(_args, answers, signal) {
      await sleep(300, undefined, { signal });
      const name = String(accepted(answers, 'user_name', 'name', 'string'));
      return text(`Hello, ${name}! (finished as a task)`);
    },
  },
];

export const TASK_TOOLS: ReadonlyMap<string, TaskTool> = new Map(TOOLS.map((t) => [t.name, t]));

/** The sync-only tool the scenarios compare task tools with. */
const GREET = 'greet';
const GREET_ARGS = fromJsonSchema<{ name: string }>({
  type: 'object',
  properties: { name: { type: 'string' } },
  required: ['name'],
});

/** Every tool registerTaskTools registers, in tools/list order. */
export const TASK_TOOL_NAMES: readonly string[] = [GREET, ...TASK_TOOLS.keys()];

export function registerTaskTools(server: McpServer): void {
  server.registerTool(
    GREET,
    { description: 'Greets by name; never a task', inputSchema: GREET_ARGS, annotations: HARMLESS },
    ({ name }) => text(`Hello, ${name}!`),
  );
  for (const tool of TASK_TOOLS.values())
    server.registerTool(
      tool.name,
      {
        description: `${tool.description} (task support: ${tool.taskSupport})`,
        inputSchema: tool.args,
        annotations: HARMLESS,
        _meta: { [TASK_SUPPORT_META]: tool.taskSupport },
      },
      (args, ctx) => runWithoutTask(tool, args, ctx.mcpReq.inputResponses ?? {}, ctx.mcpReq.signal),
    );
}

/** A call the SDK answers itself: no task is made (task-calls.ts made none), so questions become
 *  an input_required result and the client answers them by retrying (SEP-2322). */
async function runWithoutTask(
  tool: TaskTool,
  args: Args,
  answers: Answers,
  signal: AbortSignal,
): Promise<CallToolResult | InputRequiredResult> {
  const asked = tool.before?.(answers);
  if (asked) return inputRequired({ inputRequests: asked });
  // A 2026-07-28 request without the extension was refused -32021 before dispatch; only a
  // 2025-era client (`legacy: 'fallback'`) gets here, and it cannot hold a task.
  if (tool.taskSupport === 'required')
    return {
      isError: true,
      content: [{ type: 'text', text: `${tool.name} runs only as a task (SEP-2663)` }],
    };
  const outcome = await tool.work(args, answers, signal);
  return isAsk(outcome) ? inputRequired({ inputRequests: outcome.ask }) : outcome;
}
