// The gateway's view of the policy: one pure function per decision. The real implementation
// is the WASM engine (src/policy/engine.ts) evaluating `mcp/authz/decision`; embedders and
// tests may pass any other PolicyDecider to createGateway. The gateway fails closed: a policy
// that errors or returns no well-formed decision denies. `policy.path` may also be the URL of
// a bundle server (src/policy/remote.ts): openPolicy builds either kind from the config.

import type { WardenConfig } from '../config/schema.ts';
import type { Decision, PolicyInput } from '../policy/input.ts';
import type { RemotePolicy, RemotePolicyLogger } from '../policy/remote.ts';

/** A decision and the revision of the bundle that made it (a remote bundle may have been
 *  swapped between the start of a request and its decision: the audit record wants this one). */
export type PolicyDecision = Decision & { revision?: string };

export interface PolicyDecider {
  /** Revision of the active bundle, recorded in every audit record. */
  readonly revision: string;
  decide(input: PolicyInput): PolicyDecision;
}

const NO_DECISION = 'policy returned no decision';

/** Coerces an entrypoint result into a Decision; anything malformed is a denial. */
export function toDecision(result: unknown): Decision {
  const r = result as { allow?: unknown; reasons?: unknown } | undefined;
  if (!r || typeof r !== 'object' || typeof r.allow !== 'boolean')
    return { allow: false, reasons: [NO_DECISION] };
  const reasons = Array.isArray(r.reasons)
    ? r.reasons.filter((x): x is string => typeof x === 'string')
    : [];
  // `allow: true` with reasons is contradictory: trust the reasons (deny).
  if (r.allow && reasons.length === 0) return { allow: true, reasons: [] };
  return { allow: false, reasons: reasons.length ? reasons : [NO_DECISION] };
}

/** Loads the Rego directory or bundle at `path` through the WASM engine. */
export async function loadPolicyDecider(
  path: string,
  entrypoint: string,
  regoVersion?: 'v0' | 'v1',
): Promise<PolicyDecider> {
  // Imported lazily: the engine pulls in the Rego compiler, which `warden serve --help` and
  // config-only code paths do not need.
  const { loadEngine } = await import('../policy/engine.ts');
  // A Rego directory is compiled for exactly this entrypoint (the compiler's default is
  // mcp/authz/decision, so any other entrypoint would be missing from the module).
  const engine = await loadEngine(path, { entrypoints: [entrypoint], regoVersion });
  // A local policy never changes under the decider: its decisions need no revision of their own.
  return {
    revision: engine.revision,
    decide(input) {
      try {
        return toDecision(engine.evaluate(input, entrypoint).result);
      } catch (e) {
        return { allow: false, reasons: [`policy evaluation failed: ${(e as Error).message}`] };
      }
    },
  };
}

/** The policy a config describes: a local decider, or one following a bundle server. */
export interface PolicySource {
  decider: PolicyDecider;
  /** Set when `policy.path` is a URL: its status shows in /readyz and /metrics. */
  remote?: RemotePolicy;
  /** Equal keys mean "the same policy": a reload keeps the source (and the remote's poller). */
  key: string;
  close(): void;
}

export interface PolicyHooks {
  log: RemotePolicyLogger;
  /** A bundle was activated (the first one included). */
  activated?(revision: string, previous?: string): void;
  /** A poll failed or a bundle was rejected (the active one, if any, stays); `code` is the
   *  error's stable code (e.g. POLICY_BUNDLE_INVALID, POLICY_REMOTE_UNAVAILABLE). */
  rejected?(code: string): void;
}

/** Identity of a policy config: everything that changes what is loaded or how. */
export const policyKey = (p: WardenConfig['policy']): string =>
  JSON.stringify([
    p.path,
    p.entrypoint,
    p.public_key,
    p.key_id,
    p.scope,
    p.poll_s,
    p.timeout_ms,
    p.max_bytes,
    p.headers,
  ]);

export async function openPolicy(
  p: WardenConfig['policy'],
  hooks: PolicyHooks,
): Promise<PolicySource> {
  const key = policyKey(p);
  const { isRemotePolicyPath, createRemotePolicy, remotePolicyDecider } =
    await import('../policy/remote.ts');
  if (!isRemotePolicyPath(p.path))
    return {
      decider: await loadPolicyDecider(p.path, p.entrypoint, p.rego_version),
      key,
      close() {},
    };
  // The module logs every rejection at warn (nothing active yet) or error (old bundle kept),
  // with the error's stable code in `err.code`: the gateway counts them through the same calls.
  const code = (o: object) =>
    (o as { err?: { code?: string } }).err?.code ?? 'POLICY_REMOTE_UNAVAILABLE';
  const log: RemotePolicyLogger = {
    info: (o, m) => hooks.log.info(o, m),
    warn: (o, m) => (hooks.log.warn(o, m), hooks.rejected?.(code(o))),
    error: (o, m) => (hooks.log.error(o, m), hooks.rejected?.(code(o))),
  };
  const r = await createRemotePolicy({
    url: p.path,
    entrypoint: p.entrypoint,
    ...(p.public_key
      ? {
          publicKey: {
            publicKey: p.public_key,
            ...(p.key_id ? { keyId: p.key_id } : {}),
            ...(p.scope ? { scope: p.scope } : {}),
          },
        }
      : {}),
    intervalS: p.poll_s,
    timeoutMs: p.timeout_ms,
    maxBytes: p.max_bytes,
    headers: p.headers,
    // Compile only what the gateway evaluates (as loadPolicyDecider does).
    engine: { entrypoints: [p.entrypoint], regoVersion: p.rego_version },
    onUpdate: (_e, info) => hooks.activated?.(info.revision, info.previous),
    log,
  });
  return { decider: remotePolicyDecider(r, p.entrypoint), remote: r, key, close: () => r.close() };
}
