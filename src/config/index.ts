// Public surface of the config module.
export {
  buildConfig,
  parseConfig,
  parseYaml,
  loadConfigFile,
  locateKeyPath,
  locateInFile,
  expandEnv,
  DEFAULT_TOOL_SCOPE,
} from './load.ts';
export { CONFIG_SCHEMA, ConfigInvalidError, type ConfigProblem } from './validate.ts';
export { demoConfig, PROJECT_ROOT } from './demo.ts';
export type {
  WardenConfig,
  UpstreamConfig,
  ToolOverride,
  AuditSinkConfig,
  UpstreamCredentialsConfig,
} from './schema.ts';
