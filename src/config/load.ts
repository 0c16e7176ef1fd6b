// Loads warden.yaml: parse → ${VAR} expansion → JSON Schema check (validate.ts) → defaults →
// cross-field checks. Every failure is a UserInputError whose `where` names the file, the line
// and column of the key, and its key path.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { parseAuditConfig } from '../audit/index.ts';
import { UserInputError, isWardenError } from '../errors/index.ts';
import { parseTelemetryConfig } from '../telemetry/config.ts';
import type { UpstreamConfig, WardenConfig } from './schema.ts';
import {
  ConfigInvalidError,
  locate,
  schemaProblems,
  whereOf,
  type ConfigSource,
} from './validate.ts';

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

/** An empty YAML key (`port:`) means "use the default", as if it were not written. */
function dropNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(dropNulls);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([k, v]) => [k, dropNulls(v)]),
    );
  return value;
}

/** Validates an already-parsed document and fills in defaults. `yaml`: its source text's
 *  document, to name lines and columns in errors. */
export function buildConfig(
  doc: unknown,
  source: string,
  env: NodeJS.ProcessEnv = process.env,
  yaml?: ConfigSource,
): WardenConfig {
  const raw = dropNulls(expandEnv(doc ?? {}, env) ?? {}) as Raw;
  const problems = schemaProblems(raw, yaml);
  if (problems.length) throw new ConfigInvalidError(problems, yaml ? source : undefined);
  const limits = raw.limits ?? {};
  const timeout = limits.upstream_timeout_ms ?? DEFAULT_TIMEOUT_MS;
  const maxAnswer = limits.max_answer_bytes ?? DEFAULT_MAX_ANSWER_BYTES;
  const seen = new Set<string>();
  const upstreams: UpstreamConfig[] = (raw.upstreams ?? []).map((u: Raw, i: number) => {
    const where = `upstreams[${i}]`;
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
    if (u.url !== undefined)
      for (const k of ['isolation', 'max_children', 'child_idle_s'])
        if (u[k] !== undefined)
          throw new UserInputError('CONFIG_INVALID', `${k} applies to stdio upstreams (command)`, {
            where: `${where}.${k}`,
          });
    return {
      name: u.name,
      url: u.url,
      command: u.command,
      args: u.args ?? [],
      env: u.env ?? {},
      cwd: u.cwd,
      headers: u.headers ?? {},
      forward_headers: u.forward_headers ?? [],
      auth: u.auth,
      manifest_url: u.manifest_url,
      timeout_ms: u.timeout_ms ?? timeout,
      max_answer_bytes: u.max_answer_bytes ?? maxAnswer,
      default_scope: u.default_scope ?? DEFAULT_TOOL_SCOPE,
      tools: u.tools ?? {},
      prompts: u.prompts ?? {},
      required: u.required ?? false,
      ...(u.command !== undefined
        ? {
            isolation: u.isolation ?? 'shared',
            max_children: u.max_children ?? 32,
            child_idle_s: u.child_idle_s ?? 300,
          }
        : {}),
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
        ...(raw.auth?.approval?.time_claims ? { time_claims: raw.auth.approval.time_claims } : {}),
      },
      demo: raw.auth?.demo ?? false,
    },
    policy: {
      path: raw.policy?.path ?? 'policies/',
      entrypoint: raw.policy?.entrypoint ?? 'mcp/authz/decision',
      ...(raw.policy?.rego_version ? { rego_version: raw.policy.rego_version } : {}),
      ...(raw.policy?.public_key ? { public_key: raw.policy.public_key } : {}),
      ...(raw.policy?.key_id ? { key_id: raw.policy.key_id } : {}),
      ...(raw.policy?.scope ? { scope: raw.policy.scope } : {}),
      poll_s: raw.policy?.poll_s ?? 60,
      timeout_ms: raw.policy?.timeout_ms ?? 10_000,
      max_bytes: raw.policy?.max_bytes ?? 32 << 20,
      headers: raw.policy?.headers ?? {},
      watch: raw.policy?.watch ?? true,
      ...(raw.policy?.shadow ? { shadow: raw.policy.shadow } : {}),
      input_headers: (raw.policy?.input_headers ?? []).map((h: string) => h.toLowerCase()),
    },
    limits: {
      max_payload_bytes: limits.max_payload_bytes ?? 8192,
      max_body_bytes: limits.max_body_bytes ?? 4 * 1024 * 1024,
      body_timeout_ms: limits.body_timeout_ms ?? 10_000,
      tool_name_max_length: limits.tool_name_max_length ?? 64,
      upstream_timeout_ms: timeout,
      max_answer_bytes: maxAnswer,
      shutdown_grace_ms: limits.shutdown_grace_ms ?? 10_000,
      max_sessions_per_subject: limits.max_sessions_per_subject ?? 64,
    },
    sessions: {
      keys: raw.sessions?.keys ?? [],
      idle_timeout_s: raw.sessions?.idle_timeout_s ?? 3600,
      ttl_s: raw.sessions?.ttl_s ?? 86_400,
      ...(raw.sessions?.advertise_url
        ? { advertise_url: raw.sessions.advertise_url.replace(/\/+$/, '') }
        : {}),
    },
    audit: parseAuditConfig(raw.audit ?? undefined, 'audit', raw.decision_logs ?? undefined),
    log: {
      level: raw.log?.level ?? 'info',
      ...(raw.log?.format ? { format: raw.log.format } : {}),
    },
    upstreams,
    registry: raw.registry ?? {},
    ...telemetryOf(raw.telemetry, env),
    source,
  };
}

function telemetryOf(raw: unknown, env: NodeJS.ProcessEnv): Pick<WardenConfig, 'telemetry'> {
  const telemetry = parseTelemetryConfig(raw, 'telemetry', env);
  return telemetry ? { telemetry } : {};
}

/** "upstreams[1].tools[\"a.b\"]" → ["upstreams", 1, "tools", "a.b"] (keyPath's inverse). */
function parseKeyPath(path: string): Array<string | number> {
  const out: Array<string | number> = [];
  const re = /([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/gy;
  let m: RegExpExecArray | null;
  let end = 0;
  while ((m = re.exec(path))) {
    out.push(m[1] ?? (m[2] !== undefined ? Number(m[2]) : (JSON.parse(m[3]) as string)));
    if (path[re.lastIndex] === '.') re.lastIndex++;
    end = re.lastIndex;
  }
  return end === path.length ? out : [];
}

/** The YAML document and line index of a config text; syntax errors name file:line:col. */
export function parseYaml(text: string, file: string): ConfigSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, lineCounter: lines });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0];
    throw new UserInputError('CONFIG_YAML', err.message.split('\n')[0], {
      where: pos ? `${file}:${pos.line}:${pos.col}` : file,
    });
  }
  return { doc, lines };
}

/** "file:line:col: key.path" for a key path of the config in `src` (file alone when the path
 *  is not in the text). */
export function locateKeyPath(src: ConfigSource, file: string, where: string): string {
  const segs = parseKeyPath(where);
  return whereOf(file, { path: where, ...(segs.length ? locate(src, segs) : undefined) });
}

/** The same for a config file read again (the error path of `serve`: only then is the text
 *  needed); `where` unchanged when the file cannot be read or parsed any more. */
export function locateInFile(file: string, where: string): string {
  try {
    return locateKeyPath(parseYaml(readFileSync(file, 'utf8'), file), file, where);
  } catch {
    return `${file}: ${where}`;
  }
}

/** Parses YAML text; every error names file:line:col and the key path. */
export function parseConfig(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): WardenConfig {
  const src = parseYaml(text, file);
  try {
    return buildConfig(src.doc.toJS(), file, env, src);
  } catch (e) {
    // Checks past the schema (cross-field, env, audit semantics) name a key path: point it at
    // its line too.
    if (isWardenError(e) && e.where && !(e instanceof ConfigInvalidError)) {
      throw new UserInputError(e.code, e.message, {
        where: locateKeyPath(src, file, e.where),
        cause: e,
      });
    }
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
