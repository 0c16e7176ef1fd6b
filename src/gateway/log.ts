// The gateway's own log (pino): the level and format from, in order, the command line
// (--log-level, --log-format), the environment (WARDEN_LOG_LEVEL, WARDEN_LOG_FORMAT) and
// warden.yaml's `log:`; the level defaults to info, the format to pretty when stderr is a
// terminal and JSON lines otherwise (what log collectors read). Levels are written as their
// names ("level":"warn"), not pino's numbers, so a log query needs no lookup table.

import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { UserInputError } from '../errors/index.ts';

export const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogFormat = 'json' | 'pretty';

export interface LogOptions {
  level: string;
  format: LogFormat;
}

/** Resolves the level and format; a bad flag or variable is a one-line user error. */
export function logOptions(
  config: { level?: string; format?: LogFormat },
  flags: { level?: string; format?: string } = {},
  env: NodeJS.ProcessEnv = process.env,
  tty: boolean = process.stderr.isTTY === true,
): LogOptions {
  const pick = (flag: string | undefined, name: string, allowed: readonly string[]) => {
    const [v, where] =
      flag !== undefined
        ? [flag, `--log-${name}`]
        : [env[`WARDEN_LOG_${name.toUpperCase()}`], `WARDEN_LOG_${name.toUpperCase()}`];
    if (v === undefined || v === '') return undefined;
    if (!allowed.includes(v.toLowerCase()))
      throw new UserInputError(
        'CLI_USAGE',
        `expected one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`,
        { where },
      );
    return v.toLowerCase();
  };
  const level = pick(flags.level, 'level', LEVELS) ?? config.level ?? 'info';
  const format = (pick(flags.format, 'format', ['json', 'pretty']) ??
    config.format ??
    (tty ? 'pretty' : 'json')) as LogFormat;
  return { level, format };
}

const COLORS: Record<string, string> = {
  trace: '\x1b[90m',
  debug: '\x1b[36m',
  info: '\x1b[32m',
  warn: '\x1b[33m',
  error: '\x1b[31m',
  fatal: '\x1b[35m',
};

/** One JSON log line as a terminal line: time, level, component, message, then key=value. */
export function prettyLine(json: string, color = false): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const { time, level, msg, component, pid: _pid, hostname: _host, ...rest } = o;
  const t = typeof time === 'number' ? new Date(time).toISOString().slice(11, 23) : '';
  const lv = String(level ?? '')
    .toUpperCase()
    .padEnd(5);
  const tag = color ? `${COLORS[String(level)] ?? ''}${lv}\x1b[0m` : lv;
  const fields = Object.entries(rest)
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${t} ${tag} ${component ? `[${String(component)}] ` : ''}${String(msg ?? '')}${fields ? ` ${fields}` : ''}\n`;
}

/** The gateway's logger on stderr (or `stream`), as `opts` say. */
export function createLogger(opts: LogOptions, stream?: NodeJS.WritableStream): Logger {
  const base = {
    level: opts.level,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (opts.format === 'json') return pino(base, stream ?? pino.destination(2));
  const out = stream ?? process.stderr;
  const color = !stream && process.stderr.isTTY === true && !process.env.NO_COLOR;
  const pretty = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n'))
        if (line) out.write(prettyLine(line, color));
      done();
    },
  });
  return pino(base, pretty);
}

const GONE = new Set(['ECONNRESET', 'ERR_STREAM_PREMATURE_CLOSE', 'ABORT_ERR', 'EPIPE']);

/** The client went away mid-request (closed the connection, aborted the fetch): routine for a
 *  server, logged at debug — an error line is for what an operator must look at. */
export function clientGone(
  req: { destroyed?: boolean; socket?: { destroyed?: boolean } | null },
  e: unknown,
): boolean {
  const err = e as { code?: string; name?: string; message?: string } | undefined;
  if (err?.code && GONE.has(err.code)) return true;
  if (err?.name === 'AbortError' || err?.message === 'aborted') return true;
  return req.destroyed === true || req.socket?.destroyed === true;
}
