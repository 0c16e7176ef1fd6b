// JSON-RPC batches from MCP 2025-03-26 clients (the only revision that allowed them). Every
// tools/call in the batch is authorized before anything is forwarded; if any is denied, the
// whole batch is refused (a partly forwarded batch would need the gateway to merge its own
// errors into the upstream's answer stream). Records are written when the batch's response
// closes (a batch answer is not held for them, unlike a single tools/call). A scope or approval denial makes the refusal a
// 403 step-up; otherwise the answer is a batch of JSON-RPC errors carrying the reasons.
// Every element was classified by its method when it was parsed (transport/message.ts): a
// request method without an id, or with a null one, never gets this far.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Subject } from '../auth/index.ts';
import { isRequest, type JsonRpcMessage } from '../transport/body.ts';
import { HTTP_ERRORS } from '../transport/errors.ts';
import { RequestAudit, type AuditRecord } from './audit-hook.ts';
import type { CallDecision } from './authorize.ts';
import type { McpRoute, StageDeps } from './http-stage.ts';
import type { McpSession } from './mcp-session.ts';

export async function handleBatch(
  deps: StageDeps,
  route: McpRoute,
  req: IncomingMessage,
  res: ServerResponse,
  ctx: {
    msgs: JsonRpcMessage[];
    /** The batch's re-serialization, on the drop-in route (body.ts `serialize`). */
    body?: Buffer;
    subject: Subject;
    resource: string;
    session?: McpSession;
    base: AuditRecord;
    authorize: (m: JsonRpcMessage) => {
      decision: CallDecision;
      upstream: string | null;
      tool: string;
    };
  },
): Promise<void> {
  const start = Date.now();
  const requests = ctx.msgs.filter(isRequest);
  const recs = new Map<JsonRpcMessage, AuditRecord>();
  const denied = new Map<JsonRpcMessage, Exclude<CallDecision, { ok: true }>>();
  for (const m of requests) {
    const rec: AuditRecord = {
      ...ctx.base,
      method: m.method!,
      request_id: m.id ?? null,
      reasons: [],
    };
    if (m.method === 'tools/call') {
      const { decision, upstream, tool } = ctx.authorize(m);
      Object.assign(rec, {
        tool,
        upstream,
        decision: decision.ok ? 'allow' : 'deny',
        reasons: decision.reasons,
        ...(decision.revision ? { policy_revision: decision.revision } : {}),
      });
      rec.arguments = (m.params ?? {}).arguments;
      if (!decision.ok) denied.set(m, decision);
    }
    recs.set(m, rec);
  }
  res.on('close', () => {
    for (const rec of recs.values()) {
      new RequestAudit(deps.audit, rec, start, deps.log).settle(res.statusCode);
    }
  });

  if (denied.size > 0) {
    const stepUp = [...denied.values()].find((d) => d.kind === 'step-up');
    const status = stepUp ? 403 : 200;
    const answers = requests.map((m) => {
      const d = denied.get(m);
      const rec = recs.get(m)!;
      rec.outcome = 'denied';
      rec.status = status;
      if (!d) rec.reasons = ['batch refused: another request in it was denied'];
      const reasons = d ? d.reasons : rec.reasons;
      return {
        jsonrpc: '2.0',
        id: m.id,
        error: {
          code: d?.kind === 'invalid-params' ? -32602 : HTTP_ERRORS.POLICY_DENIED.rpcCode,
          message: `Denied by policy: ${reasons.join('; ')}`,
          data: { reasons },
        },
      };
    });
    const body = JSON.stringify(answers);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      ...(stepUp && stepUp.kind === 'step-up'
        ? { 'www-authenticate': stepUp.wwwAuthenticate }
        : {}),
    });
    res.end(body);
    return;
  }
  if (route.kind === 'served') await route.served.handle(req, res, ctx.msgs, ctx.session!);
  else await route.proxy.forward(req, res, ctx.body, ctx.msgs, ctx.subject, () => undefined);
}
