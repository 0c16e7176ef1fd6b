// An AsyncLocalStorage-backed OpenTelemetry ContextManager. The active span must survive the
// awaits between the gateway's HTTP handler and the upstream call (http-proxy's request, or the
// MCP SDK client's fetch) so the W3C `traceparent` sent upstream names the right parent; the
// API's default manager is a no-op. (@opentelemetry/context-async-hooks provides the same; it
// is not a dependency of this project, and node:async_hooks' AsyncLocalStorage is all it uses.)

import { AsyncLocalStorage } from 'node:async_hooks';
import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';

export class AlsContextManager implements ContextManager {
  private als = new AsyncLocalStorage<Context>();

  active(): Context {
    return this.als.getStore() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.als.run(context, () => fn.call(thisArg, ...args));
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const f = target as unknown as (...a: unknown[]) => unknown;
    const run = (...a: unknown[]): unknown => this.with(context, () => f(...a));
    return run as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.als.disable();
    return this;
  }
}
