// Public surface of the config module.
export { buildConfig, parseConfig, loadConfigFile, expandEnv, DEFAULT_TOOL_SCOPE } from './load.ts';
export { demoConfig, PROJECT_ROOT } from './demo.ts';
export type {
  WardenConfig,
  UpstreamConfig,
  ToolOverride,
  AuditSinkConfig,
  UpstreamCredentialsConfig,
} from './schema.ts';
