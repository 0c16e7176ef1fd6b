// What a gateway-served MCP route knows: its upstreams, its name index, who may see which
// tool, and the ledger that joins a handler's result to the audit record of its request.

import type { Auditor } from '../audit/index.ts';
import type { GatewayMetrics } from '../metrics/gateway.ts';
import type { Subject } from '../auth/index.ts';
import type { ListKind, Upstream } from '../upstream/upstream.ts';
import { applyResult, type RequestAudit } from './audit-hook.ts';
import type { Authorizer } from './authorize.ts';
import { ToolIndex, type IndexedTool } from './tool-index.ts';
import type { Extra } from './relay.ts';
import { HeldCalls } from './held-calls.ts';
import { createRequestStateSealer, type RequestStateSealer } from '../session/request-state.ts';

/** Audit records of requests being answered inside an MCP session, keyed by session and
 * JSON-RPC id (what an SDK request handler knows about its request). */
export class Ledger {
  private readonly pending = new Map<string, RequestAudit>();
  private key = (session: string | undefined, id: unknown) =>
    `${session ?? ''}\u0000${typeof id === 'string' ? `s${id}` : String(id)}`;

  open(session: string | undefined, id: unknown, audit: RequestAudit): void {
    this.pending.set(this.key(session, id), audit);
  }

  take(session: string | undefined, id: unknown): RequestAudit | undefined {
    const k = this.key(session, id);
    const a = this.pending.get(k);
    this.pending.delete(k);
    return a;
  }

  private get(extra: Extra): RequestAudit | undefined {
    return this.pending.get(this.key(extra.sessionId, extra.requestId));
  }

  error(extra: Extra, e: { code?: unknown; message?: string }): void {
    const a = this.get(extra);
    if (!a || a.done) return;
    a.rec.outcome = 'error';
    if (typeof e.code === 'number') a.rec.error_code = e.code;
    if (e.message) a.rec.error_message = e.message;
  }

  result(extra: Extra, result: unknown): void {
    const a = this.get(extra);
    if (a && !a.done) applyResult(a.rec, result);
  }

  /** Commits the request's record before its answer is returned to the SDK (which writes
   * it): resolves when durable in sync mode. No entry (e.g. inside a batch): nothing to wait. */
  async commit(extra: Extra): Promise<void> {
    await this.get(extra)?.commit(200);
  }
}

export class RouteContext {
  readonly index: ToolIndex;
  readonly ledger = new Ledger();
  /** Seals MCP 2026-07-28 `requestState`s; the runtime sets one keyed by `sessions.keys`. */
  states: RequestStateSealer = createRequestStateSealer({ keys: [] });
  /** Seals the task ids of the tasks extension (task-ids.ts); keyed and timed like sessions. */
  taskIds: RequestStateSealer = createRequestStateSealer({ keys: [], ttlMs: 86_400_000 });
  /** 2025-era upstream calls of 2026-07-28 clients, held across MRTR rounds (held-calls.ts). */
  readonly held = new HeldCalls();
  /** `sessions.advertise_url`: this replica's address in the states of the calls it holds. */
  replica: string | undefined;

  constructor(
    /** "/mcp" or "/u/<name>/mcp". */
    readonly path: string,
    readonly upstreams: Upstream[],
    readonly authorizer: Authorizer,
    opts: { prefix: boolean; maxNameLength: number },
    /** The audit module: records, and what results look like to the client. */
    readonly audit: Auditor,
    readonly metrics: GatewayMetrics,
  ) {
    this.index = new ToolIndex(upstreams, opts);
    this.signatures = this.sign();
  }

  visibleTools(subject: Subject): IndexedTool[] {
    return [...this.index.allTools()].filter((t) =>
      this.authorizer.visible(subject, t.upstream.name, t.exposed, t.tool, this.path),
    );
  }

  /** Listeners of catalog changes (2026-07-28 `subscriptions/listen` streams, modern-listen.ts). */
  readonly listChangedListeners = new Set<(kind: ListKind) => void>();
  private signatures: Record<ListKind, string>;
  /** Called when the gateway shuts down: open listen streams end with their result. */
  readonly closing = new Set<() => void>();

  /**
   * The route's catalog changed: tell the listeners which lists did — the one an upstream's
   * list_changed named, plus any whose content differs from the last time (a re-list after a
   * restart or a poll says nothing about what changed).
   */
  catalogChanged(notice?: ListKind): void {
    const now = this.sign();
    for (const kind of ['tools', 'prompts', 'resources'] as const)
      if (kind === notice || now[kind] !== this.signatures[kind])
        for (const l of this.listChangedListeners) l(kind);
    this.signatures = now;
  }

  private sign(): Record<ListKind, string> {
    return {
      tools: JSON.stringify([...this.index.allTools()].map((t) => [t.exposed, t.tool.def])),
      prompts: JSON.stringify([...this.index.allPrompts()].map((p) => [p.exposed, p.prompt])),
      resources: JSON.stringify(
        this.upstreams.map((u) => [u.catalog?.resources, u.catalog?.resourceTemplates]),
      ),
    };
  }

  instructions(): string | undefined {
    const parts = this.upstreams
      .map((u) => u.catalog?.instructions && `${u.name}: ${u.catalog.instructions}`)
      .filter(Boolean);
    return parts.length ? parts.join('\n\n') : undefined;
  }
}
