// Path routing of the gateway's HTTP server. MCP routes go through the stage pipeline
// (http-stage.ts); `/registry/…` goes to the registry module when one is plugged in; the rest
// are small documents (JSON, or the Prometheus text of `/metrics`). Unknown upstreams and paths
// are 404 with a JSON-RPC error body so MCP clients show a useful message.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DemoIssuer, JwksStatus, ResourceServer } from '../auth/index.ts';
import { buildManifest } from '../registry/manifest.ts';
import { httpError, sendError, sendJson } from '../transport/errors.ts';
import type { Upstream } from '../upstream/upstream.ts';
import { GATEWAY_INFO } from '../upstream/upstream.ts';
import { CONTENT_TYPE, routeLabel } from '../metrics/gateway.ts';
import type { RemotePolicyStatus } from '../policy/remote.ts';
import { handleMcp, type McpRoute, type StageDeps } from './http-stage.ts';

/** The registry API (PRODUCT.md `/registry/v0.1/servers`, `/registry/tools`), provided by
 * src/registry. `handle` answers and resolves true, or resolves false for a path it does not
 * serve (then the gateway answers 404). */
export interface RegistryHandler {
  handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean>;
}

export interface RouterDeps extends StageDeps {
  aggregate: McpRoute;
  dropIn: Map<string, McpRoute>;
  upstreams: Upstream[];
  auth: ResourceServer;
  demo?: DemoIssuer;
  publicUrl: string;
  /** The active policy revision, read at each request (a remote bundle swaps under us). */
  policyRevision: () => string;
  /** The bundle server's view when `policy.path` is a URL. */
  policyStatus?: () => RemotePolicyStatus;
  draining: () => boolean;
  registry?: RegistryHandler;
  /** Whether the issuer's keys can be fetched; absent: no `auth.jwks_uri` (demo keys, or
   *  introspection only). */
  jwks?: () => JwksStatus;
}

const MANIFEST = '/.well-known/mcp-capabilities';
const PRM = '/.well-known/oauth-protected-resource';

function manifestFor(d: RouterDeps, route: McpRoute) {
  return buildManifest(
    GATEWAY_INFO,
    `${d.publicUrl}${route.ctx.path}`,
    (name) => `${d.publicUrl}/u/${name}/mcp`,
    { tools: route.ctx.index.allTools(), upstreams: route.ctx.upstreams },
  );
}

export function createRouter(d: RouterDeps) {
  const names = new Set(d.upstreams.map((u) => u.name));
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    res.once('close', () =>
      d.metrics.request(
        routeLabel(path, names),
        req.method ?? 'UNKNOWN',
        res.headersSent ? res.statusCode : 0,
      ),
    );
    if (d.draining()) {
      res.setHeader('connection', 'close');
      return sendError(res, httpError('SHUTTING_DOWN', 'Service Unavailable: shutting down'));
    }
    if (path === '/mcp') return handleMcp(d, d.aggregate, req, res);
    const m = /^\/u\/([^/]+)(\/mcp|\/\.well-known\/mcp-capabilities)$/.exec(path);
    if (m) {
      const route = d.dropIn.get(decodeURIComponent(m[1]));
      if (!route) return sendError(res, httpError('UNKNOWN_UPSTREAM', `Unknown upstream: ${m[1]}`));
      if (m[2] === '/mcp') return handleMcp(d, route, req, res);
      return sendJson(res, 200, manifestFor(d, route));
    }
    if (path.startsWith('/registry/')) {
      if (d.registry && (await d.registry.handle(req, res, path))) return;
      return sendError(res, httpError('NOT_FOUND', `Not found: ${path}`));
    }
    if (
      req.method !== 'GET' &&
      req.method !== 'HEAD' &&
      (path.startsWith('/.well-known/') ||
        path === '/healthz' ||
        path === '/readyz' ||
        path === '/metrics')
    )
      return sendError(
        res,
        httpError('METHOD_NOT_ALLOWED', `Method ${req.method} not allowed`),
        null,
        { allow: 'GET' },
      );
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/metrics') {
      const body = await d.metrics.render({
        policyRevision: d.policyRevision(),
        bundle: d.policyStatus?.(),
        audit: d.audit.metrics(),
        upstreams: d.upstreams,
        jwks: d.jwks?.(),
      });
      res.writeHead(200, {
        'content-type': CONTENT_TYPE,
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (path === '/readyz') {
      const ups = d.upstreams.map((u) => ({
        name: u.name,
        kind: u.kind,
        ready: u.ready,
        required: u.config.required === true,
        error: u.lastError,
        process: u.process,
      }));
      const jwks = d.jwks?.();
      // Ready: a policy is loaded (a Runtime exists only with one), the token keys can be
      // fetched (without them every call is a 503), and every `required` upstream is
      // discovered. Other upstreams only show their health: one dead third-party upstream
      // must not take every replica out of its Service. A remote bundle that fails to refresh
      // does not make the gateway unready either: the active bundle keeps deciding (OPA's
      // behaviour too); `policy.lastError` shows the trouble.
      const ready = (jwks?.ok ?? true) && ups.every((u) => u.ready || !u.required);
      return sendJson(res, ready ? 200 : 503, {
        ready,
        policy_revision: d.policyRevision(),
        ...(d.policyStatus ? { policy: d.policyStatus() } : {}),
        ...(jwks ? { auth: { jwks } } : {}),
        upstreams: ups,
      });
    }
    if (path === MANIFEST) return sendJson(res, 200, manifestFor(d, d.aggregate));
    if (path === PRM || path.startsWith(`${PRM}/`)) {
      const doc = d.auth.metadataForPath(path);
      if (doc) return sendJson(res, 200, doc, { 'cache-control': 'max-age=300' });
    }
    if (d.demo?.handle(req, res)) return;
    sendError(res, httpError('NOT_FOUND', `Not found: ${path}`));
  };
}
