// The registry as the gateway's per-runtime hook (GatewayOptions.registry, src/gateway/
// runtime.ts RegistryFactory): each Runtime (a config reload builds a new one with new
// upstreams) gets its own registry, configured from the `registry:` section.

import type { Logger } from 'pino';
import type { Upstream } from '../upstream/upstream.ts';
import { registryConfig } from './config.ts';
import { createRegistry, type Registry } from './registry.ts';

export function registryFactory(log: Logger) {
  return (rt: { upstreams: Upstream[]; config: object; publicUrl: string }): Registry => {
    const rc = registryConfig(rt.config);
    return createRegistry({
      upstreams: rt.upstreams,
      stateFile: rc.state_file,
      pinning: rc.pinning,
      screening: rc.screening,
      refreshIntervalMs: rc.refresh_interval_s * 1000,
      namespace: rc.namespace,
      publicUrl: rt.publicUrl,
      log,
    });
  };
}
