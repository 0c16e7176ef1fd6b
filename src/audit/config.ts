// `audit:` in warden.yaml: validated here, so every error names its key path
// ("audit.sinks[1].port: …"). The config loader calls parseAuditConfig(raw.audit, 'audit').
import RE2 from 're2';
import { UserInputError } from '../errors/index.ts';
import { FIELD_RULE } from './redact/fields.ts';
import { parseDecisionLogsConfig, type DecisionLogsConfig } from './decision-log/config.ts';
import { BUILTIN_DETECTORS } from './redact/patterns.ts';

export interface FileSinkConfig {
  type: 'file';
  path: string;
  /** Rotate when the file would exceed this size (0 = never). */
  max_bytes: number;
  /** Rotate when the file is older than this (0 = never). */
  max_age_s: number;
  /** In async mode, fsync at most this often. Sync mode fsyncs before acknowledging. */
  fsync_interval_ms: number;
}
export interface StdoutSinkConfig {
  type: 'stdout';
}
export interface SyslogSinkConfig {
  type: 'syslog';
  name: string;
  host: string;
  port: number;
  tls:
    | false
    | {
        ca?: string;
        cert?: string;
        key?: string;
        servername?: string;
        reject_unauthorized: boolean;
      };
  app_name: string;
  /** RFC 5424 §6.2.1 facility number (16 = local0). */
  facility: number;
  hostname?: string;
  /** TCP gives no receipt: records stay queued until the connection survived this long after
   *  they were written, and are re-sent if it drops earlier (at-least-once). */
  confirm_ms: number;
}
export interface HttpSinkConfig {
  type: 'http';
  name: string;
  url: string;
  batch_size: number;
  flush_ms: number;
  headers: Record<string, string>;
  timeout_ms: number;
}
/** `format: opa` on any sink: it receives OPA decision-log events (src/audit/decision-log)
 *  instead of the audit's own records. */
export type SinkFormat = { format?: 'opa' };
export type SinkConfig = (FileSinkConfig | StdoutSinkConfig | SyslogSinkConfig | HttpSinkConfig) &
  SinkFormat;
export type RemoteSinkConfig = SyslogSinkConfig | HttpSinkConfig;

/** A chain key: the secret itself (`${VAR}` already substituted) or a file holding it. Read
 *  when the auditor starts (keys.ts), so `warden check` does not need the secret. */
export interface ChainKeyConfig {
  /** Key id written in each record's `kid`; absent for `chain_key` (derived from the key). */
  id?: string;
  key: string | { file: string };
  /** The key path, for errors ("audit.chain_keys[0].key.file"). */
  where: string;
}

export interface CheckpointConfig {
  /** Ed25519 private key, PEM (PKCS#8). */
  signing_key: string;
  /** A checkpoint at least this often while records arrive (0 = not by time). */
  every_s: number;
  /** A checkpoint after this many records (0 = not by count). */
  every_records: number;
  sinks: Array<FileSinkConfig | RemoteSinkConfig>;
}

/** `async`: answers do not wait for records. `written`: a tools/call answer leaves once its
 *  record was handed to the kernel (write(2) returned). `durable`: once it was fdatasync'ed,
 *  group-committed. `sync` is read as `durable` (its old name). */
export type AuditMode = 'async' | 'written' | 'durable';

export interface AuditConfig {
  mode: AuditMode;
  /** The first key seals new records; the others are kept for verifying (rotation). */
  chain_keys: ChainKeyConfig[];
  checkpoints?: CheckpointConfig;
  /** Top-level `decision_logs:` of warden.yaml, handed to the audit module by the loader. */
  decision_logs?: DecisionLogsConfig;
  on_full: 'block' | 'reject';
  sinks: SinkConfig[];
  spool: { dir: string; max_bytes: number };
  /** `summary` keeps {is_error, content_types, bytes}; `full` also keeps the redacted result. */
  results: 'summary' | 'full';
  redaction: {
    kinds?: string[];
    patterns: Array<{ name: string; regex: string }>;
    fields: string[];
    /** Also redact tool results before they reach the client. */
    results_to_client: boolean;
  };
}

type Raw = Record<string, unknown>;
const KINDS = new Set(BUILTIN_DETECTORS.map((d) => d.kind));

const bad = (where: string, msg: string): UserInputError =>
  new UserInputError('CONFIG_INVALID', msg, { where });

function obj(v: unknown, where: string, keys: string[]): Raw {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(where, 'expected a mapping');
  for (const k of Object.keys(v)) if (!keys.includes(k)) throw bad(`${where}.${k}`, 'unknown key');
  return v as Raw;
}
function str(v: unknown, where: string, def?: string): string {
  if (v === undefined && def !== undefined) return def;
  if (typeof v !== 'string' || v === '') throw bad(where, 'expected a non-empty string');
  return v;
}
function int(
  v: unknown,
  where: string,
  def: number,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw bad(where, `expected an integer from ${min} to ${max}`);
  return v;
}
function bool(v: unknown, where: string, def: boolean): boolean {
  if (v === undefined) return def;
  if (typeof v !== 'boolean') throw bad(where, 'expected true or false');
  return v;
}
function oneOf<T extends string>(v: unknown, where: string, options: readonly T[]): T {
  if (v === undefined) return options[0];
  if (!options.includes(v as T)) throw bad(where, `expected one of ${options.join(', ')}`);
  return v as T;
}
function list(v: unknown, where: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw bad(where, 'expected a list');
  return v;
}

/** A sink, with the `format` key every sink type accepts. */
function sink(raw: unknown, where: string, index: number): SinkConfig {
  if (raw === null || typeof raw !== 'object' || !('format' in raw))
    return sinkOf(raw, where, index);
  const { format, ...rest } = raw as Raw;
  const f = oneOf(format, `${where}.format`, ['jsonl', 'opa'] as const);
  const s = sinkOf(rest, where, index);
  return f === 'opa' ? { ...s, format: 'opa' } : s;
}

function sinkOf(raw: unknown, where: string, index: number): SinkConfig {
  const type = (raw as Raw | null)?.type;
  const name = (r: Raw): string => str(r.name, `${where}.name`, `${String(type)}-${index}`);
  switch (type) {
    case 'file': {
      const r = obj(raw, where, ['type', 'path', 'max_bytes', 'max_age_s', 'fsync_interval_ms']);
      return {
        type,
        path: str(r.path, `${where}.path`),
        max_bytes: int(r.max_bytes, `${where}.max_bytes`, 0),
        max_age_s: int(r.max_age_s, `${where}.max_age_s`, 0),
        fsync_interval_ms: int(r.fsync_interval_ms, `${where}.fsync_interval_ms`, 1000, 1),
      };
    }
    case 'stdout':
      obj(raw, where, ['type']);
      return { type };
    case 'syslog': {
      const r = obj(raw, where, [
        'type',
        'name',
        'host',
        'port',
        'tls',
        'app_name',
        'facility',
        'hostname',
        'confirm_ms',
      ]);
      let tls: SyslogSinkConfig['tls'] = false;
      if (r.tls === true) tls = { reject_unauthorized: true };
      else if (r.tls !== undefined && r.tls !== false) {
        const t = obj(r.tls, `${where}.tls`, [
          'ca',
          'cert',
          'key',
          'servername',
          'reject_unauthorized',
        ]);
        const opt = (k: string) =>
          t[k] === undefined ? undefined : str(t[k], `${where}.tls.${k}`);
        tls = {
          ca: opt('ca'),
          cert: opt('cert'),
          key: opt('key'),
          servername: opt('servername'),
          reject_unauthorized: bool(
            t.reject_unauthorized,
            `${where}.tls.reject_unauthorized`,
            true,
          ),
        };
      }
      // RFC 5424 §6.2.5: APP-NAME is 1*48 PRINTUSASCII.
      const app = str(r.app_name, `${where}.app_name`, 'mcp-warden');
      if (!/^[\x21-\x7e]{1,48}$/.test(app))
        throw bad(`${where}.app_name`, 'expected 1–48 printable ASCII characters');
      return {
        type,
        name: name(r),
        host: str(r.host, `${where}.host`),
        port: int(r.port, `${where}.port`, tls ? 6514 : 514, 1, 65535),
        tls,
        app_name: app,
        facility: int(r.facility, `${where}.facility`, 13, 0, 23),
        hostname: r.hostname === undefined ? undefined : str(r.hostname, `${where}.hostname`),
        confirm_ms: int(r.confirm_ms, `${where}.confirm_ms`, 2000),
      };
    }
    case 'http': {
      const r = obj(raw, where, [
        'type',
        'name',
        'url',
        'batch_size',
        'flush_ms',
        'headers',
        'timeout_ms',
      ]);
      const url = str(r.url, `${where}.url`);
      if (!/^https?:\/\//.test(url))
        throw bad(`${where}.url`, 'expected an http:// or https:// URL');
      const h = obj(r.headers, `${where}.headers`, Object.keys((r.headers as Raw) ?? {}));
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(h)) headers[k] = str(v, `${where}.headers.${k}`);
      return {
        type,
        name: name(r),
        url,
        batch_size: int(r.batch_size, `${where}.batch_size`, 500, 1),
        flush_ms: int(r.flush_ms, `${where}.flush_ms`, 200, 0),
        headers,
        timeout_ms: int(r.timeout_ms, `${where}.timeout_ms`, 10_000, 1),
      };
    }
    default:
      throw bad(`${where}.type`, 'expected one of file, stdout, syslog, http');
  }
}

function secret(v: unknown, where: string): string | { file: string } {
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = obj(v, where, ['file']);
    return { file: str(o.file, `${where}.file`) };
  }
  const s = str(v, where);
  // HMAC keys shorter than the hash output weaken it (RFC 2104 §3: at least L bytes advised).
  if (Buffer.byteLength(s) < 16) throw bad(where, 'expected a secret of at least 16 bytes');
  return s;
}

function chainKeys(r: Raw, where: string): ChainKeyConfig[] {
  if (r.chain_key !== undefined && r.chain_keys !== undefined)
    throw bad(`${where}.chain_keys`, 'give chain_key or chain_keys, not both');
  if (r.chain_key !== undefined)
    return [{ key: secret(r.chain_key, `${where}.chain_key`), where: `${where}.chain_key` }];
  const ids = new Set<string>();
  return list(r.chain_keys, `${where}.chain_keys`).map((k, i) => {
    const w = `${where}.chain_keys[${i}]`;
    const o = obj(k, w, ['id', 'key']);
    const id = str(o.id, `${w}.id`);
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) throw bad(`${w}.id`, 'expected [A-Za-z0-9._-]{1,64}');
    if (ids.has(id)) throw bad(`${w}.id`, `duplicate key id ${JSON.stringify(id)}`);
    ids.add(id);
    return { id, key: secret(o.key, `${w}.key`), where: `${w}.key` };
  });
}

function checkpoints(v: unknown, where: string): CheckpointConfig | undefined {
  if (v === undefined || v === null) return undefined;
  const r = obj(v, where, ['signing_key', 'every_s', 'every_records', 'sinks']);
  const sinks = list(r.sinks, `${where}.sinks`).map((s, i) => {
    const w = `${where}.sinks[${i}]`;
    const c = sink(s, w, i);
    if (c.type === 'stdout') throw bad(`${w}.type`, 'expected file, syslog or http');
    return c as FileSinkConfig | RemoteSinkConfig;
  });
  if (sinks.length === 0)
    throw bad(`${where}.sinks`, 'expected at least one sink (apart from the audit log)');
  return {
    signing_key: str(r.signing_key, `${where}.signing_key`),
    every_s: int(r.every_s, `${where}.every_s`, 60),
    every_records: int(r.every_records, `${where}.every_records`, 1000),
    sinks,
  };
}

/** `decisionLogs`: the top-level `decision_logs:` section (validated under that name). */
export function parseAuditConfig(
  raw: unknown,
  where = 'audit',
  decisionLogs?: unknown,
): AuditConfig {
  const r = obj(raw, where, [
    'mode',
    'on_full',
    'sinks',
    'spool',
    'results',
    'redaction',
    'chain_key',
    'chain_keys',
    'checkpoints',
  ]);
  const sinks =
    raw === undefined || r.sinks === undefined
      ? [{ type: 'stdout' } as SinkConfig]
      : list(r.sinks, `${where}.sinks`).map((s, i) => sink(s, `${where}.sinks[${i}]`, i));
  const names = new Set<string>();
  sinks.forEach((s, i) => {
    if (s.type !== 'syslog' && s.type !== 'http') return;
    if (names.has(s.name))
      throw bad(
        `${where}.sinks[${i}].name`,
        `duplicate sink name ${JSON.stringify(s.name)} (each remote sink has its own spool)`,
      );
    names.add(s.name);
  });
  const sp = obj(r.spool, `${where}.spool`, ['dir', 'max_bytes']);
  const red = obj(r.redaction, `${where}.redaction`, [
    'kinds',
    'patterns',
    'fields',
    'results_to_client',
  ]);
  const kinds =
    red.kinds === undefined
      ? undefined
      : list(red.kinds, `${where}.redaction.kinds`).map((k, i) => {
          const w = `${where}.redaction.kinds[${i}]`;
          if (!KINDS.has(str(k, w)))
            throw bad(w, `unknown kind ${JSON.stringify(k)} (one of ${[...KINDS].join(', ')})`);
          return k as string;
        });
  const patterns = list(red.patterns, `${where}.redaction.patterns`).map((p, i) => {
    const w = `${where}.redaction.patterns[${i}]`;
    const o = obj(p, w, ['name', 'regex']);
    const name = str(o.name, `${w}.name`);
    if (!/^[a-z][a-z0-9_]{0,31}$/.test(name))
      throw bad(`${w}.name`, 'expected [a-z][a-z0-9_]*, at most 32 characters');
    const regex = str(o.regex, `${w}.regex`);
    let re: RE2;
    try {
      re = new RE2(regex);
    } catch (e) {
      throw bad(
        `${w}.regex`,
        `pattern ${JSON.stringify(name)} is not a valid RE2 expression: ${(e as Error).message}`,
      );
    }
    if (re.test(''))
      throw bad(`${w}.regex`, `pattern ${JSON.stringify(name)} matches the empty string`);
    return { name, regex };
  });
  const fields = list(red.fields, `${where}.redaction.fields`).map((f, i) => {
    const w = `${where}.redaction.fields[${i}]`;
    if (!FIELD_RULE.test(str(f, w)))
      throw bad(w, 'expected a key name of [A-Za-z0-9_.-], `*` as wildcard');
    return f as string;
  });
  const cps = checkpoints(r.checkpoints, `${where}.checkpoints`);
  cps?.sinks.forEach((c, i) => {
    const w = `${where}.checkpoints.sinks[${i}]`;
    if (c.type === 'file' && sinks.some((s) => s.type === 'file' && s.path === c.path))
      throw bad(`${w}.path`, 'checkpoints must go to another file than the audit log');
  });
  const mode = oneOf(r.mode, `${where}.mode`, ['written', 'durable', 'async', 'sync'] as const);
  return {
    ...(decisionLogs === undefined || decisionLogs === null
      ? {}
      : { decision_logs: parseDecisionLogsConfig(decisionLogs, 'decision_logs') }),
    mode: mode === 'sync' ? 'durable' : mode,
    chain_keys: chainKeys(r, where),
    checkpoints: cps,
    on_full: oneOf(r.on_full, `${where}.on_full`, ['block', 'reject'] as const),
    sinks,
    spool: {
      dir: str(sp.dir, `${where}.spool.dir`, './audit-spool'),
      max_bytes: int(sp.max_bytes, `${where}.spool.max_bytes`, 64 * 1024 * 1024, 1024),
    },
    results: oneOf(r.results, `${where}.results`, ['summary', 'full'] as const),
    redaction: {
      kinds,
      patterns,
      fields,
      results_to_client: bool(red.results_to_client, `${where}.redaction.results_to_client`, false),
    },
  };
}
