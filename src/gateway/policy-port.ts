// The gateway's view of the policy: one pure function per decision. The real implementation
// is the WASM engine (src/policy/engine.ts) evaluating `mcp/authz/decision`; embedders and
// tests may pass any other PolicyDecider to createGateway. The gateway fails closed: a policy
// that errors or returns no well-formed decision denies.

import type { Decision, PolicyInput } from '../policy/input.ts';

export interface PolicyDecider {
  /** Bundle revision, recorded in every audit record. */
  readonly revision: string;
  decide(input: PolicyInput): Decision;
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
export async function loadPolicyDecider(path: string, entrypoint: string): Promise<PolicyDecider> {
  // Imported lazily: the engine pulls in the Rego compiler, which `warden serve --help` and
  // config-only code paths do not need.
  const { loadEngine } = await import('../policy/engine.ts');
  // A Rego directory is compiled for exactly this entrypoint (the compiler's default is
  // mcp/authz/decision, so any other entrypoint would be missing from the module).
  const engine = await loadEngine(path, { entrypoints: [entrypoint] });
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
