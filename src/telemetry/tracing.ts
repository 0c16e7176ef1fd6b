// Tracing for the gateway: one provider per process, registered with the OpenTelemetry API's
// globals (tracer, W3C propagator, AsyncLocalStorage context) when `telemetry:` is configured.
// Unconfigured, the API's globals stay no-ops: every span below is a NonRecordingSpan and
// inject/extract do nothing, so the gateway pays only for those calls.
//
// Spans (names are part of the contract, see README "Observability"):
//   warden.request  SERVER  one per MCP HTTP request; parent = the client's `traceparent`
//   warden.auth     INTERNAL  bearer token validation (RFC 6750)
//   warden.policy   INTERNAL  the authorization decision of a tools/call
//   warden.upstream CLIENT    the call to the upstream; its context is what the upstream
//                             receives in `traceparent` (W3C Trace Context §3.2)

import {
  context,
  propagation,
  trace,
  INVALID_SPAN_CONTEXT,
  ProxyTracerProvider,
  SpanKind,
  SpanStatusCode,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import { AlsContextManager } from './context.ts';
import type { TelemetryConfig } from './config.ts';

const TRACER = 'mcp-warden';

export interface Telemetry {
  /** Exports what is buffered and unregisters the globals (gateway close). */
  shutdown(): Promise<void>;
}

const OFF: Telemetry = { shutdown: async () => {} };

/**
 * Starts tracing when configured. The API's globals can be set once per process: a second
 * gateway with telemetry in the same process keeps the first one's exporter (logged).
 */
export function startTelemetry(cfg: TelemetryConfig | undefined, log: Logger): Telemetry {
  if (!cfg) return OFF;
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
    return OFF;
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

const tracer = () => trace.getTracer(TRACER);

/** The API's no-op provider (what a ProxyTracerProvider without a delegate hands out). */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();
/** The span the no-op tracer would give: records nothing, carries no context. */
const NOOP_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
/** No tracer provider registered (this process's normal state without `telemetry:`): a span
 * would be non-recording, so the calls below skip creating one and the context switch and
 * promise wrapping around it (a few µs per request, issue #4). Read at each call, because
 * startTelemetry and shutdown() register and unregister the global provider. */
const tracingOff = (): boolean =>
  (trace.getTracerProvider() as Partial<ProxyTracerProvider>).getDelegate?.() === NOOP_PROVIDER;

function finish(span: Span, e?: unknown): void {
  if (e !== undefined)
    span.setStatus({ code: SpanStatusCode.ERROR, message: (e as Error)?.message ?? String(e) });
  span.end();
}

/** Runs `fn` in a child span of the active one; the span ends when `fn` (or its promise) does. */
export function withSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => T,
  kind: SpanKind = SpanKind.INTERNAL,
): T {
  if (tracingOff()) return fn(NOOP_SPAN);
  return tracer().startActiveSpan(name, { kind, attributes }, (span) => {
    let out: T;
    try {
      out = fn(span);
    } catch (e) {
      finish(span, e);
      throw e;
    }
    if (out instanceof Promise)
      return out.then(
        (v) => (finish(span), v),
        (e: unknown) => {
          finish(span, e);
          throw e;
        },
      ) as T;
    finish(span);
    return out;
  });
}

/** The SERVER span of one request, continuing the trace of the client's `traceparent`. */
export function serverSpan<T>(
  headers: IncomingHttpHeaders,
  attributes: Attributes,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  if (tracingOff()) return fn(NOOP_SPAN);
  const parent = propagation.extract(context.active(), headers);
  return context.with(parent, () => withSpan('warden.request', attributes, fn, SpanKind.SERVER));
}

/** The span of the request being handled (a no-op span when tracing is off). */
export const activeSpan = (): Span | undefined => trace.getActiveSpan();

/** Writes `traceparent`/`tracestate` of the active span into outgoing upstream headers. */
export function injectTraceHeaders(headers: Record<string, string> | Headers): void {
  if (headers instanceof Headers)
    propagation.inject(context.active(), headers, {
      set: (h, k, v) => h.set(k, v),
    });
  else propagation.inject(context.active(), headers);
}
