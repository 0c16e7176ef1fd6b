// What a config needs beyond its schema before the gateway may bind a port (PRODUCT.md: a
// config it cannot run with exits 2 "before or instead of listening — it never keeps a port
// bound while unable to serve"), and what `warden check` reports: the auth section resolves,
// every upstream's credentials are complete, the files the config names can be read, stdio
// commands exist. `probe` also reaches out: the JWKS is fetched and every upstream discovered.
// Each problem names its key path; the CLI adds the file, line and column.

import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { pino } from 'pino';
import {
  createUpstreamCredentials,
  fetchJwks,
  resolveAuthConfig,
  type AuthConfig,
  type UpstreamAuthConfig,
} from '../auth/index.ts';
import type { WardenConfig } from '../config/schema.ts';
import { isWardenError, UserInputError } from '../errors/index.ts';
import { createSessionSealer } from '../session/seal.ts';
import { Upstream } from '../upstream/upstream.ts';

export interface PreflightProblem {
  /** Key path ("auth.jwks_uri", "upstreams[1].command"). */
  where: string;
  message: string;
  /** The stable error code (default CONFIG_INVALID). */
  code?: string;
}

const problemOf = (where: string, e: unknown): PreflightProblem =>
  isWardenError(e)
    ? { where: e.where ?? where, message: e.message, code: e.code }
    : { where, message: e instanceof Error ? e.message : String(e) };

/** The first problem as the error `serve` fails with; `details.problems` has all of them. */
export function preflightError(problems: PreflightProblem[]): UserInputError {
  const [first] = problems;
  return new UserInputError(first.code ?? 'CONFIG_INVALID', first.message, {
    where: first.where,
    details: { problems },
  });
}

function readable(file: string, where: string, out: PreflightProblem[]): void {
  try {
    accessSync(file, constants.R_OK);
    if (statSync(file).isDirectory()) out.push({ where, message: `${file} is a directory` });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    out.push({
      where,
      message: `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? String(e))}`,
    });
  }
}

/** A stdio command as spawn finds it: a path, or a name on PATH. */
function commandFound(command: string, cwd: string | undefined, env: NodeJS.ProcessEnv): boolean {
  const exec = (p: string) => {
    try {
      accessSync(p, constants.X_OK);
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes('/'))
    return exec(isAbsolute(command) ? command : resolve(cwd ?? '.', command));
  return (env.PATH ?? '').split(delimiter).some((dir) => dir && exec(join(dir, command)));
}

/** Checks that need no network; what `serve` refuses to start with. */
export function preflight(config: WardenConfig): PreflightProblem[] {
  const out: PreflightProblem[] = [];
  try {
    resolveAuthConfig(config.auth as AuthConfig);
  } catch (e) {
    out.push(problemOf('auth', e));
  }
  if (config.sessions.keys.length)
    try {
      createSessionSealer({ keys: config.sessions.keys, ttlS: config.sessions.ttl_s });
    } catch (e) {
      out.push(problemOf('sessions.keys', e));
    }
  config.upstreams.forEach((u, i) => {
    if (!u.auth) return;
    try {
      createUpstreamCredentials(u.auth as unknown as UpstreamAuthConfig, {
        where: `upstreams[${i}].auth`,
      });
    } catch (e) {
      out.push(problemOf(`upstreams[${i}].auth`, e));
    }
  });
  config.audit.sinks.forEach((s, i) => {
    if (s.type !== 'syslog' || !s.tls) return;
    for (const k of ['ca', 'cert', 'key'] as const) {
      const f = s.tls[k];
      if (f) readable(f, `audit.sinks[${i}].tls.${k}`, out);
    }
  });
  const signing = (config.audit as { checkpoints?: { signing_key?: string } }).checkpoints
    ?.signing_key;
  if (signing) readable(signing, 'audit.checkpoints.signing_key', out);
  return out;
}

/** What `warden check` adds to preflight: stdio commands and cwd exist (serve starts without
 *  a broken stdio upstream, /readyz shows it), and with `probe` the network checks. */
export async function checkConfig(
  config: WardenConfig,
  opts: { probe?: boolean; env?: NodeJS.ProcessEnv } = {},
): Promise<PreflightProblem[]> {
  const env = opts.env ?? process.env;
  const out = preflight(config);
  config.upstreams.forEach((u, i) => {
    if (u.cwd) {
      try {
        if (!statSync(u.cwd).isDirectory())
          out.push({ where: `upstreams[${i}].cwd`, message: `${u.cwd} is not a directory` });
      } catch {
        out.push({ where: `upstreams[${i}].cwd`, message: `${u.cwd}: no such directory` });
      }
    }
    if (u.command && !commandFound(u.command, u.cwd, { ...env, ...u.env }))
      out.push({
        where: `upstreams[${i}].command`,
        message: `command not found: ${u.command}`,
      });
  });
  if (!opts.probe || out.length) return out;
  const auth = config.auth;
  if (auth.jwks_uri && !auth.demo) {
    const r = await fetchJwks(auth.jwks_uri, (auth.fetch_timeout_ms as number) ?? 3000);
    if (!r.ok)
      out.push({ where: 'auth.jwks_uri', message: `cannot fetch ${auth.jwks_uri}: ${r.error}` });
  }
  const log = pino({ level: 'silent' });
  await Promise.all(
    config.upstreams.map(async (u, i) => {
      const creds = u.auth
        ? createUpstreamCredentials(u.auth as unknown as UpstreamAuthConfig, {
            where: `upstreams[${i}].auth`,
          })
        : { headers: async () => ({}) };
      const up = new Upstream(u, log, creds);
      try {
        await up.start();
        if (!up.ready)
          out.push({
            where: `upstreams[${i}]`,
            message: `${u.name}: discovery failed: ${up.lastError ?? 'not ready'}`,
          });
      } finally {
        await up.close();
      }
    }),
  );
  return out;
}
