// Loads warden.yaml: parse → ${VAR} expansion → shape check → defaults → cross-field checks.
// Every failure is a UserInputError whose `where` names the file and key path.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { parseAuditConfig } from '../audit/index.ts';
import { UserInputError, isWardenError } from '../errors/index.ts';
import { parseTelemetryConfig } from '../telemetry/config.ts';
import {
  CONFIG_SHAPE,
  UPSTREAM_NAME,
  check,
  type UpstreamConfig,
  type WardenConfig,
} from './schema.ts';

/** Scope a tool needs when neither config, manifest nor upstream says otherwise. */
export const DEFAULT_TOOL_SCOPE = 'mcp:tools:call';
export const DEFAULT_TIMEOUT_MS = 30_000;
/** 32 MiB: room for images and embedded resources, not for an upstream exhausting memory. */
export const DEFAULT_MAX_ANSWER_BYTES = 32 << 20;

type Raw = Record<string, any>;

/** `${VAR}` in any string value is replaced from `env`; a missing variable is an error. */
export function expandEnv(value: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined)
        throw new UserInputError('CONFIG_ENV_MISSING', `environment variable ${name} is not set`, {
          where: path || '(root)',
        });
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => expandEnv(v, env, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    const out: Raw = {};
    for (const [k, v] of Object.entries(value))
      out[k] = expandEnv(v, env, path ? `${path}.${k}` : k);
    return out;
  }
  return value;
}

/** Validates an already-parsed document and fills in defaults. */
export function buildConfig(
  doc: unknown,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
): WardenConfig {
  const raw = (expandEnv(doc ?? {}, env) ?? {}) as Raw;
  check(CONFIG_SHAPE, raw);
  const limits = raw.limits ?? {};
  const timeout = limits.upstream_timeout_ms ?? DEFAULT_TIMEOUT_MS;
  const maxAnswer = limits.max_answer_bytes ?? DEFAULT_MAX_ANSWER_BYTES;
  const seen = new Set<string>();
  const upstreams: UpstreamConfig[] = (raw.upstreams ?? []).map((u: Raw, i: number) => {
    const where = `upstreams[${i}]`;
    if (!UPSTREAM_NAME.test(u.name))
      throw new UserInputError('CONFIG_INVALID', 'invalid name', { where });
    if (seen.has(u.name))
      throw new UserInputError('CONFIG_INVALID', `duplicate upstream name ${u.name}`, {
        where: `${where}.name`,
      });
    seen.add(u.name);
    if ((u.url === undefined) === (u.command === undefined))
      throw new UserInputError(
        'CONFIG_INVALID',
        'exactly one of url (HTTP) or command (stdio) is required',
        {
          where,
        },
      );
    return {
      name: u.name,
      url: u.url,
      command: u.command,
      args: u.args ?? [],
      env: u.env ?? {},
      cwd: u.cwd,
      headers: u.headers ?? {},
      auth: u.auth,
      manifest_url: u.manifest_url,
      timeout_ms: u.timeout_ms ?? timeout,
      max_answer_bytes: u.max_answer_bytes ?? maxAnswer,
      default_scope: u.default_scope ?? DEFAULT_TOOL_SCOPE,
      tools: u.tools ?? {},
      prompts: u.prompts ?? {},
    };
  });
  return {
    listen: { host: raw.listen?.host ?? '127.0.0.1', port: raw.listen?.port ?? 8080 },
    public_url: raw.public_url?.replace(/\/+$/, ''),
    allowed_origins: raw.allowed_origins ?? [],
    auth: {
      ...(raw.auth ?? {}),
      approval: {
        scope: raw.auth?.approval?.scope ?? 'approved:by:human',
        max_age_s: raw.auth?.approval?.max_age_s ?? 300,
      },
      demo: raw.auth?.demo ?? false,
    },
    policy: {
      path: raw.policy?.path ?? 'policies/',
      entrypoint: raw.policy?.entrypoint ?? 'mcp/authz/decision',
      ...(raw.policy?.public_key ? { public_key: raw.policy.public_key } : {}),
      ...(raw.policy?.key_id ? { key_id: raw.policy.key_id } : {}),
      ...(raw.policy?.scope ? { scope: raw.policy.scope } : {}),
      poll_s: raw.policy?.poll_s ?? 60,
      timeout_ms: raw.policy?.timeout_ms ?? 10_000,
      max_bytes: raw.policy?.max_bytes ?? 32 << 20,
      headers: raw.policy?.headers ?? {},
      ...(raw.policy?.shadow ? { shadow: raw.policy.shadow } : {}),
      input_headers: (raw.policy?.input_headers ?? []).map((h: string) => h.toLowerCase()),
    },
    limits: {
      max_payload_bytes: limits.max_payload_bytes ?? 8192,
      max_body_bytes: limits.max_body_bytes ?? 4 * 1024 * 1024,
      tool_name_max_length: limits.tool_name_max_length ?? 64,
      upstream_timeout_ms: timeout,
      max_answer_bytes: maxAnswer,
      shutdown_grace_ms: limits.shutdown_grace_ms ?? 10_000,
    },
    sessions: {
      keys: raw.sessions?.keys ?? [],
      idle_timeout_s: raw.sessions?.idle_timeout_s ?? 3600,
      ttl_s: raw.sessions?.ttl_s ?? 86_400,
      ...(raw.sessions?.advertise_url
        ? { advertise_url: raw.sessions.advertise_url.replace(/\/+$/, '') }
        : {}),
    },
    audit: parseAuditConfig(raw.audit ?? undefined, 'audit'),
    log: { level: raw.log?.level ?? 'info' },
    upstreams,
    registry: raw.registry ?? {},
    ...(raw.telemetry ? { telemetry: parseTelemetryConfig(raw.telemetry, 'telemetry') } : {}),
    source,
  };
}

/** Parses YAML text; syntax errors name file:line:col. */
export function parseConfig(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): WardenConfig {
  const doc = parseDocument(text, { uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    throw new UserInputError('CONFIG_YAML', err.message.split('\n')[0], {
      where: pos ? `${file}:${pos.line}:${pos.col}` : file,
    });
  }
  try {
    return buildConfig(doc.toJS(), file, env);
  } catch (e) {
    if (isWardenError(e) && e.where)
      throw new UserInputError(e.code, e.message, { where: `${file}: ${e.where}` });
    throw e;
  }
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): WardenConfig {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserInputError('CONFIG_UNREADABLE', `cannot read config: ${(e as Error).message}`, {
      where: file,
      cause: e,
    });
  }
  return parseConfig(text, file, env);
}
