// The shape of warden.yaml (PRODUCT.md "Configuration") and the typed config the rest of the
// gateway reads. Keys beyond the contract are documented in README "Configuration".

import { parseAuditConfig, type AuditConfig } from '../audit/index.ts';
import { parseTelemetryConfig, type TelemetryConfig } from '../telemetry/config.ts';
import {
  bool,
  check,
  custom,
  either,
  int,
  list,
  map,
  obj,
  oneOfStr,
  str,
  type Shape,
} from './shape.ts';

/** Upstream names become URL path segments and tool-name prefixes: keep them tame. */
export const UPSTREAM_NAME = /^[A-Za-z0-9_-]{1,64}$/;
/** MCP 2025-11-25 tools: names are 1–128 chars of [A-Za-z0-9_.-]. */
export const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
/** Scope tokens per RFC 6749 §3.3: printable ASCII without space, quote or backslash. */
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

const toolOverride = obj({
  scope: str(SCOPE, 'an OAuth scope token'),
  destructive: bool,
  rename: str(TOOL_NAME, 'a tool name of [A-Za-z0-9_.-], at most 128 chars'),
  hidden: bool,
});

const promptOverride = obj({
  rename: str(TOOL_NAME, 'a prompt name of [A-Za-z0-9_.-], at most 128 chars'),
});

/** The gateway's own credentials for an upstream (src/auth/upstream-credentials.ts checks the
 * per-type required keys). The client's token is never forwarded. */
const upstreamAuth = obj(
  {
    type: oneOfStr('headers', 'client_credentials', 'token_exchange'),
    headers: map(str()),
    token_endpoint: str(),
    client_id: str(),
    client_secret: str(),
    resource: str(),
    scope: str(),
    audience: str(),
    auth_method: oneOfStr('client_secret_basic', 'client_secret_post'),
    refresh_before_s: int(0),
    subject_token: str(),
    subject_token_type: str(),
    actor_token: str(),
    actor_token_type: str(),
    requested_token_type: str(),
  },
  ['type'],
);

const upstream = obj(
  {
    name: str(UPSTREAM_NAME, 'letters, digits, _ and -, at most 64 chars'),
    url: str(/^https?:\/\//, 'an http:// or https:// URL'),
    command: str(),
    args: list(str()),
    env: map(str()),
    cwd: str(),
    headers: map(str()),
    auth: upstreamAuth,
    manifest_url: str(/^https?:\/\//, 'an http:// or https:// URL'),
    timeout_ms: int(1),
    max_answer_bytes: int(1),
    default_scope: str(SCOPE, 'an OAuth scope token'),
    tools: map(toolOverride),
    // Prompts on /mcp are `<upstream>.<prompt>` unless renamed, like tools.
    prompts: map(promptOverride),
  },
  ['name'],
);

export const CONFIG_SHAPE: Shape = obj({
  listen: obj({ host: str(), port: int(0, 65535) }),
  public_url: str(/^https?:\/\//, 'an http:// or https:// URL'),
  allowed_origins: list(str()),
  auth: obj({
    issuer: str(),
    jwks_uri: str(),
    audience: either('a string or a list of strings', str(), list(str())),
    approval: obj({ scope: str(SCOPE, 'an OAuth scope token'), max_age_s: int(0) }),
    demo: bool,
    // The keys below are checked for meaning by src/auth/config.ts.
    introspection: obj(
      {
        endpoint: str(),
        client_id: str(),
        client_secret: str(),
        auth_method: oneOfStr('client_secret_basic', 'client_secret_post'),
        cache_max_s: int(0),
      },
      ['endpoint', 'client_id', 'client_secret'],
    ),
    skew_s: int(0),
    algorithms: list(str()),
    scope_hierarchy: obj({ separator: str(), wildcard: bool, implies: map(list(str())) }),
    fetch_timeout_ms: int(1),
    jwks_cooldown_ms: int(0),
    jwks_max_age_ms: int(0),
    cache_max_entries: int(0),
    resource_name: str(),
    // Token claims copied into the policy input as input.subject.claims (policies/README.md).
    policy_claims: list(str(/^[^\s]+$/, 'a claim name')),
  }),
  // policy.path may be an http(s) URL of a bundle server (src/policy/remote.ts); the other keys
  // apply only then: signature verification, poll interval and download limits.
  policy: obj({
    path: str(),
    entrypoint: str(),
    public_key: str(),
    key_id: str(),
    scope: str(),
    poll_s: int(1),
    timeout_ms: int(1),
    max_bytes: int(1),
    headers: map(str()),
    // A candidate policy evaluated beside the live one, never enforced (README "Policies").
    shadow: str(),
    // Request headers copied into the policy input as input.headers (lower-cased names).
    input_headers: list(str(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'an HTTP header name')),
  }),
  limits: obj({
    max_payload_bytes: int(1),
    max_body_bytes: int(1),
    tool_name_max_length: int(1, 128),
    upstream_timeout_ms: int(1),
    max_answer_bytes: int(1),
    shutdown_grace_ms: int(0),
  }),
  sessions: obj({
    keys: list(str()),
    idle_timeout_s: int(1),
    ttl_s: int(1),
    advertise_url: str(/^https?:\/\//, 'an http:// or https:// URL'),
  }),
  // The audit module owns its section (sinks, spool, redaction patterns): it validates it and
  // its errors name the key path ("audit.sinks[1].port").
  audit: custom((v, path) => void parseAuditConfig(v, path)),
  log: obj({ level: oneOfStr('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent') }),
  upstreams: list(upstream),
  // src/registry (issue #6): pins, holds, screening, refresh.
  registry: obj({
    state_file: str(),
    pinning: oneOfStr('off', 'warn', 'enforce'),
    screening: oneOfStr('warn', 'hold'),
    refresh_interval_s: int(0),
    namespace: str(/^[a-zA-Z0-9.-]+$/, 'a reverse-DNS namespace'),
  }),
  // OpenTelemetry traces over OTLP/HTTP (src/telemetry); absent: tracing off.
  telemetry: custom((v, path) => void parseTelemetryConfig(v, path)),
});

export interface PromptOverride {
  /** Name exposed on /mcp instead of `<upstream>.<prompt>`. */
  rename?: string;
}

export interface ToolOverride {
  scope?: string;
  destructive?: boolean;
  rename?: string;
  hidden?: boolean;
}

/** As written in YAML; passed to createUpstreamCredentials (UpstreamAuthConfig). */
export type UpstreamCredentialsConfig = {
  type: 'headers' | 'client_credentials' | 'token_exchange';
} & Record<string, unknown>;

export interface UpstreamConfig {
  name: string;
  /** Streamable HTTP upstream. Exactly one of `url` and `command`. */
  url?: string;
  /** stdio upstream: spawned child. */
  command?: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  headers: Record<string, string>;
  auth?: UpstreamCredentialsConfig;
  manifest_url?: string;
  timeout_ms: number;
  /** The largest answer (a JSON body, or one SSE event) the gateway buffers from this upstream
   *  (default `limits.max_answer_bytes`; absent when built by hand, e.g. in tests). */
  max_answer_bytes?: number;
  default_scope: string;
  tools: Record<string, ToolOverride>;
  /** Keyed by the upstream's prompt name (absent when built by hand, e.g. in tests). */
  prompts?: Record<string, PromptOverride>;
}

/** One audit sink as the audit module resolved it (src/audit/config.ts). */
export type { SinkConfig as AuditSinkConfig } from '../audit/index.ts';

export interface WardenConfig {
  listen: { host: string; port: number };
  public_url?: string;
  allowed_origins: string[];
  /** The `auth:` section as written (snake_case) with approval and demo defaulted; the auth
   * module (src/auth/config.ts) resolves and checks the rest. */
  auth: {
    issuer?: string;
    jwks_uri?: string;
    audience?: string | string[];
    approval: { scope: string; max_age_s: number };
    /** Use the local development issuer (the embedded demo sets this). */
    demo: boolean;
    /** Token claims the policy sees as input.subject.claims. */
    policy_claims?: string[];
    [key: string]: unknown;
  };
  policy: {
    path: string;
    entrypoint: string;
    /** Bundle signature key (PEM) for a remote `path`; unsigned bundles are then rejected. */
    public_key?: string;
    key_id?: string;
    scope?: string;
    /** Remote bundles: mean seconds between polls, per-download deadline and size limit. */
    poll_s: number;
    timeout_ms: number;
    max_bytes: number;
    headers: Record<string, string>;
    /** A candidate policy (directory, bundle or bundle URL) evaluated beside the live one on
     *  every call, never enforced: disagreements are counted and logged. */
    shadow?: string;
    /** Request headers (lower case) the policy sees as input.headers. */
    input_headers: string[];
  };
  limits: {
    /** Encoded size limit of tool arguments, enforced by the policy (input.arguments_size). */
    max_payload_bytes: number;
    /** HTTP request body limit; larger bodies are refused with 413 before parsing. */
    max_body_bytes: number;
    tool_name_max_length: number;
    upstream_timeout_ms: number;
    /** Default of `upstreams[].max_answer_bytes`: an upstream we do not control cannot make the
     *  gateway buffer an answer without bound. */
    max_answer_bytes: number;
    shutdown_grace_ms: number;
  };
  /** `keys` set: session ids are sealed (src/session/seal.ts) and any replica serves any
   *  session; `ttl_s` is their absolute lifetime. Empty: in-memory sessions (one process). */
  /** `advertise_url`: where the other replicas reach this one (relayed MRTR retries of calls
   *  this replica holds, gateway/replica-relay.ts). */
  sessions: { keys: string[]; idle_timeout_s: number; ttl_s: number; advertise_url?: string };
  /** Resolved by the audit module's parseAuditConfig (defaults filled in). */
  audit: AuditConfig;
  log: { level: string };
  upstreams: UpstreamConfig[];
  /** src/registry/config.ts fills in the defaults. */
  registry: {
    state_file?: string;
    pinning?: 'off' | 'warn' | 'enforce';
    screening?: 'warn' | 'hold';
    refresh_interval_s?: number;
    namespace?: string;
  };
  /** OTLP/HTTP trace export (src/telemetry/config.ts); absent: tracing off. */
  telemetry?: TelemetryConfig;
  /** Where the config came from: a file path, or "(demo)". */
  source: string;
}

export { check };
