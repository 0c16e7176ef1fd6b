// One error family for everything that is the gateway's own failure or a user's mistake.
// Each error has a stable `code` (never reworded: operators grep logs and alert on them), an
// HTTP status for when it reaches the HTTP boundary, and optionally a JSON-RPC error code for
// when it is answered inside an MCP exchange. Conversion to responses happens at one boundary
// (src/transport), never where the error is thrown.

export interface WardenErrorOptions {
  status?: number;
  rpcCode?: number;
  cause?: unknown;
  /** Where a user's input is at fault: "policies/mcp/authz.rego:12:5" or "upstreams[1].url". */
  where?: string;
  details?: Record<string, unknown>;
}

export class WardenError extends Error {
  readonly code: string;
  readonly status: number;
  readonly rpcCode: number;
  readonly where?: string;
  readonly details?: Record<string, unknown>;

  constructor(code: string, message: string, opts: WardenErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = opts.status ?? 500;
    this.rpcCode = opts.rpcCode ?? -32603;
    this.where = opts.where;
    this.details = opts.details;
  }

  /** One line for a terminal: "file:line:col: message" when a place is known. */
  toLine(): string {
    return this.where ? `${this.where}: ${this.message}` : this.message;
  }
}

/** A user's input (Rego source, config, CLI arguments) is wrong. The CLI exits 2 on these. */
export class UserInputError extends WardenError {
  constructor(code: string, message: string, opts: WardenErrorOptions = {}) {
    super(code, message, { status: 400, rpcCode: -32602, ...opts });
  }
}

export const isWardenError = (e: unknown): e is WardenError => e instanceof WardenError;
