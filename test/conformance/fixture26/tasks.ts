// The task store of the 2026-07-28 fixture's tasks extension (SEP-2663, extension id
// `io.modelcontextprotocol/tasks`; the tasks-* scenarios of @modelcontextprotocol/conformance
// 0.2.0-alpha.12). The SDK builds one McpServer per HTTP request, while a task outlives the
// request that created it, so one store per fixture process holds every task; `tasks/get`,
// `tasks/update` and `tasks/cancel` (task-methods.ts) and the task-creating `tools/call`
// (task-calls.ts) all reach the same instance.
//
// A task runs its tool's work with real timers. Work either returns the tool result or the
// questions it still needs answered; the store parks the task as `input_required` with those
// questions, collects answers from `tasks/update`, and runs the work again with every answer so
// far, until it returns a result (SEP-2663 "Task Update Requests"). `tasks/cancel` aborts the
// work's signal, so a sleeping tool stops at once.

import { randomUUID } from 'node:crypto';
import {
  ProtocolError,
  ProtocolErrorCode,
  type CallToolResult,
  type InputRequest,
} from '@modelcontextprotocol/server';

export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

const TERMINAL: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'cancelled']);

/** The questions a tool's work still needs answered, by key. */
export interface Ask {
  ask: Record<string, InputRequest>;
}

/** What a tool's work returns: its result, or the questions it still needs answered. */
export type WorkOutcome = CallToolResult | Ask;

export const isAsk = (outcome: WorkOutcome): outcome is Ask =>
  typeof (outcome as Partial<Ask>).ask === 'object';

/** A tool's work, given every answer received so far and the task's cancellation signal. A
 *  thrown ProtocolError is a protocol-level failure (status `failed`); a tool error is a result
 *  with `isError` (status `completed`), SEP-2663 "Task Execution Errors". */
export type Work = (answers: Record<string, unknown>, signal: AbortSignal) => Promise<WorkOutcome>;

/** SEP-2663 "Tasks": the Task fields every task answer carries. */
export interface TaskFields {
  taskId: string;
  status: TaskStatus;
  statusMessage?: string;
  createdAt: string;
  lastUpdatedAt: string;
  ttlMs: number | null;
  pollIntervalMs?: number;
}

/** SEP-2663 DetailedTask: the Task plus what its status inlines (never `requestState`). */
export interface DetailedTask extends TaskFields {
  result?: CallToolResult;
  error?: { code: number; message: string; data?: unknown };
  inputRequests?: Record<string, InputRequest>;
}

export interface TaskStoreOptions {
  /** How long a task stays readable after its creation (integer ms). */
  ttlMs?: number;
  /** The polling interval suggested to clients (integer ms). */
  pollIntervalMs?: number;
}

interface TaskRecord extends DetailedTask {
  /** Questions outstanding now, by key (input_required). */
  pending: Record<string, InputRequest>;
  /** Every answer received over the task's life, by key. */
  answers: Record<string, unknown>;
  /** Wakes the parked work once nothing is pending. */
  resume?: () => void;
  abort: AbortController;
  expiry?: NodeJS.Timeout;
}

const unknownTask = (taskId: unknown) =>
  new ProtocolError(ProtocolErrorCode.InvalidParams, `Task not found: ${String(taskId)}`);

export class TaskStore {
  readonly #tasks = new Map<string, TaskRecord>();
  readonly #ttlMs: number;
  readonly #pollIntervalMs: number;

  constructor(opts: TaskStoreOptions = {}) {
    this.#ttlMs = opts.ttlMs ?? 10 * 60_000;
    this.#pollIntervalMs = opts.pollIntervalMs ?? 250;
  }

  /** Creates a working task and starts its work. The task is in the store before this returns,
   *  so a `tasks/get` right after the CreateTaskResult resolves (SEP-2663 "Task Creation":
   *  durably created first). `answers` are those gathered before the task existed (the
   *  multi-round-trip phase of the call). */
  create(work: Work, answers: Record<string, unknown> = {}): TaskFields {
    const now = new Date().toISOString();
    const task: TaskRecord = {
      taskId: randomUUID(), // unguessable: SEP-2663 "Security Considerations"
      status: 'working',
      createdAt: now,
      lastUpdatedAt: now,
      ttlMs: this.#ttlMs,
      pollIntervalMs: this.#pollIntervalMs,
      pending: {},
      answers: { ...answers },
      abort: new AbortController(),
    };
    this.#tasks.set(task.taskId, task);
    // After the TTL the server may discard the task (SEP-2663 "Task Polling"); never earlier.
    task.expiry = setTimeout(() => this.#discard(task), this.#ttlMs).unref();
    void this.#run(task, work);
    return fieldsOf(task);
  }

  /** tasks/get: the DetailedTask for the task's current status. */
  get(taskId: string): DetailedTask {
    const task = this.#find(taskId);
    const detailed: DetailedTask = fieldsOf(task);
    if (task.status === 'completed') detailed.result = task.result;
    if (task.status === 'failed') detailed.error = task.error;
    if (task.status === 'input_required') detailed.inputRequests = { ...task.pending };
    return detailed;
  }

  /** tasks/update: records the answers to outstanding questions and ignores the rest (keys never
   *  asked, already answered or superseded: SEP-2663 "Task Update Requests"). A partial answer
   *  leaves the task `input_required` with only the unanswered keys. */
  update(taskId: string, responses: Record<string, unknown>): void {
    const task = this.#find(taskId);
    for (const [key, response] of Object.entries(responses)) {
      if (!Object.hasOwn(task.pending, key)) continue;
      task.answers[key] = response;
      delete task.pending[key];
      task.lastUpdatedAt = new Date().toISOString();
    }
    if (task.status === 'input_required' && Object.keys(task.pending).length === 0) task.resume?.();
  }

  /** tasks/cancel: stops the work and settles the task `cancelled`; a terminal task is left as
   *  it is, and the ack is the same (SEP-2663 "Task Cancellation"). */
  cancel(taskId: string): void {
    const task = this.#find(taskId);
    if (TERMINAL.has(task.status)) return;
    this.#settle(task, 'cancelled', { statusMessage: 'Cancelled by tasks/cancel' });
    task.abort.abort();
    task.resume?.();
  }

  /** Stops every task's work and forgets them (the fixture is closing). */
  close(): void {
    for (const task of this.#tasks.values()) this.#discard(task);
  }

  #find(taskId: string): TaskRecord {
    const task = this.#tasks.get(taskId);
    if (!task) throw unknownTask(taskId); // SEP-2663 "Protocol Errors": -32602
    return task;
  }

  async #run(task: TaskRecord, work: Work): Promise<void> {
    // Cancelled or discarded: whatever the work does next is not observable any more.
    const stopped = () => task.abort.signal.aborted || TERMINAL.has(task.status);
    try {
      for (;;) {
        const outcome = await work(task.answers, task.abort.signal);
        if (stopped()) return;
        if (!isAsk(outcome)) return this.#settle(task, 'completed', { result: outcome });
        await this.#park(task, outcome.ask);
        if (stopped()) return;
        this.#set(task, 'working');
      }
    } catch (e) {
      if (stopped()) return; // the abort of a cancelled task lands here
      const error =
        e instanceof ProtocolError
          ? { code: e.code, message: e.message, ...(e.data !== undefined && { data: e.data }) }
          : { code: ProtocolErrorCode.InternalError, message: String((e as Error)?.message ?? e) };
      this.#settle(task, 'failed', {
        error,
        statusMessage: `Tool execution failed: ${error.message}`,
      });
    }
  }

  /** input_required until every question asked now has an answer. A key is asked once over the
   *  task's life (SEP-2663: keys are unique per task); asking again is a fixture bug. */
  #park(task: TaskRecord, ask: Record<string, InputRequest>): Promise<void> {
    const keys = Object.keys(ask);
    const reused = keys.filter((k) => Object.hasOwn(task.answers, k));
    if (keys.length === 0 || reused.length > 0)
      throw new ProtocolError(
        ProtocolErrorCode.InternalError,
        `Task work asked for ${keys.length === 0 ? 'nothing' : `answered keys again: ${reused.join(', ')}`}`,
      );
    task.pending = { ...ask };
    this.#set(task, 'input_required', `Waiting for input: ${keys.join(', ')}`);
    return new Promise<void>((resolve) => {
      task.resume = () => {
        task.resume = undefined;
        resolve();
      };
    });
  }

  /** A status change; the message describes the new status only (SEP-2663 `statusMessage`). */
  #set(task: TaskRecord, status: TaskStatus, statusMessage?: string): void {
    task.status = status;
    task.statusMessage = statusMessage;
    task.lastUpdatedAt = new Date().toISOString();
  }

  #settle(
    task: TaskRecord,
    status: TaskStatus,
    { statusMessage, ...payload }: Pick<DetailedTask, 'statusMessage' | 'result' | 'error'>,
  ): void {
    Object.assign(task, payload);
    task.pending = {};
    this.#set(task, status, statusMessage);
  }

  #discard(task: TaskRecord): void {
    clearTimeout(task.expiry);
    task.abort.abort();
    task.resume?.();
    this.#tasks.delete(task.taskId);
  }
}

/** The Task fields alone: what CreateTaskResult carries, and the base of every DetailedTask. */
function fieldsOf(task: TaskRecord): TaskFields {
  const { taskId, status, statusMessage, createdAt, lastUpdatedAt, ttlMs, pollIntervalMs } = task;
  return {
    taskId,
    status,
    ...(statusMessage !== undefined && { statusMessage }),
    createdAt,
    lastUpdatedAt,
    ttlMs,
    ...(pollIntervalMs !== undefined && { pollIntervalMs }),
  };
}
