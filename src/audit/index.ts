export { AuditService, AuditEvent, AuditOutcome, type AuditEntry } from './audit.service.js';
export { redact, REDACTED } from './redact.js';
