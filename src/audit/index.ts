// Public surface of the audit module (issue #5): records, redaction, sinks, verification.
export { createAuditor, type Auditor, type AuditMetrics } from './auditor.ts';
export { parseAuditConfig, type AuditConfig, type SinkConfig } from './config.ts';
export { type AuditInput, type AuditDecision, type AuditOutcome, summarize } from './record.ts';
export { AuditUnavailableError, AuditClosedError } from './errors.ts';
export { canonicalize, recordHash, GENESIS } from './canonical.ts';
export { verifyFiles, type VerifyResult, type VerifyProblem } from './verify.ts';
export { buildRedactor, type Redactor, type RedactionCounts } from './redact/index.ts';
