// The `registry:` section of warden.yaml (README "Configuration"), read leniently here so the
// registry works before the config schema knows the section; src/config validates the keys.
//
//   registry:
//     state_file: /var/lib/warden/pins.json     # pins survive restarts; without it they are
//                                               # kept in memory (and cannot be approved by CLI)
//     pinning: enforce                          # off | warn | enforce
//     screening: warn                           # warn | hold
//     refresh_interval_s: 300                   # 0: only on list_changed
//     namespace: com.example.gw                 # server.json names: <namespace>/<upstream>

import type { PinningMode, ScreeningMode } from './entry.ts';

export interface RegistryConfig {
  state_file?: string;
  pinning: PinningMode;
  screening: ScreeningMode;
  refresh_interval_s: number;
  namespace?: string;
}

export function registryConfig(config: object): RegistryConfig {
  const r = ((config as { registry?: Partial<RegistryConfig> }).registry ??
    {}) as Partial<RegistryConfig>;
  return {
    state_file: r.state_file,
    pinning: r.pinning ?? 'enforce',
    screening: r.screening ?? 'warn',
    refresh_interval_s: r.refresh_interval_s ?? 300,
    namespace: r.namespace,
  };
}
