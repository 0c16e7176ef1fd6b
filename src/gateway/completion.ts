// completion/complete on a gateway-served route (MCP 2025-11-25 "Completion"). The reference
// says what is being completed: `ref/prompt` names a prompt by its exposed name, so it goes to
// the prompt's upstream under the upstream's own name; `ref/resource` names a resource template
// (or a URI), so it goes to the upstream that lists that template or owns the URI.

import {
  CompleteRequestSchema,
  CompleteResultSchema,
  ErrorCode,
  McpError,
  type CompleteRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { Upstream } from '../upstream/upstream.ts';
import { upstreamParams, type SessionPort, relayRequest } from './relay.ts';
import { resourceOwner, resourceUpstreams } from './resources.ts';
import type { RouteContext } from './route-context.ts';

type Ref = CompleteRequest['params']['ref'];

/** The upstream a completion goes to, and the reference as that upstream knows it. */
export function completionTarget(
  route: RouteContext,
  ref: Ref,
): { upstream: Upstream; ref: Ref } | undefined {
  // A 2026-07-28 request reaches here unvalidated (no SDK schema in between): a malformed ref
  // is an unknown one, not a crash.
  const r = ref as { type?: unknown; name?: unknown; uri?: unknown } | undefined;
  if (r?.type === 'ref/prompt' && typeof r.name === 'string') {
    const hit = route.index.prompt(r.name);
    return hit && { upstream: hit.upstream, ref: { ...ref, name: hit.prompt.name } as Ref };
  }
  if (r?.type !== 'ref/resource' || typeof r.uri !== 'string' || ref.type !== 'ref/resource')
    return undefined;
  const ups = resourceUpstreams(route);
  const owner =
    ups.find((u) => u.catalog?.resourceTemplates.some((t) => t.uriTemplate === ref.uri)) ??
    resourceOwner(ups, ref.uri);
  return owner && { upstream: owner, ref };
}

/** MCP 2025-11-25 "Completion" result with nothing to suggest. */
const NOTHING = { completion: { values: [], hasMore: false } };

export function installCompletion(session: SessionPort): void {
  session.server.setRequestHandler(CompleteRequestSchema, async (req, extra) => {
    const target = completionTarget(session.route, req.params.ref);
    if (!target) {
      const what = req.params.ref.type === 'ref/prompt' ? 'prompt' : 'resource';
      const id = 'name' in req.params.ref ? req.params.ref.name : req.params.ref.uri;
      throw new McpError(ErrorCode.InvalidParams, `Unknown ${what}: ${id}`);
    }
    const { upstream, ref } = target;
    // The gateway declares `completions` for all its upstreams; one that offers none has no
    // suggestions, which is an answer, not an error.
    if (!upstream.catalog?.capabilities.completions) return NOTHING;
    return relayRequest(
      session,
      upstream,
      extra,
      'completion/complete',
      { ...upstreamParams(req.params), ref },
      CompleteResultSchema,
    );
  });
}
