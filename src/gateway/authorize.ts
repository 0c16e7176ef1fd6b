// The authorization stage of a tools/call, shared by both routes: scope and human approval
// (src/auth, so the 403 carries the step-up challenge), the registry's holds (a changed or
// flagged tool definition, an excluded tool), the policy decision, then the arguments against
// the tool's inputSchema (MCP 2025-11-25 "Tools" › Error Handling: invalid arguments are a
// protocol error, JSON-RPC -32602 Invalid params). Returns a union, never throws: a denial is
// an answer.

import { bearerChallenge, type ResourceServer, type Subject } from '../auth/index.ts';
import { buildPolicyInput, pickClaims, pickHeaders } from '../policy/input.ts';
import type { WardenConfig } from '../config/schema.ts';
import type { ResolvedTool } from '../upstream/tools.ts';
import type { PolicyDecider } from './policy-port.ts';
import type { PolicyEvaluation } from '../audit/decision-log/event.ts';

export type CallDecision = (
  | { ok: true; reasons: [] }
  | { ok: false; kind: 'step-up'; status: 403; wwwAuthenticate: string; reasons: string[] }
  | { ok: false; kind: 'policy'; reasons: string[] }
  | { ok: false; kind: 'invalid-params'; rpcCode: -32602; path: string; reasons: string[] }
) & {
  /** Revision of the policy bundle that decided, when the policy was consulted: a bundle swap
   *  between the request's start and its decision must not mislabel the audit record. */
  revision?: string;
  /** The evaluation itself (input, result, time), for OPA-format decision logs. */
  policy?: PolicyEvaluation;
};

/** What the Authorizer needs of the registry (src/registry): holds and argument checks. */
export interface CallGuard {
  gate(upstream: string, tool: string): { ok: true } | { ok: false; reason: string };
  /** `gate` for a definition served to a client live (registry/registry.ts observe). */
  observe(
    upstream: string,
    def: Record<string, unknown>,
  ): { ok: true } | { ok: false; reason: string };
  validateArguments(
    upstream: string,
    tool: string,
    args: unknown,
  ): { ok: true } | { ok: false; path: string; message: string };
}

export interface CallContext {
  subject: Subject;
  upstream: string;
  /** Name as the client sent it (exposed name on /mcp). */
  toolName: string;
  tool?: ResolvedTool;
  arguments: unknown;
  route: string;
  /** Canonical resource URI of the route (for the challenge's resource_metadata). */
  resource: string;
  requestId: string | number | null;
  /** HTTP facts of the request (headers as received, the peer address, the MCP era). */
  http?: {
    headers: Record<string, string | string[] | undefined>;
    address?: string;
    era: string;
  };
}

/** Reasons of the shipped policy that a new token can cure: they get the 403 step-up. */
const STEP_UP = [/^missing scope: /, /^destructive tool requires fresh human approval/];
export const isStepUpReason = (r: string): boolean => STEP_UP.some((re) => re.test(r));

export class Authorizer {
  constructor(
    private readonly auth: ResourceServer,
    private readonly policy: PolicyDecider,
    private readonly config: WardenConfig,
    /** The registry; without it (or a part of it) no holds / no argument validation apply. */
    private readonly registry?: Partial<CallGuard>,
  ) {}

  get revision(): string {
    return this.policy.revision;
  }

  /** Decisions carry their evaluation only when something logs them in OPA's format. */
  private get logsDecisions(): boolean {
    const a = this.config.audit as WardenConfig['audit'] | undefined;
    return (
      a !== undefined && (a.decision_logs !== undefined || a.sinks.some((s) => s.format === 'opa'))
    );
  }

  private input(ctx: CallContext) {
    return buildPolicyInput({
      method: 'tools/call',
      upstream: ctx.upstream,
      toolName: ctx.toolName,
      tool: ctx.tool && {
        name: ctx.toolName,
        scope: ctx.tool.scope,
        destructive: ctx.tool.destructive,
        annotations: (ctx.tool.def.annotations ?? {}) as Record<string, unknown>,
      },
      arguments: ctx.arguments,
      subject: ctx.subject,
      now: Date.now(),
      limits: {
        max_payload_bytes: this.config.limits.max_payload_bytes,
        approval_max_age_s: this.config.auth.approval.max_age_s,
        approval_scope: this.config.auth.approval.scope,
      },
      requestId: ctx.requestId,
      route: ctx.route,
      http: {
        era: ctx.http?.era,
        headers: ctx.http && pickHeaders(ctx.http.headers, this.config.policy.input_headers ?? []),
        address: ctx.http?.address,
        claims: pickClaims(ctx.subject.claims, this.config.auth.policy_claims ?? []),
      },
    });
  }

  authorizeCall(ctx: CallContext): CallDecision {
    const seen: { revision?: string; policy?: PolicyEvaluation } = {};
    const d = this.decideCall(ctx, seen);
    return seen.revision === undefined && seen.policy === undefined ? d : { ...d, ...seen };
  }

  private decideCall(
    ctx: CallContext,
    seen: { revision?: string; policy?: PolicyEvaluation },
  ): CallDecision {
    const tool = ctx.tool && !ctx.tool.hidden ? ctx.tool : undefined;
    if (tool) {
      const scopes = this.auth.authorizeScopes(
        ctx.subject,
        { scope: tool.scope, destructive: tool.destructive },
        ctx.resource,
      );
      if (!scopes.ok)
        return {
          ok: false,
          kind: 'step-up',
          status: 403,
          wwwAuthenticate: scopes.wwwAuthenticate,
          reasons: [scopes.description],
        };
      // A held tool is denied whatever the policy says: the operator has not approved what
      // the upstream now claims the tool is.
      const gate = this.registry?.gate?.(ctx.upstream, tool.name);
      if (gate && !gate.ok) return { ok: false, kind: 'policy', reasons: [gate.reason] };
    }
    const input = this.input({ ...ctx, tool });
    const t0 = this.logsDecisions ? process.hrtime.bigint() : 0n;
    const d = this.policy.decide(input);
    if (d.revision !== undefined) seen.revision = d.revision;
    if (this.logsDecisions) {
      const { revision: _r, ...result } = d;
      const eval_ns = Number(process.hrtime.bigint() - t0);
      seen.policy = { path: this.config.policy.entrypoint, input, result, eval_ns };
    }
    // `policy.shadow`: the candidate sees the same input; it never changes this decision.
    this.policy.shadow?.(input, d);
    if (d.allow) {
      // After the policy, so a caller it denies learns nothing about the tool's schema.
      const v = tool && this.registry?.validateArguments?.(ctx.upstream, tool.name, ctx.arguments);
      if (v && !v.ok)
        return {
          ok: false,
          kind: 'invalid-params',
          rpcCode: -32602,
          path: v.path,
          reasons: [`invalid arguments at ${v.path}: ${v.message}`],
        };
      return { ok: true, reasons: [] };
    }
    if (tool && d.reasons.some(isStepUpReason)) {
      // The policy saw a scope or approval problem the auth module's matcher did not (e.g. a
      // stricter hierarchy in Rego): still answer with a step-up challenge naming all scopes.
      const scope = new Set([...ctx.subject.scopes, tool.scope]);
      if (tool.destructive) scope.add(this.config.auth.approval.scope);
      return {
        ok: false,
        kind: 'step-up',
        status: 403,
        reasons: d.reasons,
        wwwAuthenticate: bearerChallenge({
          error: 'insufficient_scope',
          scope: [...scope].filter(Boolean),
          resourceMetadata: this.auth.metadataUrlFor(ctx.resource),
          errorDescription: d.reasons.join('; '),
        }),
      };
    }
    return { ok: false, kind: 'policy', reasons: d.reasons };
  }

  /**
   * Whether `tools/list` shows a tool to this token: the policy allows a call with empty
   * arguments, or objects only that a fresh human approval is missing (approval is a per-call
   * step, not a permission, so the client must see the tool to ask for it).
   */
  visible(
    subject: Subject,
    upstream: string,
    exposedName: string,
    tool: ResolvedTool,
    route: string,
    /** The definition as the upstream served it to this client (drop-in route): compared
     *  with its pin, not only the discovered one (an upstream may serve clients another). */
    live?: Record<string, unknown>,
  ): boolean {
    if (tool.hidden) return false;
    // Held and excluded tools are not listed: a changed definition must not reach a model
    // before an operator approved it.
    const g =
      live && this.registry?.observe
        ? this.registry.observe(upstream, live)
        : this.registry?.gate?.(upstream, tool.name);
    if (g && !g.ok) return false;
    const d = this.policy.decide(
      this.input({
        subject,
        upstream,
        toolName: exposedName,
        tool,
        arguments: {},
        route,
        resource: '',
        requestId: null,
      }),
    );
    return (
      d.allow || d.reasons.every((r) => /^destructive tool requires fresh human approval/.test(r))
    );
  }
}
