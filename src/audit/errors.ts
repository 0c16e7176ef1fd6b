// The audit module's errors (codes are stable; see src/errors).
import { WardenError } from '../errors/index.ts';

/** A remote sink's spool is full and `audit.on_full` is `reject`: the gateway answers 503
 *  (with Retry-After) instead of taking a call it could not audit. */
export class AuditUnavailableError extends WardenError {
  constructor(sinks: string[]) {
    super('AUDIT_SPOOL_FULL', `audit spool full for ${sinks.join(', ')}; try again later`, {
      status: 503,
      rpcCode: -32603,
      details: { sinks, retry_after_s: 1 },
    });
  }
}

/** record() after close(). */
export class AuditClosedError extends WardenError {
  constructor() {
    super('AUDIT_CLOSED', 'the audit log is closed', { status: 503 });
  }
}
