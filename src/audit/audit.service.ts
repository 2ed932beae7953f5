import { z } from 'zod';
import type { Logger } from 'pino';
import type { Queryable } from '../db/index.js';
import { iso, isDataException, storableText } from '../db/index.js';
import type { Actor } from '../auth/schemas.js';
import { isAppError } from '../errors/index.js';
import { MORE_KEYS, redact } from './redact.js';

/** The longest text an event keeps in one column (a target, an action); a path id is at most a few hundred characters. */
const MAX_TEXT = 1000;
/** Waits between tries of an event write that met a passing fault: about 30 s in all. */
const AUDIT_RETRY_DELAYS_MS = [100, 250, 500, 1000, 2000, 4000, 8000, 15000];

/** A text column's value as PostgreSQL can store it. */
const text = (value: string | null | undefined): string | null =>
  value === null || value === undefined ? null : storableText(value.length > MAX_TEXT ? `${value.slice(0, MAX_TEXT)}… (${value.length} chars)` : value);

/** The input as the trail keeps it (see `redact`); never throws, whatever the input. */
function safeInput(input: unknown): unknown {
  if (input === undefined) return undefined;
  try {
    return redact(input);
  } catch (error) {
    return { [MORE_KEYS]: `the input could not be copied: ${(error as Error).name}` };
  }
}

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
  actor: z.object({
    type: z.string(),
    id: z.string().nullable(),
    name: z.string().nullable().describe("A user's e-mail or an API token's name, when the actor is one of the organisation's"),
  }),
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
  actor_name?: string | null;
}

const toEvent = (r: AuditRow): AuditEvent => ({
  id: Number(r.id),
  orgId: r.org_id,
  actor: { type: r.actor_type, id: r.actor_id, name: r.actor_name ?? null },
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
  #failedWrites = 0;

  constructor(
    private readonly db: Queryable,
    private readonly logger: Logger,
  ) {}

  /**
   * Writes one event. Nothing in an entry can make the write fail: every
   * text is made storable (NUL and lone surrogates escaped) and the input is
   * a bounded, masked copy. Should the database still refuse the input, the
   * event is written without it, saying why. A failure to write at all (the
   * database unreachable) is logged with the whole event, at error level, and
   * counted in `failedWrites`; it is not thrown: the audited action already
   * happened and its caller must still get its answer.
   */
  record(entry: AuditEntry): Promise<void> {
    const write = this.writeRetrying(entry).catch((error: unknown) => {
      this.#failedWrites += 1;
      this.logger.error({ err: error, event: { ...entry, input: safeInput(entry.input) } }, 'could not write audit event');
    });
    this.#pending.add(write);
    void write.finally(() => this.#pending.delete(write));
    return write;
  }

  /** Events that could not be written since start (each is in the log, with its content). */
  get failedWrites(): number {
    return this.#failedWrites;
  }

  /** Resolves when every event recorded so far is written (used at shutdown and in tests). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  /**
   * A connection the database dropped, or a database briefly unreachable,
   * must not lose the event: passing faults are retried for up to about half
   * a minute (the audited request has its answer already, so nothing waits).
   */
  private async writeRetrying(entry: AuditEntry): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.writeOrFallBack(entry);
      } catch (error) {
        const delay = AUDIT_RETRY_DELAYS_MS[attempt];
        if (!(isAppError(error) && error.retryable) || delay === undefined) throw error;
        this.logger.warn({ err: error, action: entry.action, requestId: entry.requestId, attempt: attempt + 1 }, 'audit event not written yet; trying again');
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async writeOrFallBack(entry: AuditEntry): Promise<void> {
    const input = safeInput(entry.input);
    try {
      await this.write(entry, input);
    } catch (error) {
      if (!isDataException(error)) throw error;
      this.logger.error({ err: error, action: entry.action, requestId: entry.requestId }, 'audit event input refused by the database; recording the event without it');
      await this.write(entry, { [MORE_KEYS]: `the input could not be stored: ${storableText((error as Error).message).slice(0, 300)}` });
    }
  }

  private async write(e: AuditEntry, input: unknown): Promise<void> {
    await this.db.query(
      `INSERT INTO audit_events (org_id, actor_type, actor_id, action, target, outcome, status, request_id, ip, input, error_code)
       VALUES ((SELECT id FROM orgs WHERE id = $1::text), $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11)`,
      [
        text(e.orgId),
        text(e.actor.type),
        text(e.actor.id),
        text(e.action),
        text(e.target),
        e.outcome,
        e.status ?? null,
        text(e.requestId),
        text(e.ip),
        input === undefined ? null : JSON.stringify(input),
        text(e.errorCode),
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
      // The actor's name as the organisation knows it (a user's e-mail, a token's name), read with the event:
      // ids are all a trail keeps, and a token's UUID says nothing to the person reading it.
      `SELECT e.*, COALESCE(u.email, t.name) AS actor_name
         FROM (SELECT * FROM audit_events
                WHERE org_id = $1
                  AND ($2::text IS NULL OR action = $2 OR (right($2, 1) = '.' AND starts_with(action, $2)))
                  AND ($3::bigint IS NULL OR id < $3)
                  AND ($5::text IS NULL OR outcome = $5)
                ORDER BY id DESC LIMIT $4) e
         LEFT JOIN users u ON e.actor_type = 'user' AND u.org_id = e.org_id AND u.id::text = e.actor_id
         LEFT JOIN api_tokens t ON e.actor_type = 'token' AND t.org_id = e.org_id AND t.id::text = e.actor_id
        ORDER BY e.id DESC`,
      [orgId, action, options.before ?? null, limit, options.outcome ?? null],
    );
    return rows.map(toEvent);
  }
}
