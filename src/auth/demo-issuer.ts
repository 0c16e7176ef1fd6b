// Demo token issuer for `warden serve` without a config. NOT FOR PRODUCTION: anyone who can
// reach its token endpoint (loopback only) gets any scope, including the human-approval scope.
// It exists so the embedded demo shows real JWT verification, scopes and step-up challenges
// without an external authorization server. Bound to the gateway's URL it is also a small
// OAuth 2.1 authorization server (demo-oauth.ts), so discovering clients sign in by themselves.

import { randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import {
  exportJWK,
  generateKeyPair,
  importJWK,
  calculateJwkThumbprint,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
} from 'jose';
import type { AuthConfig } from './config.ts';
import { createDemoOAuth } from './demo-oauth.ts';

export const NOT_FOR_PRODUCTION =
  'mcp-warden demo issuer: NOT FOR PRODUCTION (anyone on this host can mint any token)';

export interface DemoIssuerOptions {
  /** `iss` of minted tokens; use the gateway's URL + basePath so clients can find it. */
  issuer?: string;
  /** Persist the signing key here (file demo-issuer-key.json, mode 0600); else a fresh key. */
  dir?: string;
  /** Path prefix of the JWKS and token routes; default "/demo". */
  basePath?: string;
  now?: () => number;
}

export interface MintOptions {
  sub: string;
  scopes: string[];
  /** Adds the approval time claim (`approved_at` = now). Add the approval scope yourself. */
  approved?: boolean;
  /** Explicit approval time (unix s), for demonstrating stale approvals. */
  approvedAt?: number;
  ttlS?: number;
  audience: string | string[];
  /** The `client_id` claim: the registered client's, else the demo's own. */
  clientId?: string;
  /** Claims set verbatim after the others (tests of malformed claims: a string `approved_at`,
   *  null…); a value of `undefined` removes the claim. */
  claims?: Record<string, unknown>;
}

export interface DemoIssuer {
  /** `iss` of its tokens: a URL once bound (bindUrl), the option, or a URN before that. */
  readonly issuer: string;
  /** Makes it the authorization server at `<gatewayUrl><basePath>` (RFC 8414 issuer), unless
   *  an issuer was given as an option. Call before trusting it (authConfig). */
  bindUrl(gatewayUrl: string): void;
  /** Public keys, for `createResourceServer(…, { localJwks })` or serving. */
  readonly jwks: JSONWebKeySet;
  readonly jwksPath: string;
  readonly tokenPath: string;
  /** `auth:` settings that make the resource server trust this issuer. */
  authConfig(extra?: Partial<AuthConfig>): AuthConfig;
  mint(opts: MintOptions): Promise<string>;
  /** Serves GET jwksPath and POST tokenPath; returns false for any other request. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  /** README / startup text: how to get a demo token. */
  helpText(gatewayUrl: string, resource: string, exampleScopes?: string[]): string;
}

const KEY_FILE = 'demo-issuer-key.json';

async function loadOrCreateKey(dir?: string): Promise<JWK> {
  if (dir) {
    try {
      return JSON.parse(await readFile(join(dir, KEY_FILE), 'utf8')) as JWK;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  const full: JWK = { ...jwk, alg: 'ES256', use: 'sig', kid: await calculateJwkThumbprint(jwk) };
  if (dir) {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, KEY_FILE), JSON.stringify(full), { mode: 0o600 });
  }
  return full;
}

export async function createDemoIssuer(opts: DemoIssuerOptions = {}): Promise<DemoIssuer> {
  let issuer = opts.issuer ?? 'urn:mcp-warden:demo-issuer';
  const basePath = (opts.basePath ?? '/demo').replace(/\/$/, '');
  const now = opts.now ?? Date.now;
  const privateJwk = await loadOrCreateKey(opts.dir);
  const key = (await importJWK(privateJwk, 'ES256')) as CryptoKey;
  const { d: _d, ...publicJwk } = privateJwk;
  const jwks: JSONWebKeySet = { keys: [publicJwk] };
  const jwksPath = `${basePath}/jwks.json`;
  const tokenPath = `${basePath}/token`;

  const mint = async (m: MintOptions): Promise<string> => {
    const iat = Math.floor(now() / 1000);
    const claims: Record<string, unknown> = {
      scope: m.scopes.join(' '),
      client_id: m.clientId ?? 'warden-demo',
      demo: NOT_FOR_PRODUCTION,
    };
    if (m.approvedAt !== undefined) claims.approved_at = m.approvedAt;
    else if (m.approved) claims.approved_at = iat;
    for (const [k, v] of Object.entries(m.claims ?? {}))
      if (v === undefined) delete claims[k];
      else claims[k] = v;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: publicJwk.kid })
      .setIssuer(issuer)
      .setSubject(m.sub)
      .setAudience(m.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + (m.ttlS ?? 3600))
      .setJti(randomUUID())
      .sign(key);
  };

  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  const oauth = createDemoOAuth({
    issuer: () => issuer,
    basePath,
    jwksPath,
    tokenPath,
    now,
    mint: (o) => mint({ ...o, ttlS: 3600 }),
  });

  /** The demo's own form: any scope for any resource, for a caller on this host. */
  const mintForm = (f: URLSearchParams, req: IncomingMessage, res: ServerResponse): void => {
    const ip = req.socket.remoteAddress ?? '';
    if (!/^(127\.|::1$|::ffff:127\.)/.test(ip)) {
      send(res, 403, { error: 'access_denied', error_description: 'demo issuer: loopback only' });
      return;
    }
    const resource = f.get('resource');
    if (!resource) {
      send(res, 400, { error: 'invalid_target', error_description: 'resource is required' });
      return;
    }
    const scopes = (f.get('scope') ?? '').split(' ').filter(Boolean);
    const ttlS = Math.min(Math.max(Number(f.get('ttl')) || 3600, 1), 86_400);
    mint({
      sub: f.get('sub') || 'demo-user',
      scopes,
      approved: f.get('approved') === 'true' || f.get('approved') === '1',
      ttlS,
      audience: resource,
    }).then(
      (token) =>
        send(res, 200, {
          access_token: token,
          token_type: 'Bearer',
          expires_in: ttlS,
          scope: scopes.join(' '),
          warning: NOT_FOR_PRODUCTION,
        }),
      () => send(res, 500, { error: 'server_error' }),
    );
  };

  const handle = (req: IncomingMessage, res: ServerResponse): boolean => {
    const path = (req.url ?? '').split('?')[0];
    if (path === jwksPath && req.method === 'GET') {
      send(res, 200, jwks);
      return true;
    }
    if (oauth.handle(req, res, path)) return true;
    if (path !== tokenPath || req.method !== 'POST') return false;
    oauth.readBody(req).then(
      async (raw) => {
        const f = new URLSearchParams(raw);
        if (!(await oauth.grant(f, res))) mintForm(f, req, res);
      },
      () => send(res, 400, { error: 'invalid_request', error_description: 'unreadable body' }),
    );
    return true;
  };

  return {
    get issuer() {
      return issuer;
    },
    bindUrl(gatewayUrl) {
      if (opts.issuer === undefined) issuer = `${gatewayUrl.replace(/\/$/, '')}${basePath}`;
    },
    jwks,
    jwksPath,
    tokenPath,
    authConfig: (extra = {}) => ({ ...extra, issuer, demo: true }),
    mint,
    handle,
    helpText(gatewayUrl, resource, exampleScopes = ['tickets:read']) {
      const base = gatewayUrl.replace(/\/$/, '');
      return [
        `Demo token issuer at ${base}${basePath} — ${NOT_FOR_PRODUCTION}.`,
        'Get a token (loopback only):',
        `  curl -s ${base}${tokenPath} -d resource=${resource} -d 'scope=${exampleScopes.join(' ')}'`,
        'For a destructive tool, add the approval scope and approval time:',
        `  curl -s ${base}${tokenPath} -d resource=${resource} -d 'scope=${[...exampleScopes, 'approved:by:human'].join(' ')}' -d approved=true`,
        'Then call the gateway with: Authorization: Bearer <access_token>',
        `MCP clients that discover OAuth (the MCP Inspector, mcp-remote) sign in by themselves: it is also an authorization server at ${issuer}.`,
      ].join('\n');
    },
  };
}
