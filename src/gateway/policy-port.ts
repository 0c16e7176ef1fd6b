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
  /** With `policy.shadow`: evaluates the candidate on the same input after the call was
   *  decided (off the call's path) and reports a disagreement; never changes `live`. */
  shadow?(input: PolicyInput, live: Decision): void;
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

/** Where print() output of a serving policy goes: the gateway logs it at debug. */
export type PolicyPrint = (o: { text: string; where?: string }) => void;

/** Loads the Rego directory or bundle at `path` through the WASM engine. */
export async function loadPolicyDecider(
  path: string,
  entrypoint: string,
  opts: { regoVersion?: 'v0' | 'v1'; print?: PolicyPrint } = {},
): Promise<PolicyDecider> {
  // Imported lazily: the engine pulls in the Rego compiler, which `warden serve --help` and
  // config-only code paths do not need.
  const { loadEngine } = await import('../policy/engine.ts');
  // A Rego directory is compiled for exactly this entrypoint (the compiler's default is
  // mcp/authz/decision, so any other entrypoint would be missing from the module).
  const { regoVersion, print } = opts;
  const engine = await loadEngine(path, {
    entrypoints: [entrypoint],
    regoVersion,
    ...(print ? { output: (o) => o.kind === 'print' && print(o) } : {}),
  });
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
  log: RemotePolicyLogger & { debug?(obj: object, msg: string): void };
  /** A bundle was activated (the first one included). */
  activated?(revision: string, previous?: string): void;
  /** A poll failed or a bundle was rejected (the active one, if any, stays); `code` is the
   *  error's stable code (e.g. POLICY_BUNDLE_INVALID, POLICY_REMOTE_UNAVAILABLE). */
  rejected?(code: string): void;
  /** The shadow policy decided a call otherwise than the live one (bounded outcomes). */
  shadowDisagreed?(live: ShadowOutcome, shadow: ShadowOutcome): void;
}

/** A decision's outcome for the shadow comparison; `error` = the candidate failed. */
export type ShadowOutcome = 'allow' | 'deny' | 'ask' | 'error';

const EVAL_FAILED = /^policy evaluation failed: /;

function outcome(d: Decision): ShadowOutcome {
  if (d.allow) return 'allow';
  if ((d as { ask?: unknown }).ask !== undefined) return 'ask';
  return d.reasons.some((r) => EVAL_FAILED.test(r)) ? 'error' : 'deny';
}

/**
 * The live decider with a candidate beside it. The candidate runs after the live decision
 * is made, in a later turn of the event loop, so it adds nothing to the call's latency and
 * cannot change or delay what the live policy decided; a candidate that fails counts as an
 * `error` outcome. Disagreements are counted and logged with the tool, upstream and subject
 * (not the arguments: the log is not the audit trail and would bypass its redaction).
 */
export function withShadow(
  live: PolicyDecider,
  candidate: PolicyDecider,
  hooks: PolicyHooks,
): PolicyDecider {
  return {
    get revision() {
      return live.revision;
    },
    decide: (input) => live.decide(input),
    shadow(input, liveDecision) {
      setImmediate(() => {
        let d: Decision;
        try {
          d = candidate.decide(input);
        } catch (e) {
          d = { allow: false, reasons: [`policy evaluation failed: ${(e as Error).message}`] };
        }
        const a = outcome(liveDecision);
        const b = outcome(d);
        if (a === b) return;
        hooks.shadowDisagreed?.(a, b);
        hooks.log.info(
          {
            shadow: { live: a, candidate: b, reasons: d.reasons, revision: candidate.revision },
            upstream: input.upstream,
            tool: input.tool_name,
            subject: input.subject?.sub,
            request_id: input.request.id,
          },
          'shadow policy disagrees',
        );
      });
    },
  };
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
    p.shadow,
    p.rego_version,
  ]);

export async function openPolicy(
  p: WardenConfig['policy'],
  hooks: PolicyHooks,
): Promise<PolicySource> {
  if (p.shadow === undefined) return openOne(p, hooks);
  const live = await openOne({ ...p, shadow: undefined }, hooks);
  let candidate: PolicySource;
  try {
    // The candidate is followed like the live policy (a directory, bundle or bundle URL);
    // its bundle activations are not the live policy's, so they are not counted as such.
    candidate = await openOne({ ...p, path: p.shadow, shadow: undefined }, { log: hooks.log });
  } catch (e) {
    live.close();
    throw e;
  }
  return {
    ...live,
    decider: withShadow(live.decider, candidate.decider, hooks),
    key: policyKey(p),
    close() {
      live.close();
      candidate.close();
    },
  };
}

async function openOne(p: WardenConfig['policy'], hooks: PolicyHooks): Promise<PolicySource> {
  const key = policyKey(p);
  const debug = hooks.log.debug?.bind(hooks.log);
  const print: PolicyPrint | undefined = debug
    ? (o) => debug({ print: o.text, where: o.where }, 'policy print')
    : undefined;
  const { isRemotePolicyPath, createRemotePolicy, remotePolicyDecider } =
    await import('../policy/remote.ts');
  if (!isRemotePolicyPath(p.path))
    return {
      decider: await loadPolicyDecider(p.path, p.entrypoint, {
        regoVersion: p.rego_version,
        print,
      }),
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
    engine: {
      entrypoints: [p.entrypoint],
      regoVersion: p.rego_version,
      ...(print ? { output: (o) => o.kind === 'print' && print(o) } : {}),
    },
    onUpdate: (_e, info) => hooks.activated?.(info.revision, info.previous),
    log,
  });
  return { decider: remotePolicyDecider(r, p.entrypoint), remote: r, key, close: () => r.close() };
}
