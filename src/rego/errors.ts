// The one error type of the Rego front end and compiler. Every problem in a policy is reported
// as a RegoError naming the place ("policies/authz.rego:12:5") and what is wrong, never as a
// JS exception from inside the compiler: operators read these in the terminal and in logs.

import { UserInputError } from '../errors/index.ts';
import type { Loc } from './ast.ts';

/** Stable codes (never reworded): the parser uses REGO_PARSE_ERROR, the checks and the planner
 *  the others. They mirror OPA's rego_parse_error / rego_compile_error / rego_unsafe_var_error /
 *  rego_recursion_error / rego_type_error. */
export type RegoErrorCode =
  | 'REGO_PARSE_ERROR'
  | 'REGO_COMPILE_ERROR'
  | 'REGO_UNSAFE_VAR'
  | 'REGO_RECURSION'
  | 'REGO_TYPE_ERROR';

export class RegoError extends UserInputError {
  override readonly code: RegoErrorCode;
  readonly loc: Loc;

  constructor(code: RegoErrorCode, message: string, loc: Loc) {
    // A problem that is not at a place in a file (an entrypoint given on the command line)
    // has line 0 and names the culprit in `file`.
    super(code, message, { where: loc.line > 0 ? `${loc.file}:${loc.line}:${loc.col}` : loc.file });
    this.code = code;
    this.loc = loc;
  }
}

export const isRegoError = (e: unknown): e is RegoError => e instanceof RegoError;
