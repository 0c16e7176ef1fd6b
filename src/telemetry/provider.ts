// The OpenTelemetry SDK side of tracing (tracing.ts): a provider exporting over OTLP/HTTP,
// registered with the API's globals. Its own module so that it is loaded only when
// `telemetry:` is configured.

import { context, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';
import { AlsContextManager } from './context.ts';
import type { TelemetryConfig } from './config.ts';
import type { Telemetry } from './tracing.ts';

/**
 * Registers the provider. The API's globals can be set once per process: a second gateway
 * with telemetry in the same process keeps the first one's exporter (logged; undefined here).
 */
export function startProvider(cfg: TelemetryConfig, log: Logger): Telemetry | undefined {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': cfg.service_name }),
    // Parent-based: a client's sampled flag is honoured, new traces are sampled at the ratio.
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(cfg.sample_ratio) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: cfg.otlp_endpoint }))],
  });
  const contextManager = new AlsContextManager();
  const ok =
    trace.setGlobalTracerProvider(provider) &&
    context.setGlobalContextManager(contextManager) &&
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  if (!ok) {
    log.warn('an OpenTelemetry provider is already registered in this process; using it');
    void provider.shutdown();
    return undefined;
  }
  log.info({ endpoint: cfg.otlp_endpoint }, 'tracing to OTLP/HTTP');
  return {
    async shutdown() {
      try {
        await provider.shutdown(); // flushes the batch processor
      } catch (e) {
        log.warn({ err: e }, 'trace export on shutdown failed');
      }
      trace.disable();
      propagation.disable();
      context.disable();
    },
  };
}
