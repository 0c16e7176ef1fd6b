// `decision_logs:` in warden.yaml (top level, as in OPA's own config): where decision events are
// uploaded the way OPA's decision-log plugin does. Errors name the key path.
import { UserInputError } from '../../errors/index.ts';

export interface DecisionLogsConfig {
  /** The collector's endpoint, POSTed to as given (OPA: service url + resource, "/logs"). */
  url: string;
  headers: Record<string, string>;
  /** Largest upload, in bytes of uncompressed JSON (OPA: reporting.upload_size_limit_bytes). */
  batch_bytes: number;
  /** Upload at least this often while events wait (OPA: reporting.min_delay_seconds). */
  interval_s: number;
  /** Events kept while the collector is unreachable; the oldest are dropped beyond this
   *  (OPA: reporting.buffer_size_limit_bytes). */
  buffer_bytes: number;
  /** Backoff between failed uploads: doubles from min to max. */
  retry: { min_delay_s: number; max_delay_s: number };
  timeout_ms: number;
}

type Raw = Record<string, unknown>;
const bad = (where: string, msg: string) => new UserInputError('CONFIG_INVALID', msg, { where });

function obj(v: unknown, where: string, keys: string[] | null): Raw {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(where, 'expected a mapping');
  if (keys)
    for (const k of Object.keys(v))
      if (!keys.includes(k)) throw bad(`${where}.${k}`, 'unknown key');
  return v as Raw;
}
function num(v: unknown, where: string, def: number, min: number, int = false): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (int && !Number.isInteger(v)))
    throw bad(where, `expected ${int ? 'an integer' : 'a number'} ≥ ${min}`);
  return v;
}

export function parseDecisionLogsConfig(raw: unknown, where = 'decision_logs'): DecisionLogsConfig {
  const r = obj(raw, where, [
    'url',
    'headers',
    'batch_bytes',
    'interval_s',
    'buffer_bytes',
    'retry',
    'timeout_ms',
  ]);
  if (typeof r.url !== 'string' || !/^https?:\/\//.test(r.url))
    throw bad(`${where}.url`, 'expected an http:// or https:// URL');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj(r.headers, `${where}.headers`, null))) {
    if (typeof v !== 'string') throw bad(`${where}.headers.${k}`, 'expected a string');
    headers[k] = v;
  }
  const retry = obj(r.retry, `${where}.retry`, ['min_delay_s', 'max_delay_s']);
  const min = num(retry.min_delay_s, `${where}.retry.min_delay_s`, 1, 0.01);
  const max = num(retry.max_delay_s, `${where}.retry.max_delay_s`, 60, min);
  return {
    url: r.url,
    headers,
    // OPA's default upload limit is 32 KiB.
    batch_bytes: num(r.batch_bytes, `${where}.batch_bytes`, 32 * 1024, 1024, true),
    interval_s: num(r.interval_s, `${where}.interval_s`, 10, 0.01),
    buffer_bytes: num(r.buffer_bytes, `${where}.buffer_bytes`, 16 * 1024 * 1024, 1024, true),
    retry: { min_delay_s: min, max_delay_s: max },
    timeout_ms: num(r.timeout_ms, `${where}.timeout_ms`, 10_000, 1, true),
  };
}
