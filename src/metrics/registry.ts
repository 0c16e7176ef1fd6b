// The one Prometheus renderer: prom-client's registries, in the text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/). Each gateway has its own
// registry (its counters live as long as it does, across reloads); the process and Node.js
// runtime metrics (collectDefaultMetrics: CPU, memory, event-loop lag, GC, handles) are one
// registry per process, created on first use, because they describe the process, not a gateway.

import { collectDefaultMetrics, Registry } from 'prom-client';

/** `text/plain; version=0.0.4` — what Prometheus expects from a scrape of this format. */
export const CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

let processRegistry: Registry | undefined;

/** Process and runtime metrics (`process_*`, `nodejs_*`), shared by every gateway. */
export function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** The exposition text of `registries`, in order (their family names must not overlap). */
export async function renderAll(registries: readonly Registry[]): Promise<string> {
  const parts = await Promise.all(registries.map((r) => r.metrics()));
  return parts
    .map((p) => p.trimEnd())
    .filter(Boolean)
    .map((p) => `${p}\n`)
    .join('');
}

export { Registry };
