export { startTelemetry, withSpan, serverSpan, activeSpan, injectTraceHeaders } from './tracing.ts';
export type { Telemetry } from './tracing.ts';
export { parseTelemetryConfig, type TelemetryConfig } from './config.ts';
