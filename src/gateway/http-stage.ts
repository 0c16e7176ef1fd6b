// The request pipeline of an MCP route, as fixed named stages (cf. fastify's lifecycle):
//   checks (method 405, Origin 403, Accept 406) → authenticate (401) → read + parse the body
//   (415, 413, 400 -32700, batch 400) → session (400/404) → authorize tools/call (403 step-up,
//   or a JSON-RPC policy error) → forward (served MCP session, or proxied upstream) → audit.
// Errors from any stage become responses in one place (transport/errors.ts `sendError`).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ResourceServer, Subject } from '../auth/index.ts';
import {
  batchAllowed,
  isRequest,
  parseMessages,
  readBody,
  type JsonRpcMessage,
} from '../transport/body.ts';
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
import { summarizeResult, type AuditHook, type AuditRecord } from './audit-hook.ts';
import type { CallDecision } from './authorize.ts';
import type { DropInProxy } from './dropin-proxy.ts';
import type { RouteContext } from './route-context.ts';
import type { ServedRoute } from './served-route.ts';

export interface StageDeps {
  auth: ResourceServer;
  audit: AuditHook;
  origins: OriginPolicy;
  publicHost?: string;
  maxBodyBytes: number;
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

/** Authorization of one tools/call message on a route (shared by single and batch requests). */
function authorizeOne(route: McpRoute, msg: JsonRpcMessage, subject: Subject, resource: string) {
  const params = msg.params ?? {};
  const name = typeof params.name === 'string' ? params.name : '';
  const hit = lookup(route, name);
  const upstream = hit?.upstream.name ?? route.upstream;
  const decision = route.ctx.authorizer.authorizeCall({
    subject,
    upstream: upstream ?? '',
    toolName: name,
    tool: hit?.tool,
    arguments: params.arguments ?? {},
    route: route.ctx.path,
    resource,
    requestId: msg.id ?? null,
  });
  return { decision, upstream, tool: name };
}

function deny(
  res: ServerResponse,
  msg: JsonRpcMessage,
  d: Exclude<CallDecision, { ok: true }>,
): number {
  const reasons = d.reasons;
  const message = `Denied by policy: ${reasons.join('; ')}`;
  const e =
    d.kind === 'step-up'
      ? httpError('INSUFFICIENT_SCOPE', message, { reasons })
      : httpError('POLICY_DENIED', message, { reasons });
  sendError(
    res,
    e,
    msg.id ?? null,
    d.kind === 'step-up' ? { 'www-authenticate': d.wwwAuthenticate } : {},
  );
  return e.status;
}

export async function handleMcp(
  deps: StageDeps,
  route: McpRoute,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const start = Date.now();
  const rec = baseRecord(route, req, start, route.ctx.authorizer.revision);
  let msg: JsonRpcMessage | undefined;
  let audit = true;
  let ledgerKey: [string | undefined, unknown] | undefined;
  res.on('close', () => {
    // The served route's handler may have added a result summary to the ledger's record.
    const r = (ledgerKey && route.ctx.ledger.take(...ledgerKey)) || rec;
    if (!audit) return;
    r.status ||= res.statusCode;
    r.duration_ms = Date.now() - start;
    if (r.outcome === 'ok' && r.status >= 400) r.outcome = 'error';
    deps.audit.recordRequest(r);
  });
  try {
    checkMethod(req);
    checkOrigin(req, deps.origins, deps.publicHost);
    checkAccept(req);
    const resource = deps.auth.resourceUri(route.ctx.path);
    const a = await deps.auth.authenticate({ headers: req.headers, url: req.url ?? '/' }, resource);
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
    if (req.method === 'POST') {
      checkContentType(req);
      body = await readBody(req, deps.maxBodyBytes);
      const parsed = parseMessages(body, batchAllowed(req.headers['mcp-protocol-version']));
      if (Array.isArray(parsed)) {
        audit = false; // the batch stage writes one record per request in it
        const session =
          route.kind === 'served' ? route.served.sessionFor(req, parsed[0], subject) : undefined;
        if (route.kind === 'proxy') route.proxy.checkSession(req, parsed[0], subject);
        return await handleBatch(deps, route, req, res, {
          msgs: parsed,
          body,
          subject,
          resource,
          session,
          base: { ...rec, session: session?.id },
          authorize: (m) => authorizeOne(route, m, subject, resource),
        });
      }
      msg = parsed;
      rec.method = msg.method ?? 'response';
      rec.request_id = msg.id ?? null;
      // Notifications and client responses are acknowledged (202), not "answered": no record.
      if (!isRequest(msg)) audit = false;
    } else if (req.method === 'GET') audit = false;

    const session =
      route.kind === 'served' ? route.served.sessionFor(req, msg, subject) : undefined;
    if (route.kind === 'proxy') route.proxy.checkSession(req, msg, subject);
    if (session?.id) rec.session = session.id;

    if (msg?.method === 'tools/call' && isRequest(msg)) {
      const { decision: d, upstream, tool } = authorizeOne(route, msg, subject, resource);
      rec.tool = tool;
      rec.upstream = upstream;
      rec.arguments = (msg.params ?? {}).arguments;
      rec.decision = d.ok ? 'allow' : 'deny';
      rec.reasons = d.reasons;
      if (!d.ok) {
        rec.outcome = 'denied';
        rec.status = deny(res, msg, d);
        return;
      }
    }

    if (route.kind === 'served') {
      if (msg && isRequest(msg)) {
        ledgerKey = [session!.id, msg.id];
        route.ctx.ledger.open(session!.id, msg.id, rec);
      }
      await route.served.handle(req, res, msg, session!);
      return;
    }
    await route.proxy.forward(req, res, body, msg, subject, (out) => {
      rec.status = out.status;
      if (out.answer?.error) {
        rec.outcome = 'error';
        rec.error_code = out.answer.error.code;
      } else if (out.answer?.result !== undefined && msg?.method === 'tools/call') {
        rec.result = summarizeResult(out.answer.result);
        if (rec.result?.is_error) rec.outcome = 'tool_error';
      }
    });
  } catch (e) {
    const code = (e as { code?: string }).code;
    rec.outcome = 'error';
    audit = true; // every error answer is recorded, whatever the message was
    if (code && code in HTTP_ERRORS) rec.reasons = [(e as Error).message];
    else deps.log.error({ err: e, route: route.ctx.path }, 'request failed');
    sendError(res, e, msg?.id ?? null);
  }
}
