// The gateway's side of the audit trail (PRODUCT.md "Audit record contract", issue #5): every
// MCP request the gateway answers — allowed, denied or failed — yields exactly one record,
// handed to the audit module (src/audit: redaction, hash chain, sinks). A RequestAudit is
// created when a request arrives and committed exactly once:
//  - for a tools/call, *before* its answer is released to the client, so that in
//    `audit.mode: written` / `durable` a client never holds an answer whose record is not in
//    the log (handed to the kernel, or fdatasync'ed);
//  - for everything else (and whatever was not committed yet), when the response closes.
// The record says what happened: a response closed before it was written is `client_gone`
// (not `ok` with no result), and a call the gateway stopped waiting for is `timeout`; both
// mark `upstream_state: "unknown"` for a forwarded tools/call — it may have run upstream.

import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AuditInput, Auditor } from '../audit/index.ts';
import { HTTP_ERRORS } from '../transport/errors.ts';
import { TASK_METHODS, taskToolResult } from './task-ids.ts';

/** The record the gateway fills in while it answers; the audit module's input type. */
export type AuditRecord = AuditInput;
export type { AuditDecision, AuditOutcome } from '../audit/index.ts';

export class RequestAudit {
  private committed: Promise<void> | undefined;

  constructor(
    private readonly auditor: Auditor,
    readonly rec: AuditRecord,
    private readonly start: number,
    private readonly log: Logger,
  ) {}

  get done(): boolean {
    return this.committed !== undefined;
  }

  /**
   * Seals the record (once; later calls return the first promise). Resolves when the audit
   * module accepted it: durable on the local sinks in sync mode, queued in async mode.
   * Rejects when the local write failed; the caller must then not release the answer.
   */
  commit(status: number): Promise<void> {
    if (this.committed) return this.committed;
    const r = this.rec;
    r.status ||= status;
    r.duration_ms = Date.now() - this.start;
    if (r.error_code === HTTP_ERRORS.UPSTREAM_TIMEOUT.rpcCode) {
      r.outcome = 'timeout';
      if (this.forwarded) r.upstream_state = 'unknown';
    } else if (r.outcome === 'ok' && r.status >= 400) r.outcome = 'error';
    this.committed = this.auditor.record(r);
    return this.committed;
  }

  /** An allowed tools/call: past the policy, on its way to (or at) the upstream. */
  private get forwarded(): boolean {
    return this.rec.method === 'tools/call' && this.rec.decision === 'allow';
  }

  /**
   * For a tools/call answer about to be released: in written/durable mode, the commit the
   * answer waits for (its record in the log); in async mode nothing to wait for, the record is
   * committed now and sealed after the answer went out.
   */
  hold(status: number): Promise<void> | undefined {
    if (this.auditor.holdsAnswers) return this.commit(status);
    this.settle(status);
    return undefined;
  }

  /** The response closed: commits when nothing did before. A response that closed before it
   *  was completely written lost its client (HTTP status 499, nginx's "client closed
   *  request"). */
  closed(res: ServerResponse): void {
    if (this.committed) return;
    if (!res.writableFinished && this.rec.outcome === 'ok') {
      this.rec.outcome = 'client_gone';
      this.rec.status = CLIENT_CLOSED_REQUEST;
      if (this.forwarded) this.rec.upstream_state = 'unknown';
    }
    this.settle(res.statusCode);
  }

  /** Commits on response close, when nothing did before. The answer is already gone, so a
   * failure can only be logged (loudly: the audit trail has a hole). */
  settle(status: number): void {
    if (this.committed) return;
    this.commit(status).catch((e: unknown) =>
      this.log.error(
        { err: e, request_id: this.rec.request_id, route: this.rec.route },
        'audit record could not be written',
      ),
    );
  }
}

const CLIENT_CLOSED_REQUEST = 499;

/** Result fields of a record, from a CallToolResult (the audit module summarizes it). */
export function applyResult(rec: AuditRecord, result: unknown): void {
  rec.result_value = result;
  if ((result as { isError?: unknown } | null)?.isError === true) rec.outcome = 'tool_error';
}

/**
 * An answer as the client is shown it: the tool result it carries — a tools/call's, or the one
 * a completed task inlines (tasks/get, SEP-2663) — through `auditor.clientResult` (redacted
 * when `audit.redaction.results_to_client`). Every exit that writes such an answer, on every
 * route and era, calls this; the record keeps the result as the upstream gave it (the audit
 * module redacts it there). Answers that carry no tool result are returned unchanged: a
 * CreateTaskResult, an `input_required` round, any other method's.
 */
export function redactForClient<T>(
  auditor: Pick<Auditor, 'clientResult'>,
  method: string | undefined,
  result: T,
): T {
  const r = result as { resultType?: unknown; result?: unknown } | null | undefined;
  if (method === 'tools/call')
    return r?.resultType === 'task' || r?.resultType === 'input_required'
      ? result
      : auditor.clientResult(result);
  if (method !== undefined && TASK_METHODS.has(method) && taskToolResult(result) !== undefined)
    return { ...r, result: auditor.clientResult(r!.result) } as T;
  return result;
}
