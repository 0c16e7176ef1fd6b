// The `telemetry:` section of warden.yaml (its shape is checked by schema/warden.schema.json)
// and the OpenTelemetry SDK environment variables (OpenTelemetry specification, "Environment
// Variable Specification" and "OTLP Exporter Configuration"): what warden.yaml writes wins,
// the environment fills the rest, and OTEL_EXPORTER_OTLP_ENDPOINT alone turns tracing on, as
// it does for any OpenTelemetry-instrumented service. Neither: tracing off (the API's no-op
// tracer; nothing is recorded or exported).

import { UserInputError } from '../errors/index.ts';

export interface TelemetryConfig {
  /** OTLP/HTTP traces endpoint, e.g. http://collector:4318/v1/traces (OTLP spec §"OTLP/HTTP"). */
  otlp_endpoint: string;
  /** `service.name` resource attribute; default "mcp-warden". */
  service_name: string;
  /** Fraction of new traces sampled (0–1); a sampled/unsampled parent is followed. Default 1. */
  sample_ratio: number;
}

const bad = (where: string, message: string) =>
  new UserInputError('CONFIG_INVALID', message, { where });

/** The traces URL the environment names: the signal-specific variable as written, else the
 *  base endpoint with `/v1/traces` appended (OTLP Exporter spec, "Endpoint URLs for OTLP/HTTP"). */
function envEndpoint(env: NodeJS.ProcessEnv): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/** OTEL_TRACES_SAMPLER(_ARG): the ratio the named sampler applies to new traces. */
function envRatio(env: NodeJS.ProcessEnv): number | undefined {
  const sampler = env.OTEL_TRACES_SAMPLER;
  if (sampler === 'always_off' || sampler === 'parentbased_always_off') return 0;
  if (sampler === 'always_on' || sampler === 'parentbased_always_on') return 1;
  const arg = env.OTEL_TRACES_SAMPLER_ARG;
  if (arg === undefined || arg === '') return undefined;
  const ratio = Number(arg);
  if (!(ratio >= 0 && ratio <= 1))
    throw bad(
      'OTEL_TRACES_SAMPLER_ARG',
      `expected a number from 0 to 1, got ${JSON.stringify(arg)}`,
    );
  return ratio;
}

/** Defaults the (schema-checked) raw section with the environment; undefined: tracing off. */
export function parseTelemetryConfig(
  raw: unknown,
  path = 'telemetry',
  env: NodeJS.ProcessEnv = {},
): TelemetryConfig | undefined {
  if (env.OTEL_SDK_DISABLED === 'true') return undefined;
  const r = (raw ?? {}) as Partial<TelemetryConfig>;
  const endpoint = r.otlp_endpoint ?? envEndpoint(env);
  if (endpoint === undefined) {
    if (raw === undefined || raw === null) return undefined;
    throw bad(`${path}.otlp_endpoint`, 'required: an http:// or https:// URL');
  }
  if (!/^https?:\/\/./.test(endpoint))
    throw bad(
      r.otlp_endpoint ? `${path}.otlp_endpoint` : 'OTEL_EXPORTER_OTLP_ENDPOINT',
      'expected an http:// or https:// URL',
    );
  return {
    otlp_endpoint: endpoint,
    service_name: r.service_name ?? (env.OTEL_SERVICE_NAME || 'mcp-warden'),
    sample_ratio: r.sample_ratio ?? envRatio(env) ?? 1,
  };
}
