// The gateway's log: level and format from flag, then environment, then warden.yaml; levels
// written as names; the pretty format for terminals. And OTEL_* variables for tracing.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, logOptions, prettyLine } from '../../src/gateway/log.ts';
import { parseTelemetryConfig } from '../../src/telemetry/config.ts';

describe('log options', () => {
  it('takes the flag over the environment over the config; pretty only on a terminal', () => {
    const env = { WARDEN_LOG_LEVEL: 'debug', WARDEN_LOG_FORMAT: 'json' };
    expect(logOptions({ level: 'warn' }, {}, {}, false)).toEqual({ level: 'warn', format: 'json' });
    expect(logOptions({ level: 'warn' }, {}, {}, true)).toEqual({
      level: 'warn',
      format: 'pretty',
    });
    expect(logOptions({ level: 'warn' }, {}, env, true)).toEqual({
      level: 'debug',
      format: 'json',
    });
    expect(logOptions({}, { level: 'ERROR', format: 'pretty' }, env, false)).toEqual({
      level: 'error',
      format: 'pretty',
    });
    expect(() => logOptions({}, { level: 'loud' }, {}, false)).toThrow(
      'expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    );
    expect(() => logOptions({}, {}, { WARDEN_LOG_FORMAT: 'xml' }, false)).toThrow(/xml/);
  });

  it('writes levels as names, and a pretty line per record', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(c: Buffer, _e, done) {
        lines.push(c.toString());
        done();
      },
    });
    createLogger({ level: 'info', format: 'json' }, sink).warn({ upstream: 'db' }, 'hello');
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'warn', upstream: 'db', msg: 'hello' });
    const pretty = prettyLine(
      JSON.stringify({
        time: Date.UTC(2026, 0, 1, 12, 0, 1, 5),
        level: 'warn',
        component: 'auth',
        msg: 'no keys',
        jwks_uri: 'http://x/jwks',
        err: 'HTTP 503',
      }),
    );
    expect(pretty).toBe(
      '12:00:01.005 WARN  [auth] no keys jwks_uri=http://x/jwks err="HTTP 503"\n',
    );
  });
});

describe('OTEL_* environment', () => {
  it('turns tracing on from OTEL_EXPORTER_OTLP_ENDPOINT, names the service, samples', () => {
    expect(parseTelemetryConfig(undefined, 'telemetry', {})).toBeUndefined();
    expect(
      parseTelemetryConfig(undefined, 'telemetry', {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_SERVICE_NAME: 'gw-eu',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
      }),
    ).toEqual({
      otlp_endpoint: 'http://collector:4318/v1/traces',
      service_name: 'gw-eu',
      sample_ratio: 0.25,
    });
    // warden.yaml wins over the environment; OTEL_SDK_DISABLED turns it off.
    const env = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/t', OTEL_SERVICE_NAME: 'x' };
    expect(parseTelemetryConfig({ service_name: 'mine' }, 'telemetry', env)).toEqual({
      otlp_endpoint: 'http://c:4318/t',
      service_name: 'mine',
      sample_ratio: 1,
    });
    expect(
      parseTelemetryConfig({}, 'telemetry', { ...env, OTEL_SDK_DISABLED: 'true' }),
    ).toBeUndefined();
    expect(() =>
      parseTelemetryConfig(undefined, 'telemetry', { ...env, OTEL_TRACES_SAMPLER_ARG: '2' }),
    ).toThrow(/OTEL_TRACES_SAMPLER_ARG|0 to 1/);
  });
});
