// What a gateway-served MCP route knows: its upstreams, its name index, who may see which
// tool, and the ledger that joins a handler's result to the audit record of its request.

import type { Subject } from '../auth/index.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { summarizeResult, type AuditRecord } from './audit-hook.ts';
import type { Authorizer } from './authorize.ts';
import { ToolIndex, type IndexedTool } from './tool-index.ts';
import type { Extra } from './relay.ts';

/** Pending audit records of requests being answered inside an MCP session. */
export class Ledger {
  private readonly pending = new Map<string, AuditRecord>();
  private key = (session: string | undefined, id: unknown) =>
    `${session ?? ''}\u0000${JSON.stringify(id)}`;

  open(session: string | undefined, id: unknown, rec: AuditRecord): void {
    this.pending.set(this.key(session, id), rec);
  }

  take(session: string | undefined, id: unknown): AuditRecord | undefined {
    const k = this.key(session, id);
    const rec = this.pending.get(k);
    this.pending.delete(k);
    return rec;
  }

  error(extra: Extra, e: { code?: unknown; message?: string }): void {
    const rec = this.pending.get(this.key(extra.sessionId, extra.requestId));
    if (!rec) return;
    rec.outcome = 'error';
    if (typeof e.code === 'number') rec.error_code = e.code;
    if (e.message) rec.reasons = [...rec.reasons, e.message];
  }

  result(extra: Extra, result: unknown): void {
    const rec = this.pending.get(this.key(extra.sessionId, extra.requestId));
    if (rec) {
      rec.result = summarizeResult(result);
      if (rec.result?.is_error) rec.outcome = 'tool_error';
    }
  }
}

export class RouteContext {
  readonly index: ToolIndex;
  readonly ledger = new Ledger();

  constructor(
    /** "/mcp" or "/u/<name>/mcp". */
    readonly path: string,
    readonly upstreams: Upstream[],
    readonly authorizer: Authorizer,
    opts: { prefix: boolean; maxNameLength: number },
  ) {
    this.index = new ToolIndex(upstreams, opts);
  }

  visibleTools(subject: Subject): IndexedTool[] {
    return [...this.index.allTools()].filter((t) =>
      this.authorizer.visible(subject, t.upstream.name, t.exposed, t.tool, this.path),
    );
  }

  instructions(): string | undefined {
    const parts = this.upstreams
      .map((u) => u.catalog?.instructions && `${u.name}: ${u.catalog.instructions}`)
      .filter(Boolean);
    return parts.length ? parts.join('\n\n') : undefined;
  }
}
