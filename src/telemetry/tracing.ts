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
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { TelemetryConfig } from './config.ts';

const TRACER = 'mcp-warden';

export interface Telemetry {
  /** Exports what is buffered and unregisters the globals (gateway close). */
  shutdown(): Promise<void>;
}

export const OFF: Telemetry = { shutdown: async () => {} };

/**
 * Starts tracing when configured. The OpenTelemetry SDK and exporter (provider.ts) are loaded
 * only then: unconfigured, a gateway does not pay their memory and load time at start-up.
 */
export async function startTelemetry(
  cfg: TelemetryConfig | undefined,
  log: Logger,
): Promise<Telemetry> {
  if (!cfg) return OFF;
  const { startProvider } = await import('./provider.ts');
  return startProvider(cfg, log) ?? OFF;
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
