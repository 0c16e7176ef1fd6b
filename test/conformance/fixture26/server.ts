// One SDK v2 McpServer per HTTP request (2026-07-28 is stateless: nothing outlives a request
// but the requestState key, the listen-stream bus and the task store, which the caller owns).
// The capabilities are exactly what the fixture implements.

import {
  McpServer,
  type RequestStateCodec,
  type ServerNotifier,
} from '@modelcontextprotocol/server';
import {
  PROMPT_NAMES,
  PUBLIC_HINT,
  registerCompletion,
  registerPrompts,
  registerResources,
} from './catalog.ts';
import { MRTR_PROMPT, MRTR_TOOLS, registerMrtr, type StatePayload } from './mrtr.ts';
import { PLAIN_TOOL_NAMES, registerPlainTools } from './tools.ts';
import { TASKS_EXTENSION, registerTaskMethods } from './task-methods.ts';
import { TASK_TOOL_NAMES, registerTaskTools } from './task-tools.ts';
import type { TaskStore } from './tasks.ts';

export const FIXTURE26_INFO = { name: 'mcp-warden-conformance-fixture26', version: '1.0.0' };

/** The names on tools/list and prompts/list, in order (the gateway config renames each). */
export const FIXTURE26_TOOLS: readonly string[] = [
  ...PLAIN_TOOL_NAMES,
  ...MRTR_TOOLS,
  ...TASK_TOOL_NAMES,
];
export const FIXTURE26_PROMPTS: readonly string[] = [...PROMPT_NAMES, MRTR_PROMPT];

export interface Fixture26Deps {
  /** Seals and verifies requestState; one per process (mrtr.ts createStateCodec). */
  codec: RequestStateCodec<StatePayload>;
  /** Publishes list changes to open subscriptions/listen streams (createMcpHandler's notify). */
  notify: ServerNotifier;
  /** The tasks of the tasks extension; one per process, since a task outlives its request. */
  tasks: TaskStore;
}

export function createFixture26Server({ codec, notify, tasks }: Fixture26Deps): McpServer {
  const server = new McpServer(FIXTURE26_INFO, {
    capabilities: {
      // listChanged: the test_trigger_* tools announce changes on subscriptions/listen.
      tools: { listChanged: true },
      prompts: { listChanged: true },
      resources: { listChanged: false },
      completions: {},
      // 2025-era clients may still set a level; 2026-07-28 requests carry it in `_meta`.
      logging: {},
      // SEP-2663 "Capability Negotiation": the tasks extension, under `extensions` (the
      // 2025-11-25 `capabilities.tasks` slot is gone from this revision).
      extensions: { [TASKS_EXTENSION]: {} },
    },
    instructions: 'Fixture upstream for the MCP conformance suite, 2026-07-28 era (mcp-warden).',
    cacheHints: {
      'tools/list': PUBLIC_HINT,
      'prompts/list': PUBLIC_HINT,
      'resources/list': PUBLIC_HINT,
      'resources/templates/list': PUBLIC_HINT,
    },
    // Every echoed requestState is verified before a handler runs; a failure is -32602.
    requestState: { verify: (state, ctx) => codec.verify(state, ctx) },
  });
  registerPlainTools(server, notify);
  registerPrompts(server); // before registerMrtr: the MRTR prompt lists last
  registerMrtr(server, codec);
  registerTaskTools(server); // after the MRTR tools: the task tools list last
  registerTaskMethods(server, tasks);
  registerResources(server);
  registerCompletion(server);
  return server;
}
