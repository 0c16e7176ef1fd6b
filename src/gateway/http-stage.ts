// The request pipeline of an MCP route, as fixed named stages (cf. fastify's lifecycle):
//   checks (method 405, Origin 403, Accept 406) → authenticate (401) → read + parse the body
//   (415, 413, 400 -32700, batch 400) → session (400/404) → authorize tools/call (403 step-up,
//   or a JSON-RPC policy error) → admit (audit spool room, 503) → forward (served MCP session,
//   or proxied upstream) → audit (one record per answered request; see audit-hook.ts).
// Errors from any stage become responses in one place (transport/errors.ts `sendError`).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ResourceServer, Subject } from '../auth/index.ts';
import {
  batchAllowed,
  isRequest,
  parseMessages,
  readBody,
  serialize,
  type JsonRpcMessage,
} from '../transport/body.ts';
import { refusedMessageOf } from '../transport/message.ts';
import { handleBatch } from './batch.ts';
import { HTTP_ERRORS, httpError, sendError } from '../transport/errors.ts';
import {
  checkAccept,
  checkContentType,
  checkMethod,
  checkOrigin,
  type OriginPolicy,
} from '../transport/hygiene.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { AuditUnavailableError, type Auditor } from '../audit/index.ts';
import { isWardenError } from '../errors/index.ts';
import type { GatewayMetrics } from '../metrics/gateway.ts';
import { applyResult, RequestAudit, type AuditRecord } from './audit-hook.ts';
import type { CallContext, CallDecision } from './authorize.ts';
import type { DropInProxy } from './dropin-proxy.ts';
import type { RouteContext } from './route-context.ts';
import type { ServedRoute } from './served-route.ts';
import { activeSpan, serverSpan, withSpan } from '../telemetry/index.ts';
import { classify, LEGACY, type Era } from '../transport/era.ts';
import { bindingOf, prepareDropIn, type StateBinding } from './modern-request.ts';
import { prepareTaskRequest, taskToolResult } from './task-ids.ts';
import { checkParamHeaders } from '../transport/param-headers.ts';
import { serveModern } from './modern-route.ts';
import { SpanKind } from '@opentelemetry/api';
import { clientGone } from './log.ts';

export interface StageDeps {
  auth: ResourceServer;
  audit: Auditor;
  metrics: GatewayMetrics;
  origins: OriginPolicy;
  publicHost?: string;
  maxBodyBytes: number;
  /** `limits.body_timeout_ms`: the read deadline of a request body. */
  bodyTimeoutMs?: number;
  log: Logger;
}

export type McpRoute =
  | { kind: 'served'; ctx: RouteContext; served: ServedRoute; upstream: string | null }
  | { kind: 'proxy'; ctx: RouteContext; proxy: DropInProxy; upstream: string };

function baseRecord(
  route: McpRoute,
  req: IncomingMessage,
  start: number,
  revision: string,
): AuditRecord {
  return {
    time: new Date(start).toISOString(),
    request_id: null,
    subject: null,
    client: null,
    route: route.ctx.path,
    upstream: route.upstream,
    method: req.method ?? 'UNKNOWN',
    tool: null,
    decision: 'none',
    reasons: [],
    outcome: 'ok',
    status: 0,
    duration_ms: 0,
    policy_revision: revision,
  };
}

/** The resource URI of a route (RFC 8707 audience): fixed by the public URL and the path, so
 * it is computed once per ResourceServer instead of parsing two URLs per request (issue #4). */
const resources = new WeakMap<ResourceServer, Map<string, string>>();
function resourceOf(auth: ResourceServer, path: string): string {
  let byPath = resources.get(auth);
  if (!byPath) resources.set(auth, (byPath = new Map()));
  let uri = byPath.get(path);
  if (uri === undefined) byPath.set(path, (uri = auth.resourceUri(path)));
  return uri;
}

/** Finds the tool a tools/call names on this route. */
function lookup(
  route: McpRoute,
  name: string,
): { upstream: Upstream; tool?: ReturnType<Upstream['tool']> } | undefined {
  if (route.kind === 'proxy')
    return { upstream: route.proxy.upstream, tool: route.proxy.upstream.tool(name) };
  const hit = route.ctx.index.tool(name);
  if (hit) return { upstream: hit.upstream, tool: hit.tool };
  // Unknown on the aggregated endpoint: the policy still decides (reason "no such tool: T").
  return route.ctx.upstreams.length === 1 ? { upstream: route.ctx.upstreams[0] } : undefined;
}

/** The request facts a policy may see (input.headers, input.client, input.era). */
function httpFacts(req: IncomingMessage, era: Era): CallContext['http'] {
  return {
    headers: req.headers,
    address: req.socket.remoteAddress,
    era: era.era === 'modern' ? era.version : '2025',
  };
}

/** Authorization of one tools/call message on a route (shared by single and batch requests). */
function authorizeOne(
  route: McpRoute,
  msg: JsonRpcMessage,
  subject: Subject,
  resource: string,
  http?: CallContext['http'],
) {
  const params = msg.params ?? {};
  const name = typeof params.name === 'string' ? params.name : '';
  const hit = lookup(route, name);
  const upstream = hit?.upstream.name ?? route.upstream;
  const attrs = { 'mcp.tool': name, 'warden.upstream': upstream ?? '' };
  const decision = withSpan('warden.policy', attrs, (span) => {
    const d = route.ctx.authorizer.authorizeCall({
      subject,
      upstream: upstream ?? '',
      toolName: name,
      tool: hit?.tool,
      arguments: params.arguments ?? {},
      route: route.ctx.path,
      resource,
      requestId: msg.id ?? null,
      http,
    });
    span.setAttributes({ 'warden.decision': d.ok ? 'allow' : 'deny', 'warden.reasons': d.reasons });
    if (d.revision) span.setAttribute('warden.policy_revision', d.revision);
    return d;
  });
  route.ctx.metrics.decision(decision.ok, decision.reasons);
  return { decision, upstream, tool: name };
}

/** The answer to a denied call: the error and its extra headers. */
function denial(d: Exclude<CallDecision, { ok: true }>): {
  error: ReturnType<typeof httpError>;
  headers: Record<string, string>;
} {
  const reasons = d.reasons;
  if (d.kind === 'invalid-params')
    return {
      error: httpError('INVALID_PARAMS', `Invalid params: ${reasons.join('; ')}`, {
        reasons,
        path: d.path,
      }),
      headers: {},
    };
  const message = `Denied by policy: ${reasons.join('; ')}`;
  return d.kind === 'step-up'
    ? {
        error: httpError('INSUFFICIENT_SCOPE', message, { reasons }),
        headers: { 'www-authenticate': d.wwwAuthenticate },
      }
    : { error: httpError('POLICY_DENIED', message, { reasons }), headers: {} };
}

/** The audit module's 503 as an entry of the transport error table (with Retry-After). */
async function admit(auditor: Auditor): Promise<void> {
  try {
    await auditor.admit();
  } catch (e) {
    if (e instanceof AuditUnavailableError)
      throw httpError('AUDIT_UNAVAILABLE', e.message, e.details as Record<string, unknown>);
    if (isWardenError(e) && e.code === 'AUDIT_CLOSED')
      throw httpError('SHUTTING_DOWN', 'Service Unavailable: shutting down');
    throw e;
  }
}

/** One MCP request, in the trace of the client's `traceparent` (src/telemetry). */
export function handleMcp(
  deps: StageDeps,
  route: McpRoute,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const attrs = { 'http.request.method': req.method ?? '', 'warden.route': route.ctx.path };
  return serverSpan(req.headers, attrs, () => stages(deps, route, req, res));
}

async function stages(
  deps: StageDeps,
  route: McpRoute,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const start = Date.now();
  const rec = baseRecord(route, req, start, route.ctx.authorizer.revision);
  const audit = new RequestAudit(deps.audit, rec, start, deps.log);
  let msg: JsonRpcMessage | undefined;
  let recorded = true;
  let ledgerKey: [string | undefined, unknown] | undefined;
  res.on('close', () => {
    if (ledgerKey) route.ctx.ledger.take(...ledgerKey);
    if (recorded) audit.closed(res);
  });
  /** A tools/call answer the gateway writes itself leaves after its record (sync mode). */
  const answerCall = async (status: number, send: () => void): Promise<void> => {
    if (msg?.method === 'tools/call' && recorded) {
      try {
        await audit.commit(status);
      } catch (e) {
        deps.log.error({ err: e, route: route.ctx.path }, 'audit record could not be written');
        return sendError(res, httpError('INTERNAL', 'audit record could not be written'), msg.id);
      }
    }
    send();
  };
  try {
    checkMethod(req);
    checkOrigin(req, deps.origins, deps.publicHost);
    checkAccept(req);
    const resource = resourceOf(deps.auth, route.ctx.path);
    const a = await withSpan('warden.auth', {}, async (span) => {
      const r = await deps.auth.authenticate(
        { headers: req.headers, url: req.url ?? '/' },
        resource,
      );
      span.setAttribute('warden.auth.ok', r.ok);
      if (r.ok) span.setAttribute('enduser.id', r.subject.sub);
      return r;
    });
    if (!a.ok) {
      rec.decision = 'deny';
      rec.reasons = [a.description];
      rec.outcome = 'denied';
      const code =
        a.status === 503
          ? 'AUTH_UNAVAILABLE'
          : a.status === 400
            ? 'INVALID_REQUEST'
            : 'UNAUTHENTICATED';
      const e = httpError(code, a.description);
      return sendError(
        res,
        Object.assign(e, { status: a.status }),
        null,
        a.wwwAuthenticate ? { 'www-authenticate': a.wwwAuthenticate } : {},
      );
    }
    const subject: Subject = a.subject;
    (req as IncomingMessage & { subject?: Subject }).subject = subject;
    rec.subject = subject.sub;
    rec.client = subject.clientId ?? null;

    let body: Buffer | undefined;
    let era: Era = LEGACY;
    if (req.method === 'POST') {
      checkContentType(req);
      body = await readBody(req, deps.maxBodyBytes, deps.bodyTimeoutMs);
      const parsed = parseMessages(body, batchAllowed(req.headers['mcp-protocol-version']));
      // One reading: an upstream gets the message as parsed and checked here, re-serialized,
      // never the client's bytes (which another parser may read otherwise: body.ts).
      body = route.kind === 'proxy' ? serialize(parsed) : undefined;
      // MCP 2026-07-28: era from the body, headers checked against it (400 -32020/-32022).
      if (!Array.isArray(parsed)) {
        // Known before the era checks, so that their refusals are answered and audited with it.
        msg = parsed;
        rec.method = msg.method ?? 'response';
        rec.request_id = msg.id ?? null;
      }
      era = classify(
        req.headers,
        parsed,
        route.kind === 'proxy' ? route.proxy.upstream.supportedVersions : undefined,
      );
      const header = req.headers['mcp-protocol-version'];
      deps.metrics.message(
        route.ctx.path,
        era.era === 'modern' ? era.version : typeof header === 'string' ? header : undefined,
      );
      if (Array.isArray(parsed)) {
        recorded = false; // the batch stage writes one record per request in it
        const session =
          route.kind === 'served' ? route.served.sessionFor(req, parsed[0], subject) : undefined;
        if (route.kind === 'proxy') route.proxy.checkSession(req, parsed[0], subject);
        if (parsed.some(isRequest)) await admit(deps.audit);
        return await handleBatch(deps, route, req, res, {
          msgs: parsed,
          body,
          subject,
          resource,
          session,
          base: { ...rec, session: session?.id },
          authorize: (m) => authorizeOne(route, m, subject, resource, httpFacts(req, era)),
        });
      }
      msg = parsed;
      rec.method = msg.method ?? 'response';
      rec.request_id = msg.id ?? null;
      // Notifications and client responses are acknowledged (202), not "answered": no record.
      if (!isRequest(msg)) recorded = false;
    } else if (req.method === 'GET') recorded = false;

    // 2026-07-28 is stateless: no session to find. The gateway serves it itself on served
    // routes (modern-route.ts) and forwards it on the drop-in route when the upstream speaks it.
    let binding: StateBinding | undefined;
    // 2026-07-28 has no sessions: a session id on such a message is not ours to pass on.
    if (era.era === 'modern' && route.kind === 'proxy') delete req.headers['mcp-session-id'];
    if (era.era === 'modern' && msg && isRequest(msg)) {
      const name = (msg.params as { name?: unknown } | undefined)?.name;
      const hit = typeof name === 'string' ? lookup(route, name) : undefined;
      if (msg.method === 'tools/call')
        checkParamHeaders(req.headers, hit?.tool?.def.inputSchema, msg.params?.arguments);
      if (route.kind === 'proxy') {
        const up = route.proxy.upstream;
        binding = bindingOf(msg, subject, up.name);
        const task = prepareTaskRequest(
          req,
          msg,
          route.ctx.taskIds,
          up.name,
          binding.principal,
          era.capabilities,
        );
        if (task) rec.tool = task.tool ?? null; // the tool whose call created the task
        body = task?.body ?? prepareDropIn(req, msg, body!, route.ctx.states, binding);
      }
    }
    const session =
      route.kind === 'served' && era.era === 'legacy'
        ? route.served.sessionFor(req, msg, subject)
        : undefined;
    if (route.kind === 'proxy' && era.era === 'legacy') route.proxy.checkSession(req, msg, subject);
    if (session?.id) rec.session = session.id;
    const meta = (msg?.params as { _meta?: unknown } | undefined)?._meta;
    if (meta !== undefined) rec.meta = meta; // client-chosen: redacted with the record

    if (msg?.method === 'tools/call' && isRequest(msg)) {
      const {
        decision: d,
        upstream,
        tool,
      } = authorizeOne(route, msg, subject, resource, httpFacts(req, era));
      rec.tool = tool;
      rec.upstream = upstream;
      rec.arguments = (msg.params ?? {}).arguments;
      rec.decision = d.ok ? 'allow' : 'deny';
      if (d.revision) rec.policy_revision = d.revision;
      if (d.policy) rec.policy = d.policy; // for OPA-format decision logs
      rec.reasons = d.reasons;
      activeSpan()?.setAttributes({
        'mcp.tool': tool,
        'warden.upstream': upstream ?? '',
        'warden.decision': rec.decision,
      });
      if (!d.ok) {
        rec.outcome = 'denied';
        const { error, headers } = denial(d);
        const id = msg.id ?? null;
        return await answerCall(error.status, () => sendError(res, error, id, headers));
      }
    }
    // Room in the audit spools for what this request will record (on_full: block waits,
    // reject answers 503).
    if (recorded) await admit(deps.audit);

    if (route.kind === 'served' && era.era === 'modern')
      return await serveModern(route, req, res, msg!, subject, era, audit, deps.log);
    if (route.kind === 'served') {
      if (msg && isRequest(msg)) {
        ledgerKey = [session!.id, msg.id];
        route.ctx.ledger.open(session!.id, msg.id, audit);
      }
      await route.served.handle(req, res, msg, session!);
      return;
    }
    const call = msg?.method === 'tools/call' && recorded;
    const span = {
      'warden.upstream': route.upstream,
      'mcp.method': msg?.method ?? req.method!,
      ...(rec.tool ? { 'mcp.tool': rec.tool } : {}),
    };
    await withSpan(
      'warden.upstream',
      span,
      () =>
        route.proxy.forward(
          req,
          res,
          body,
          msg,
          subject,
          (out) => {
            rec.status = out.status;
            if (out.answer?.error) {
              rec.outcome = 'error';
              rec.error_code = out.answer.error.code;
              if (typeof out.answer.error.message === 'string')
                rec.error_message = out.answer.error.message;
              const data = (out.answer.error as { data?: unknown }).data;
              if (data !== undefined) rec.error_data = data; // upstream-chosen: redacted
            } else if (out.answer?.result !== undefined) {
              // A tools/call's result, or the one a finished task carries (tasks/get).
              const result =
                msg?.method === 'tools/call'
                  ? out.answer.result
                  : taskToolResult(out.answer.result);
              if (result !== undefined) applyResult(rec, result);
            }
            // A tools/call answer is held by the proxy until this resolves (sync mode).
            return call ? audit.hold(out.status) : undefined;
          },
          binding,
        ),
      SpanKind.CLIENT,
    );
  } catch (e) {
    const code = (e as { code?: string }).code;
    rec.outcome = 'error';
    recorded = true; // every error answer is recorded, whatever the message was
    if (isWardenError(e)) rec.error_code = e.rpcCode;
    // A message refused by the checks of its shape (message.ts) is recorded by what it was.
    const refused = msg ? undefined : refusedMessageOf(e);
    if (refused) recordRefused(rec, refused);
    // A call refused before its authorization stage still names its tool.
    if (msg?.method === 'tools/call' && rec.tool === null && typeof msg.params?.name === 'string')
      rec.tool = msg.params.name;
    if (code && code in HTTP_ERRORS) rec.reasons = [(e as Error).message];
    else if (clientGone(req, e))
      deps.log.debug({ err: e, route: route.ctx.path }, 'client went away mid-request');
    else deps.log.error({ err: e, route: route.ctx.path }, 'request failed');
    if (res.headersSent) return sendError(res, e);
    const status = isWardenError(e) ? e.status : 500;
    const id = msg?.id ?? null;
    // A body that did not arrive in time: the rest of it is not waited for on this connection.
    const extra: Record<string, string> =
      code === 'AUDIT_UNAVAILABLE'
        ? { 'retry-after': String(RETRY_AFTER_S) }
        : code === 'BODY_TIMEOUT'
          ? { connection: 'close' }
          : {};
    await answerCall(status, () => sendError(res, e, id, extra));
  }
}

/** The audit fields of a message refused for its shape: its method, id and tool, as sent. */
function recordRefused(rec: AuditRecord, m: Record<string, unknown>): void {
  if (typeof m.method === 'string') rec.method = m.method;
  if (typeof m.id === 'string' || typeof m.id === 'number') rec.request_id = m.id;
  const params = m.params as { name?: unknown } | undefined;
  if (m.method === 'tools/call' && typeof params?.name === 'string') rec.tool = params.name;
}

/** Retry-After of an audit 503: a spool drains in the time a remote sink needs to recover. */
const RETRY_AFTER_S = 1;
