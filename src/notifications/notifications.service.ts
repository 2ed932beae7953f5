import { randomUUID } from 'node:crypto';
import type { Actor } from '../auth/index.js';
import type { Database } from '../db/index.js';
import { iso } from '../db/index.js';
import { isAppError, notFound, validationFailed } from '../errors/index.js';
import { fieldIssues } from '../errors/validate.js';
import { checkUrlHost, maskUrl, type AddressPolicy, type HttpClient, type RetryPolicy } from '../connectors/http/transport/index.js';
import type { Logger } from '../logger.js';
import type { SecretBox } from '../secrets/index.js';
import { createMailer, type Mailer } from './email.js';
import { mailContent, sampleNotification, webhookPayload, type RunNotification } from './message.js';
import {
  DeliveryQuery,
  defaultEvents,
  TargetInput,
  type CreatedTarget,
  type Delivery,
  type DeliveryStatus,
  type NotificationEvent,
  type Target,
  type TargetKind,
} from './notification.schema.js';
import { generateSigningSecret } from './signature.js';
import { sendWebhook, type SendOutcome } from './webhook.js';

interface TargetRow {
  id: string;
  org_id: string;
  connection_id: string | null;
  kind: TargetKind;
  url: string | null;
  address: string | null;
  events: NotificationEvent[];
  secret: string | null;
  enabled: boolean;
  created_by: string | null;
  created_at: Date;
}

interface DeliveryRow {
  id: string;
  org_id: string;
  target_id: string | null;
  kind: TargetKind;
  destination: string;
  run_id: string;
  event: NotificationEvent;
  test: boolean;
  status: DeliveryStatus;
  attempts: number;
  response_status: number | null;
  error: string | null;
  created_at: Date;
}

/** How one delivery of a notification to one target ended; also stored as a delivery row. */
export interface DeliveryOutcome {
  deliveryId: string;
  targetId: string;
  kind: TargetKind;
  status: DeliveryStatus;
  attempts: number;
  responseStatus: number | null;
  error: string | null;
}

export interface NotificationsOptions {
  db: Database;
  box: SecretBox;
  /** The SSRF-guarded client; webhook URLs are user input. */
  client: HttpClient;
  /** The guard's policy (`Config.sources`), to refuse private IP literals when a webhook is created. */
  policy: AddressPolicy;
  logger: Logger;
  /** `Config.notifications`: e-mail is sent only with `smtpUrl`. */
  smtp: { smtpUrl: string | undefined; smtpFrom: string };
  /** Webhook retries; default WEBHOOK_RETRY_POLICY (3 attempts). */
  webhookRetry?: RetryPolicy | undefined;
  /** E-mail retries; default MAIL_RETRY_POLICY (3 attempts). */
  mailRetry?: RetryPolicy | undefined;
  /** Deadline of one webhook attempt; default 10 s. */
  timeoutMs?: number | undefined;
  /** Waits between attempts; tests inject a short one. */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
}

/** The signing secret is bound to its organisation and target: a sealed value copied to another row does not open. */
const sealContext = (orgId: string, targetId: string) => `org:${orgId}:notification:${targetId}`;

const SMTP_NOT_SET = 'SMTP_URL is not set: e-mail notifications are off';

/**
 * Where an organisation hears about finished runs (webhooks, e-mail), and
 * the sending itself. Signing secrets are sealed at rest and shown only in
 * the answer to `createTarget`. `notify` never throws: a notification that
 * fails is recorded as a failed delivery and must not fail the run.
 */
export class NotificationsService {
  readonly #mailer: Mailer | undefined;

  constructor(private readonly options: NotificationsOptions) {
    const { smtpUrl, smtpFrom } = options.smtp;
    this.#mailer = smtpUrl ? createMailer({ smtpUrl, from: smtpFrom, retry: options.mailRetry, sleep: options.sleep }) : undefined;
  }

  /** Whether e-mail can be sent (SMTP_URL is set). */
  get emailEnabled(): boolean {
    return this.#mailer !== undefined;
  }

  async listTargets(orgId: string): Promise<Target[]> {
    const { rows } = await this.options.db.query<TargetRow>('SELECT * FROM notification_targets WHERE org_id = $1 ORDER BY created_at, id', [orgId]);
    return rows.map(toTarget);
  }

  async getTarget(orgId: string, id: string): Promise<Target> {
    return toTarget(await this.row(orgId, id));
  }

  /**
   * Adds a target; 422 naming the field for bad input. For a webhook the
   * answer carries its signing secret, this once: only a sealed copy is kept.
   */
  async createTarget(orgId: string, input: unknown, actor: Actor): Promise<CreatedTarget> {
    const parsed = TargetInput.safeParse(input);
    if (!parsed.success) throw validationFailed(fieldIssues(parsed.error), 'invalid_config');
    const target = parsed.data;
    const connectionId = target.connectionId ?? null;
    if (connectionId !== null) {
      const { rowCount } = await this.options.db.query('SELECT 1 FROM connections WHERE org_id = $1 AND id = $2', [orgId, connectionId]);
      if (rowCount === 0) {
        throw validationFailed([{ field: 'connectionId', message: `no connection ${JSON.stringify(connectionId)} in this organisation` }], 'invalid_config');
      }
    }
    if (target.kind === 'webhook') this.checkWebhookUrl(target.url);

    const id = randomUUID();
    const secret = target.kind === 'webhook' ? generateSigningSecret() : undefined;
    const { rows } = await this.options.db.query<TargetRow>(
      `INSERT INTO notification_targets (id, org_id, connection_id, kind, url, address, events, secret, enabled, created_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7::text[], $8, $9, $10) RETURNING *`,
      [
        id,
        orgId,
        connectionId,
        target.kind,
        target.kind === 'webhook' ? target.url : null,
        target.kind === 'email' ? target.address : null,
        target.events ?? defaultEvents(connectionId),
        secret === undefined ? null : this.options.box.seal(secret, sealContext(orgId, id)),
        target.enabled ?? true,
        `${actor.type}:${actor.id ?? ''}`,
      ],
    );
    return { ...toTarget(rows[0]!), ...(secret !== undefined && { secret }) };
  }

  async deleteTarget(orgId: string, id: string): Promise<void> {
    const { rowCount } = await this.options.db.query('DELETE FROM notification_targets WHERE org_id = $1 AND id = $2', [orgId, id]);
    if (rowCount === 0) throw notFound('Notification target', id);
  }

  /** Deliveries, newest first; optionally of one target or one run. */
  async listDeliveries(orgId: string, query: DeliveryQuery = {}): Promise<Delivery[]> {
    const parsed = DeliveryQuery.safeParse(query);
    if (!parsed.success) throw validationFailed(fieldIssues(parsed.error));
    const { targetId, runId, limit } = parsed.data;
    const params: unknown[] = [orgId];
    const where = ['org_id = $1'];
    if (targetId !== undefined) where.push(`target_id = $${params.push(targetId)}`);
    if (runId !== undefined) where.push(`run_id = $${params.push(runId)}`);
    const { rows } = await this.options.db.query<DeliveryRow>(
      `SELECT * FROM notification_deliveries WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${params.push(limit)}`,
      params,
    );
    return rows.map(toDelivery);
  }

  /**
   * Tells every enabled target of the run's organisation that wants this
   * event (targets of the run's connection and organisation-wide ones),
   * in parallel, and records a delivery for each. Never throws: failures are
   * in the outcomes, in the delivery rows and in the log.
   */
  async notify(notification: RunNotification, options: { signal?: AbortSignal } = {}): Promise<DeliveryOutcome[]> {
    const log = this.options.logger.child({ orgId: notification.orgId, runId: notification.runId, event: notification.event });
    let targets: TargetRow[];
    try {
      const { rows } = await this.options.db.query<TargetRow>(
        `SELECT * FROM notification_targets
          WHERE org_id = $1 AND enabled AND $2 = ANY (events) AND (connection_id IS NULL OR connection_id = $3)
          ORDER BY created_at, id`,
        [notification.orgId, notification.event, notification.connectionId],
      );
      targets = rows;
    } catch (error) {
      log.error({ err: error }, 'could not read the notification targets; no notification sent');
      return [];
    }
    return Promise.all(targets.map((row) => this.deliver(row, notification, false, options.signal)));
  }

  /** Sends a sample notification (marked as a test) to one target, enabled or not, and records it. */
  async sendTest(orgId: string, id: string): Promise<DeliveryOutcome> {
    const row = await this.row(orgId, id);
    const event = row.events.includes('run.failed') ? 'run.failed' : row.events[0]!;
    const sample = sampleNotification(orgId, `test-${randomUUID()}`, event, row.connection_id);
    return this.deliver(row, sample, true);
  }

  private async deliver(row: TargetRow, notification: RunNotification, test: boolean, signal?: AbortSignal): Promise<DeliveryOutcome> {
    const deliveryId = randomUUID();
    const started = new Date();
    const log = this.options.logger.child({ orgId: row.org_id, runId: notification.runId, targetId: row.id, deliveryId });
    let outcome: SendOutcome;
    try {
      outcome = await this.send(row, notification, deliveryId, started, test, signal);
    } catch (error) {
      // send() reports failures itself; reaching here is a bug, but still no reason to fail a run.
      log.error({ err: error }, 'notification delivery failed unexpectedly');
      outcome = { status: 'failed', attempts: 0, responseStatus: null, error: isAppError(error) ? error.message : 'Unexpected error; see the server log' };
    }
    if (outcome.status === 'failed') log.warn({ attempts: outcome.attempts, responseStatus: outcome.responseStatus, error: outcome.error }, 'notification not delivered');
    try {
      await this.options.db.query(
        `INSERT INTO notification_deliveries
           (id, org_id, target_id, kind, destination, run_id, event, test, status, attempts, response_status, error, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
        [
          deliveryId,
          row.org_id,
          row.id,
          row.kind,
          destinationOf(row),
          notification.runId,
          notification.event,
          test,
          outcome.status,
          outcome.attempts,
          outcome.responseStatus,
          outcome.error,
          started,
        ],
      );
    } catch (error) {
      log.error({ err: error, status: outcome.status }, 'could not record the notification delivery');
    }
    return { deliveryId, targetId: row.id, kind: row.kind, ...outcome };
  }

  private async send(row: TargetRow, notification: RunNotification, deliveryId: string, started: Date, test: boolean, signal?: AbortSignal): Promise<SendOutcome> {
    switch (row.kind) {
      case 'webhook': {
        const secret = this.options.box.open(row.secret!, sealContext(row.org_id, row.id));
        return sendWebhook(row.url!, secret, webhookPayload(notification, deliveryId, started, test), {
          client: this.options.client,
          retry: this.options.webhookRetry,
          timeoutMs: this.options.timeoutMs,
          signal,
          sleep: this.options.sleep,
        });
      }
      case 'email':
        if (!this.#mailer) return { status: 'skipped', attempts: 0, responseStatus: null, error: SMTP_NOT_SET };
        return this.#mailer.send(row.address!, mailContent(notification, test), { signal });
    }
  }

  /** Refuses IP literals the guard would refuse anyway, so the mistake shows at once; names are checked at each delivery. */
  private checkWebhookUrl(url: string): void {
    try {
      checkUrlHost(new URL(url), this.options.policy);
    } catch (error) {
      if (isAppError(error)) throw validationFailed([{ field: 'url', message: error.message }], 'invalid_config');
      throw error;
    }
  }

  private async row(orgId: string, id: string): Promise<TargetRow> {
    const { rows } = await this.options.db.query<TargetRow>('SELECT * FROM notification_targets WHERE org_id = $1 AND id = $2', [orgId, id]);
    if (!rows[0]) throw notFound('Notification target', id);
    return rows[0];
  }
}

const destinationOf = (row: TargetRow): string => (row.kind === 'webhook' ? maskUrl(row.url!) : row.address!);

function toTarget(row: TargetRow): Target {
  return {
    id: row.id,
    orgId: row.org_id,
    kind: row.kind,
    url: row.url,
    address: row.address,
    connectionId: row.connection_id,
    events: row.events,
    enabled: row.enabled,
    createdBy: row.created_by,
    createdAt: iso(row.created_at),
  };
}

function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: row.id,
    orgId: row.org_id,
    targetId: row.target_id,
    kind: row.kind,
    destination: row.destination,
    runId: row.run_id,
    event: row.event,
    test: row.test,
    status: row.status,
    attempts: row.attempts,
    responseStatus: row.response_status,
    error: row.error,
    createdAt: iso(row.created_at),
  };
}
