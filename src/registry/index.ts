// Public surface of the registry module (issue #6): discovery state, validation, pinning,
// screening, search and the /registry HTTP API.
export {
  createRegistry,
  reverseDns,
  type Registry,
  type RegistryOptions,
  type GateResult,
} from './registry.ts';
export { buildManifest, scopesOf, type CapabilityManifest } from './manifest.ts';
export {
  HOLD_CHANGED,
  HOLD_FLAGGED,
  type PinningMode,
  type ScreeningMode,
  type UpstreamEntry,
  type ToolEntry,
} from './entry.ts';
export { PinStore, toolHash, diff } from './pins.ts';
export { screenTool, type ScreenFinding } from './screen.ts';
export { checkTools, compileSchema, revisionOf, type ArgumentCheck } from './validate.ts';
export { SearchIndex, tokenize, type SearchDoc, type SearchHit } from './search.ts';
export { registryConfig, type RegistryConfig } from './config.ts';
export { registryFactory } from './factory.ts';
