// The demo issuer as a small, real OAuth 2.1 authorization server, so that MCP clients that
// discover authorization by themselves (the MCP Inspector, mcp-remote, the SDK's auth flow)
// connect to `npm start` with no manual token. NOT FOR PRODUCTION: consent is automatic for
// any browser on this host. What it implements, each as its RFC says:
// - RFC 8414 metadata at `/.well-known/oauth-authorization-server<issuer path>` (§3.1: the
//   well-known segment goes between the host and the issuer's path), also under the OpenID
//   name clients try next;
// - RFC 7591 dynamic client registration (public clients, `token_endpoint_auth_method: none`);
// - the authorization code grant with PKCE S256 only (OAuth 2.1 §4.1, RFC 7636), codes single
//   use and short-lived, redirect URIs matched exactly against the registration;
// - RFC 8707 resource indicators: the token's audience is the `resource` the client named at
//   the authorization request (and repeated at the token request), never something else;
// - refresh tokens, rotated on each use (OAuth 2.1 §4.3.1).

import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface DemoOAuthDeps {
  /** The issuer identifier (an https/http URL once the gateway knows its address). */
  issuer(): string;
  basePath: string;
  jwksPath: string;
  tokenPath: string;
  /** Mints the access token (the demo issuer's signer). */
  mint(o: {
    sub: string;
    scopes: string[];
    approved: boolean;
    audience: string;
    clientId: string;
  }): Promise<string>;
  now(): number;
}

interface Client {
  redirectUris: string[];
  name?: string;
}
interface Grant {
  clientId: string;
  scopes: string[];
  resource: string;
  expires: number;
}
interface Code extends Grant {
  redirectUri: string;
  challenge: string;
}

/** Bounds on what anonymous callers can make the demo keep in memory. */
const MAX_CLIENTS = 1000;
const MAX_GRANTS = 10_000;
const CODE_TTL_MS = 60_000;
const REFRESH_TTL_MS = 24 * 3600_000;
export const DEMO_SUBJECT = 'demo-user';
/** The approval scope: asking for it at consent is the demo's stand-in for a human approving. */
const APPROVAL_SCOPE = 'approved:by:human';

const isLoopback = (ip: string): boolean => /^(127\.|::1$|::ffff:127\.)/.test(ip);
const token = (): string => randomBytes(32).toString('base64url');

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'cache-control': 'no-store',
    // Browser-based clients (the Inspector) call metadata, registration and token endpoints
    // cross-origin; none of them uses cookies, so a wildcard exposes nothing.
    'access-control-allow-origin': '*',
  });
  res.end(JSON.stringify(body));
}

const oauthError = (res: ServerResponse, status: number, error: string, d: string): void =>
  json(res, status, { error, error_description: d });

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      raw += c;
      if (raw.length > 16_384) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(raw));
    req.on('error', reject);
  });
}

/** RFC 8252 §7.3/§8.3: native clients redirect to loopback; web clients need https. */
function acceptableRedirect(uri: unknown): uri is string {
  if (typeof uri !== 'string') return false;
  try {
    const u = new URL(uri);
    if (u.hash) return false;
    return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackHost(u.hostname));
  } catch {
    return false;
  }
}
const isLoopbackHost = (h: string): boolean =>
  h === 'localhost' || h === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(h);

function bounded<V>(map: Map<string, V>, max: number, key: string, value: V): void {
  if (map.size >= max) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

export function createDemoOAuth(d: DemoOAuthDeps) {
  const clients = new Map<string, Client>();
  const codes = new Map<string, Code>();
  const refreshTokens = new Map<string, Grant>();
  const authorizePath = `${d.basePath}/authorize`;
  const registerPath = `${d.basePath}/register`;

  const metadata = () => {
    const iss = d.issuer();
    const origin = new URL(iss).origin;
    return {
      issuer: iss,
      authorization_endpoint: `${origin}${authorizePath}`,
      token_endpoint: `${origin}${d.tokenPath}`,
      registration_endpoint: `${origin}${registerPath}`,
      jwks_uri: `${origin}${d.jwksPath}`,
      response_types_supported: ['code'],
      grant_types_supported: ['authorization_code', 'refresh_token'],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
      authorization_response_iss_parameter_supported: true,
    };
  };

  /** Paths of the metadata document (RFC 8414 §3.1, and OpenID Connect Discovery's name). */
  const metadataPaths = (): string[] => {
    const path = new URL(d.issuer()).pathname.replace(/\/$/, '');
    return [
      `/.well-known/oauth-authorization-server${path}`,
      `/.well-known/openid-configuration${path}`,
      `${path}/.well-known/oauth-authorization-server`,
      `${path}/.well-known/openid-configuration`,
    ];
  };

  async function register(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      return oauthError(res, 400, 'invalid_client_metadata', 'the body must be a JSON object');
    }
    const uris = doc?.redirect_uris;
    if (!Array.isArray(uris) || uris.length === 0 || !uris.every(acceptableRedirect))
      return oauthError(
        res,
        400,
        'invalid_redirect_uri',
        'redirect_uris: one or more https URLs, or http URLs on loopback (RFC 8252)',
      );
    const id = randomUUID();
    const name = typeof doc.client_name === 'string' ? doc.client_name : undefined;
    bounded(clients, MAX_CLIENTS, id, { redirectUris: uris, name });
    json(res, 201, {
      client_id: id,
      client_id_issued_at: Math.floor(d.now() / 1000),
      redirect_uris: uris,
      ...(name ? { client_name: name } : {}),
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
  }

  /** Consent is automatic: the demo's single user approves whatever a loopback browser asks. */
  function authorize(req: IncomingMessage, res: ServerResponse): void {
    const q = new URL(req.url ?? '/', 'http://x').searchParams;
    const client = clients.get(q.get('client_id') ?? '');
    const redirectUri = q.get('redirect_uri') ?? '';
    // RFC 6749 §4.1.2.1: with an unknown client or a redirect URI that does not match, tell the
    // user and never redirect.
    if (!client) return oauthError(res, 400, 'invalid_client', 'unknown client_id');
    if (!client.redirectUris.includes(redirectUri))
      return oauthError(res, 400, 'invalid_request', 'redirect_uri is not registered');
    const back = (params: Record<string, string>): void => {
      const u = new URL(redirectUri);
      for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
      const state = q.get('state');
      if (state !== null) u.searchParams.set('state', state);
      u.searchParams.set('iss', d.issuer()); // RFC 9207
      res.writeHead(302, { location: u.href, 'cache-control': 'no-store' });
      res.end();
    };
    if (!isLoopback(req.socket.remoteAddress ?? ''))
      return back({ error: 'access_denied', error_description: 'demo issuer: loopback only' });
    if (q.get('response_type') !== 'code')
      return back({ error: 'unsupported_response_type', error_description: 'code only' });
    const challenge = q.get('code_challenge') ?? '';
    if (q.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge))
      return back({ error: 'invalid_request', error_description: 'PKCE S256 is required' });
    const resource = q.get('resource');
    if (!resource)
      return back({ error: 'invalid_target', error_description: 'resource is required' });
    const code = token();
    bounded(codes, MAX_GRANTS, code, {
      clientId: q.get('client_id')!,
      redirectUri,
      challenge,
      scopes: (q.get('scope') ?? '').split(' ').filter(Boolean),
      resource,
      expires: d.now() + CODE_TTL_MS,
    });
    back({ code });
  }

  const issue = async (res: ServerResponse, g: Grant): Promise<void> => {
    const access = await d.mint({
      sub: DEMO_SUBJECT,
      scopes: g.scopes,
      approved: g.scopes.includes(APPROVAL_SCOPE),
      audience: g.resource,
      clientId: g.clientId,
    });
    const refresh = token();
    bounded(refreshTokens, MAX_GRANTS, refresh, { ...g, expires: d.now() + REFRESH_TTL_MS });
    json(res, 200, {
      access_token: access,
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: refresh,
      scope: g.scopes.join(' '),
    });
  };

  /** The token endpoint's OAuth grants; false when the form names none (the demo's mint form). */
  async function grant(f: URLSearchParams, res: ServerResponse): Promise<boolean> {
    const type = f.get('grant_type');
    if (type === null) return false;
    const resource = f.get('resource');
    if (type === 'authorization_code') {
      const c = codes.get(f.get('code') ?? '');
      codes.delete(f.get('code') ?? ''); // single use, whatever happens next
      const verifier = f.get('code_verifier') ?? '';
      if (!c || c.expires < d.now() || c.clientId !== f.get('client_id'))
        oauthError(res, 400, 'invalid_grant', 'unknown, used or expired code');
      else if (c.redirectUri !== f.get('redirect_uri'))
        oauthError(res, 400, 'invalid_grant', 'redirect_uri differs from the authorization');
      else if (createHash('sha256').update(verifier).digest('base64url') !== c.challenge)
        oauthError(res, 400, 'invalid_grant', 'code_verifier does not match (PKCE)');
      else if (resource !== null && resource !== c.resource)
        oauthError(res, 400, 'invalid_target', 'resource differs from the authorization');
      else await issue(res, c);
      return true;
    }
    if (type === 'refresh_token') {
      const t = f.get('refresh_token') ?? '';
      const g = refreshTokens.get(t);
      refreshTokens.delete(t); // rotation: each refresh token is used once
      if (!g || g.expires < d.now() || g.clientId !== f.get('client_id'))
        oauthError(res, 400, 'invalid_grant', 'unknown, used or expired refresh token');
      else if (resource !== null && resource !== g.resource)
        oauthError(res, 400, 'invalid_target', 'resource differs from the authorization');
      else await issue(res, g);
      return true;
    }
    oauthError(res, 400, 'unsupported_grant_type', `grant_type ${type} is not supported`);
    return true;
  }

  /** Serves the authorization server's own paths; false for any other request. */
  function handle(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    if (req.method === 'OPTIONS' && (path === registerPath || path === d.tokenPath)) {
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': 'content-type, authorization, mcp-protocol-version',
        'access-control-max-age': '600',
      });
      res.end();
      return true;
    }
    if (req.method === 'GET' && metadataPaths().includes(path)) {
      json(res, 200, metadata());
      return true;
    }
    if (req.method === 'GET' && path === authorizePath) {
      authorize(req, res);
      return true;
    }
    if (req.method === 'POST' && path === registerPath) {
      register(req, res).catch(() => oauthError(res, 500, 'server_error', 'registration failed'));
      return true;
    }
    return false;
  }

  return { handle, grant, readBody };
}
