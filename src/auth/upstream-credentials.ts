// Credentials the gateway presents to an upstream. The client's token is never forwarded (MCP
// authorization spec, "token passthrough" is forbidden): each upstream gets static headers, a
// client-credentials token (RFC 6749 §4.4) bound to the upstream with `resource` (RFC 8707), or a
// token-exchange token (RFC 8693). Tokens are cached until shortly before expiry and fetched
// single-flight, so a burst of calls makes one token request.

import { WardenError, UserInputError } from '../errors/index.ts';
import { tokenHash } from './token-cache.ts';

interface TokenClientConfig {
  token_endpoint: string;
  client_id: string;
  client_secret: string;
  /** RFC 8707 resource indicator: the upstream's URL. */
  resource: string;
  scope?: string;
  audience?: string;
  auth_method?: 'client_secret_basic' | 'client_secret_post';
  /** Refresh this long before expiry (capped at half the lifetime); default 30. */
  refresh_before_s?: number;
}

export type UpstreamAuthConfig =
  | { type: 'headers'; headers: Record<string, string> }
  | ({ type: 'client_credentials' } & TokenClientConfig)
  | ({
      type: 'token_exchange';
      /** A fixed subject token (`${VAR}`), or `inbound`: the caller passes the end user's token
       * to `headers({ subjectToken })` so the upstream sees a token minted for it alone. */
      subject_token: string;
      subject_token_type?: string;
      actor_token?: string;
      actor_token_type?: string;
      requested_token_type?: string;
    } & TokenClientConfig);

export interface UpstreamCredentials {
  headers(ctx?: { subjectToken?: string }): Promise<Record<string, string>>;
}

export interface UpstreamCredentialOptions {
  env?: Record<string, string | undefined>;
  now?: () => number;
  timeoutMs?: number;
  /** Key path for error messages, e.g. `upstreams[2].auth`. */
  where?: string;
}

const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';
const MAX_PER_USER_TOKENS = 1000;

/** `${VAR}` from the environment; an unset variable is a configuration error, not "". */
export function expandEnv(
  value: string,
  env: Record<string, string | undefined>,
  where: string,
): string {
  return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
    const v = env[name];
    if (v === undefined)
      throw new UserInputError('AUTH_ENV_MISSING', `environment variable ${name} is not set`, {
        where,
      });
    return v;
  });
}

export function createUpstreamCredentials(
  cfg: UpstreamAuthConfig,
  opts: UpstreamCredentialOptions = {},
): UpstreamCredentials {
  const env = opts.env ?? process.env;
  const where = opts.where ?? 'auth';
  if (cfg.type === 'headers') {
    const fixed: Record<string, string> = {};
    for (const [k, v] of Object.entries(cfg.headers))
      fixed[k.toLowerCase()] = expandEnv(v, env, `${where}.headers.${k}`);
    return { headers: async () => ({ ...fixed }) };
  }
  const x = (k: keyof TokenClientConfig): string | undefined => {
    const v = cfg[k];
    return typeof v === 'string' ? expandEnv(v, env, `${where}.${k}`) : undefined;
  };
  const client = {
    endpoint: x('token_endpoint') as string,
    id: x('client_id') as string,
    secret: x('client_secret') as string,
    method: cfg.auth_method ?? 'client_secret_basic',
  };
  for (const k of ['token_endpoint', 'client_id', 'client_secret', 'resource'] as const)
    if (!cfg[k])
      throw new UserInputError('AUTH_CONFIG_INVALID', 'required key is missing', {
        where: `${where}.${k}`,
      });
  const now = opts.now ?? Date.now;
  const refreshBeforeMs = (cfg.refresh_before_s ?? 30) * 1000;
  const timeoutMs = opts.timeoutMs ?? 5000;

  const baseForm: Record<string, string> = { resource: x('resource') as string };
  if (cfg.scope) baseForm.scope = x('scope') as string;
  if (cfg.audience) baseForm.audience = x('audience') as string;
  let fixedSubject: string | undefined;
  if (cfg.type === 'client_credentials') baseForm.grant_type = 'client_credentials';
  else {
    baseForm.grant_type = 'urn:ietf:params:oauth:grant-type:token-exchange';
    baseForm.subject_token_type = cfg.subject_token_type ?? ACCESS_TOKEN_TYPE;
    baseForm.requested_token_type = cfg.requested_token_type ?? ACCESS_TOKEN_TYPE;
    if (cfg.actor_token) {
      baseForm.actor_token = expandEnv(cfg.actor_token, env, `${where}.actor_token`);
      baseForm.actor_token_type = cfg.actor_token_type ?? ACCESS_TOKEN_TYPE;
    }
    if (cfg.subject_token !== 'inbound')
      fixedSubject = expandEnv(cfg.subject_token, env, `${where}.subject_token`);
  }

  interface Held {
    token: string;
    expiresAtMs: number;
    refreshAtMs: number;
  }
  const held = new Map<string, Held>();
  const pending = new Map<string, Promise<Held>>();

  async function fetchToken(subjectToken: string | undefined): Promise<Held> {
    const form = new URLSearchParams(baseForm);
    if (subjectToken !== undefined) form.set('subject_token', subjectToken);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (client.method === 'client_secret_post') {
      form.set('client_id', client.id);
      form.set('client_secret', client.secret);
    } else {
      const enc = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');
      headers.authorization = `Basic ${Buffer.from(`${enc(client.id)}:${enc(client.secret)}`).toString('base64')}`;
    }
    const started = now();
    let res: Response;
    let body: Record<string, unknown>;
    try {
      res = await fetch(client.endpoint, {
        method: 'POST',
        headers,
        body: form,
        signal: AbortSignal.timeout(timeoutMs),
        // A 307/308 would resend the client secret to wherever it points: never followed.
        redirect: 'error',
      });
      body = (await res.json()) as Record<string, unknown>;
    } catch (e) {
      throw failed(`token endpoint ${client.endpoint} unreachable or not JSON`, e);
    }
    if (res.status !== 200 || typeof body?.access_token !== 'string') {
      const err = typeof body?.error === 'string' ? `: ${body.error}` : '';
      throw failed(`token endpoint answered ${res.status}${err}`);
    }
    // RFC 6749 §7.1: we only know how to present bearer tokens.
    if (typeof body.token_type !== 'string' || body.token_type.toLowerCase() !== 'bearer')
      throw failed(
        `token endpoint issued token_type ${JSON.stringify(body.token_type)}, not Bearer`,
      );
    // RFC 6749 §5.1: expires_in is RECOMMENDED; without it, reuse for a minute only.
    const lifeMs =
      typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : 60_000;
    return {
      token: body.access_token,
      expiresAtMs: started + lifeMs,
      refreshAtMs: started + lifeMs - Math.min(refreshBeforeMs, lifeMs / 2),
    };
  }

  const failed = (message: string, cause?: unknown): WardenError =>
    new WardenError('UPSTREAM_AUTH_FAILED', `${where}: ${message}`, { status: 502, cause });

  return {
    async headers(ctx) {
      let subjectToken = fixedSubject;
      if (cfg.type === 'token_exchange' && subjectToken === undefined) {
        subjectToken = ctx?.subjectToken;
        if (!subjectToken) throw failed('token exchange needs the inbound subject token');
      }
      const key = subjectToken === undefined || fixedSubject ? '' : tokenHash(subjectToken);
      const current = held.get(key);
      const t = now();
      if (current && t < current.refreshAtMs) return { authorization: `Bearer ${current.token}` };
      let p = pending.get(key);
      if (!p) {
        p = fetchToken(subjectToken).finally(() => pending.delete(key));
        pending.set(key, p);
      }
      try {
        const fresh = await p;
        held.delete(key);
        held.set(key, fresh);
        if (held.size > MAX_PER_USER_TOKENS) held.delete(held.keys().next().value as string);
        return { authorization: `Bearer ${fresh.token}` };
      } catch (e) {
        // A refresh that fails while the old token is still valid is not an outage yet.
        if (current && now() < current.expiresAtMs)
          return { authorization: `Bearer ${current.token}` };
        throw e;
      }
    },
  };
}
