// Error codes of the policy layer (loading sources and bundles, evaluating the WASM module).
// Codes are stable identifiers (see src/errors/index.ts); messages may be reworded.
import { UserInputError, WardenError, type WardenErrorOptions } from '../errors/index.ts';

export const PolicyErrorCode = {
  /** A policy directory, bundle file or data file cannot be read. */
  SOURCE_UNREADABLE: 'POLICY_SOURCE_UNREADABLE',
  /** A bundle is malformed: bad gzip/tar, path traversal, oversized entry, bad manifest. */
  BUNDLE_INVALID: 'POLICY_BUNDLE_INVALID',
  /** Two data files (or a data file and a manifest root) write the same path. */
  DATA_CONFLICT: 'POLICY_DATA_CONFLICT',
  /** The requested entrypoint is not one the module exports. */
  ENTRYPOINT_UNKNOWN: 'POLICY_ENTRYPOINT_UNKNOWN',
  /** The module calls builtins that have neither a host nor an SDK implementation. */
  BUILTIN_MISSING: 'POLICY_BUILTIN_MISSING',
  /** Evaluation failed: opa_abort (conflicts), a builtin threw, or the module trapped. */
  EVAL_ERROR: 'POLICY_EVAL_ERROR',
  /** The input document exceeds the configured size or nesting depth. */
  INPUT_TOO_LARGE: 'POLICY_INPUT_TOO_LARGE',
  /** The input document cannot be encoded as JSON (cycles, BigInt, …). */
  INPUT_INVALID: 'POLICY_INPUT_INVALID',
} as const;

export type PolicyErrorCodeValue = (typeof PolicyErrorCode)[keyof typeof PolicyErrorCode];

/** A problem with what the operator handed us (files, bundles, entrypoint names). */
export function policyUserError(
  code: PolicyErrorCodeValue,
  message: string,
  opts: WardenErrorOptions = {},
): UserInputError {
  return new UserInputError(code, message, opts);
}

/** A failure while evaluating: the request cannot be decided. 500 at the HTTP boundary,
 *  -32603 (internal error) inside MCP — the caller is not at fault. */
export function policyEvalError(
  code: PolicyErrorCodeValue,
  message: string,
  opts: WardenErrorOptions = {},
): WardenError {
  return new WardenError(code, message, { status: 500, rpcCode: -32603, ...opts });
}
