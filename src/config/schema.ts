// The typed config the rest of the gateway reads, as buildConfig (load.ts) fills it in from
// warden.yaml. What may be written there is schema/warden.schema.json (PRODUCT.md
// "Configuration"; keys beyond the contract are documented in README "Configuration").

import type { AuditConfig } from '../audit/index.ts';
import type { TelemetryConfig } from '../telemetry/config.ts';

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
  /** /readyz fails while this upstream is undiscovered (default false: one dead third-party
   *  upstream must not take every replica out of its Service). */
  required?: boolean;
  /** Identity headers of the client the drop-in route forwards to this upstream (lower-case;
   *  absent when built by hand, e.g. in tests: none). */
  forward_headers?: string[];
  /** stdio: `shared` (default), one child for every subject; `per_subject`, one each. */
  isolation?: 'shared' | 'per_subject';
  /** per_subject: children running at once (default 32); one more subject gets 503. */
  max_children?: number;
  /** per_subject: a child with no call in flight for this long ends (default 300). */
  child_idle_s?: number;
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
    approval: { scope: string; max_age_s: number; time_claims?: string[] };
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
    /** A local directory or bundle file is watched and hot-reloaded (default true). */
    watch?: boolean;
    /** Rego version of sources no bundle manifest versions (v0 = OPA's --v0-compatible). */
    rego_version?: 'v0' | 'v1';
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
    /** Read deadline of a request body (408 when it has not arrived in time). */
    body_timeout_ms: number;
    /** In-memory sessions one subject holds per route (gateway/session-cap.ts); default 64. */
    max_sessions_per_subject: number;
  };
  /** `keys` set: session ids are sealed (src/session/seal.ts) and any replica serves any
   *  session; `ttl_s` is their absolute lifetime. Empty: in-memory sessions (one process). */
  /** `advertise_url`: where the other replicas reach this one (relayed MRTR retries of calls
   *  this replica holds, gateway/replica-relay.ts). */
  sessions: { keys: string[]; idle_timeout_s: number; ttl_s: number; advertise_url?: string };
  /** Resolved by the audit module's parseAuditConfig (defaults filled in). */
  audit: AuditConfig;
  /** `format` absent: pretty on a terminal, JSON otherwise (gateway/log.ts). */
  log: { level: string; format?: 'json' | 'pretty' };
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
