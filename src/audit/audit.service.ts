import { z } from 'zod';
import type { Logger } from 'pino';
import type { Queryable } from '../db/index.js';
import { iso } from '../db/index.js';
import type { Actor } from '../auth/schemas.js';
import { redact } from './redact.js';

export const AuditOutcome = z.enum(['success', 'denied', 'failed']);
export type AuditOutcome = z.infer<typeof AuditOutcome>;

/** What happened, as the audit trail keeps it. */
export interface AuditEntry {
  orgId: string | null;
  actor: Actor;
  /** A verb on a noun, dotted: `user.create`, `auth.login`, `connection.delete`. */
  action: string;
  target?: string | null | undefined;
  outcome: AuditOutcome;
  status?: number | null | undefined;
  requestId?: string | null | undefined;
  ip?: string | null | undefined;
  /** The input as received; secrets are removed before it is stored. */
  input?: unknown;
  errorCode?: string | null | undefined;
}

export const AuditEvent = z.object({
  id: z.number().int(),
  orgId: z.string().nullable(),
  actor: z.object({ type: z.string(), id: z.string().nullable() }),
  action: z.string(),
  target: z.string().nullable(),
  outcome: AuditOutcome,
  status: z.number().int().nullable(),
  requestId: z.string().nullable(),
  ip: z.string().nullable(),
  input: z.unknown(),
  errorCode: z.string().nullable(),
  createdAt: z.iso.datetime(),
});
export type AuditEvent = z.infer<typeof AuditEvent>;

interface AuditRow {
  id: number;
  org_id: string | null;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target: string | null;
  outcome: AuditOutcome;
  status: number | null;
  request_id: string | null;
  ip: string | null;
  input: unknown;
  error_code: string | null;
  created_at: Date;
}

const toEvent = (r: AuditRow): AuditEvent => ({
  id: Number(r.id),
  orgId: r.org_id,
  actor: { type: r.actor_type, id: r.actor_id },
  action: r.action,
  target: r.target,
  outcome: r.outcome,
  status: r.status,
  requestId: r.request_id,
  ip: r.ip,
  input: r.input,
  errorCode: r.error_code,
  createdAt: iso(r.created_at),
});

/**
 * The one audit mechanism. The HTTP layer records every mutating call and
 * every refused one; the CLI records its actions; other parts call `record`.
 */
export class AuditService {
  readonly #pending = new Set<Promise<void>>();

  constructor(
    private readonly db: Queryable,
    private readonly logger: Logger,
  ) {}

  /**
   * Writes one event. A failure to write is logged, not thrown: the audited
   * action already happened and its caller must still get its answer.
   */
  record(entry: AuditEntry): Promise<void> {
    const write = this.write(entry).catch((error: unknown) => {
      this.logger.error({ err: error, action: entry.action }, 'could not write audit event');
    });
    this.#pending.add(write);
    void write.finally(() => this.#pending.delete(write));
    return write;
  }

  /** Resolves when every event recorded so far is written (used at shutdown and in tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  private async write(e: AuditEntry): Promise<void> {
    const input = e.input === undefined ? null : JSON.stringify(redact(e.input));
    await this.db.query(
      `INSERT INTO audit_events (org_id, actor_type, actor_id, action, target, outcome, status, request_id, ip, input, error_code)
       VALUES ((SELECT id FROM orgs WHERE id = $1::text), $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11)`,
      [
        e.orgId,
        e.actor.type,
        e.actor.id,
        e.action,
        e.target ?? null,
        e.outcome,
        e.status ?? null,
        e.requestId ?? null,
        e.ip ?? null,
        input,
        e.errorCode ?? null,
      ],
    );
  }

  /**
   * Deletes the events of one organisation (null: of none) created before
   * `before` (SLUICE_AUDIT_RETENTION_DAYS), a few thousand per statement so
   * a first sweep of a long history holds no lock for long; returns how many.
   */
  async deleteOlderThan(orgId: string | null, before: Date, batch = 5000): Promise<number> {
    let deleted = 0;
    for (;;) {
      const { rowCount } = await this.db.query(
        `DELETE FROM audit_events WHERE id IN (
           SELECT id FROM audit_events
            WHERE ${orgId === null ? 'org_id IS NULL AND $1::text IS NULL' : 'org_id = $1'} AND created_at < $2
            LIMIT $3)`,
        [orgId, before, batch],
      );
      deleted += rowCount;
      if (rowCount < batch) return deleted;
    }
  }

  /** The newest events of one organisation, optionally of one action (or a prefix: `user.`). */
  async list(orgId: string, options: { limit?: number | undefined; action?: string | undefined; before?: number | undefined; outcome?: AuditOutcome | undefined } = {}): Promise<AuditEvent[]> {
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
    const action = options.action ?? null;
    const { rows } = await this.db.query<AuditRow>(
      `SELECT * FROM audit_events
        WHERE org_id = $1
          AND ($2::text IS NULL OR action = $2 OR (right($2, 1) = '.' AND starts_with(action, $2)))
          AND ($3::bigint IS NULL OR id < $3)
          AND ($5::text IS NULL OR outcome = $5)
        ORDER BY id DESC LIMIT $4`,
      [orgId, action, options.before ?? null, limit, options.outcome ?? null],
    );
    return rows.map(toEvent);
  }
}
