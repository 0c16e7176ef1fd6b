// The `telemetry:` section of warden.yaml: where OTLP/HTTP traces go. Absent → tracing off
// (the OpenTelemetry API's no-op tracer; nothing is recorded or exported).

import { UserInputError } from '../errors/index.ts';

export interface TelemetryConfig {
  /** OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces (OTLP spec §"OTLP/HTTP"). */
  otlp_endpoint: string;
  /** `service.name` resource attribute; default "mcp-warden". */
  service_name: string;
  /** Fraction of new traces sampled (0–1); a sampled/unsampled parent is followed. Default 1. */
  sample_ratio: number;
}

/** Validates and defaults the raw section; `path` names the key in errors. */
export function parseTelemetryConfig(
  raw: unknown,
  path = 'telemetry',
): TelemetryConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const bad = (where: string, message: string) =>
    new UserInputError('CONFIG_INVALID', message, { where });
  if (typeof raw !== 'object' || Array.isArray(raw)) throw bad(path, 'expected a mapping');
  const r = raw as Record<string, unknown>;
  for (const k of Object.keys(r))
    if (!['otlp_endpoint', 'service_name', 'sample_ratio'].includes(k))
      throw bad(`${path}.${k}`, 'unknown key');
  if (typeof r.otlp_endpoint !== 'string' || !/^https?:\/\/./.test(r.otlp_endpoint))
    throw bad(`${path}.otlp_endpoint`, 'required: an http:// or https:// URL');
  if (r.service_name !== undefined && (typeof r.service_name !== 'string' || !r.service_name))
    throw bad(`${path}.service_name`, 'expected a non-empty string');
  const ratio = r.sample_ratio ?? 1;
  if (typeof ratio !== 'number' || !(ratio >= 0 && ratio <= 1))
    throw bad(`${path}.sample_ratio`, 'expected a number from 0 to 1');
  return {
    otlp_endpoint: r.otlp_endpoint,
    service_name: (r.service_name as string | undefined) ?? 'mcp-warden',
    sample_ratio: ratio,
  };
}
