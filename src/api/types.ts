import type { Actor, Principal, Role } from '../auth/index.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Who may call the route: `public` (no token), or the least role needed.
     * Unset: viewer for GET/HEAD, editor for anything that changes state.
     */
    auth?: 'public' | 'control' | 'airflow' | Role;
    /** The audit action (`user.create`); `false` when the route audits itself. Unset: `METHOD /route`. */
    audit?: string | false;
    /** The error code for a body that fails its schema: `invalid_config` (422) for configuration documents. Unset: 400. */
    bodyErrorCode?: 'invalid_config';
    /** Masks what the generic redaction cannot see before the body goes to the audit trail (valid or not). */
    auditBody?: (body: unknown) => unknown;
  }
  interface FastifyRequest {
    /** The authenticated caller; set on every non-public /api route before the handler runs. */
    principal?: Principal;
    /** Audit details a handler can add: what was acted on, and for refused logins, whose account. */
    audit: { target?: string; orgId?: string; actor?: Actor; errorCode?: string };
  }
}

export {};
