// mcp-warden's OAuth 2.1 resource server (issue #3). The gateway calls `authenticate` on every
// request to a protected route, `authorizeScopes` before a tool call, serves
// `protectedResourceMetadata` at the RFC 9728 paths, and gets upstream credentials from
// `createUpstreamCredentials` (the client's token is never forwarded).

export {
  createResourceServer,
  type AuthOutcome,
  type ResourceServer,
  type ResourceServerOptions,
  type ScopeDecision,
  type ScopeNeed,
} from './resource-server.ts';
export type { Subject } from './subject.ts';
export {
  DEFAULT_ALGORITHMS,
  resolveAuthConfig,
  type ApprovalConfig,
  type AuthConfig,
  type IntrospectionConfig,
  type ResolvedAuthConfig,
  type ScopeHierarchyConfig,
} from './config.ts';
export { bearerChallenge, readCredentials, type Credentials } from './challenge.ts';
export {
  canonicalResource,
  metadataPathFor,
  metadataUrlFor,
  resourceForMetadataPath,
  resourceUri,
  WELL_KNOWN_PRM,
  type ProtectedResourceMetadata,
} from './metadata.ts';
export { tokenHash } from './token-cache.ts';
export {
  createUpstreamCredentials,
  expandEnv,
  type UpstreamAuthConfig,
  type UpstreamCredentialOptions,
  type UpstreamCredentials,
} from './upstream-credentials.ts';
export {
  createDemoIssuer,
  NOT_FOR_PRODUCTION,
  type DemoIssuer,
  type DemoIssuerOptions,
  type MintOptions,
} from './demo-issuer.ts';
export { fetchJwks, JwksWatch, type JwksStatus, type JwksWatchHooks } from './jwks-watch.ts';
