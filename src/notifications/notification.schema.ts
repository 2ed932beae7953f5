import { z } from 'zod';
import { ConnectionId } from '../connections/index.js';

/** What a notification is about: the end of a run, or a forecast that found items to reorder. */
export const NotificationEvent = z.enum(['run.succeeded', 'run.failed', 'forecast.reorder']);
export type NotificationEvent = z.infer<typeof NotificationEvent>;

export const NOTIFICATION_EVENTS: readonly NotificationEvent[] = NotificationEvent.options;

/** The events a target hears when it names none: all of them, but a connection's target only its runs' (a forecast belongs to no connection). */
export const defaultEvents = (connectionId: string | null): NotificationEvent[] => (connectionId === null ? [...NOTIFICATION_EVENTS] : ['run.succeeded', 'run.failed']);

export const TargetKind = z.enum(['webhook', 'email']);
export type TargetKind = z.infer<typeof TargetKind>;

export const DeliveryStatus = z.enum(['sent', 'failed', 'skipped']);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

const WebhookUrl = z
  .string()
  .trim()
  .max(2000)
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
      } catch {
        return false;
      }
    },
    { message: 'must be an http:// or https:// URL' },
  );

const common = {
  /** Only runs of this connection; absent or null: every run of the organisation. */
  connectionId: ConnectionId.nullable().optional(),
  events: z
    .array(NotificationEvent)
    .min(1, { message: 'name at least one event' })
    .transform((events) => [...new Set(events)])
    .optional(),
  enabled: z.boolean().optional(),
};

/** The body of `POST /api/notifications`. */
export const TargetInput = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('webhook'), url: WebhookUrl, ...common }).strict(),
  z.object({ kind: z.literal('email'), address: z.email({ message: 'must be an e-mail address' }).max(320), ...common }).strict(),
]);
export type TargetInput = z.infer<typeof TargetInput>;

/** A notification target as the API shows it: never with its signing secret. */
export const Target = z.object({
  id: z.string(),
  orgId: z.string(),
  kind: TargetKind,
  url: z.string().nullable().describe('The webhook URL; null for e-mail'),
  address: z.string().nullable().describe('The e-mail address; null for webhooks'),
  connectionId: z.string().nullable().describe('Only runs of this connection; null: every run of the organisation'),
  events: z.array(NotificationEvent),
  enabled: z.boolean(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
});
export type Target = z.infer<typeof Target>;

/** The answer to creating a target: for a webhook, its signing secret, shown this once. */
export const CreatedTarget = Target.extend({
  secret: z.string().optional().describe('The HMAC signing secret of a webhook; shown only in this answer'),
});
export type CreatedTarget = z.infer<typeof CreatedTarget>;

/** One attempt to tell one target about one run (with its retries). */
export const Delivery = z.object({
  id: z.string(),
  orgId: z.string(),
  targetId: z.string().nullable().describe('Null once the target is deleted'),
  kind: TargetKind,
  destination: z.string().describe('The webhook URL (secret query values masked) or the e-mail address'),
  runId: z.string(),
  event: NotificationEvent,
  test: z.boolean(),
  status: DeliveryStatus,
  attempts: z.number().int(),
  responseStatus: z.number().int().nullable(),
  error: z.string().nullable(),
  createdAt: z.string(),
});
export type Delivery = z.infer<typeof Delivery>;

export const DeliveryQuery = z.object({
  targetId: z.string().min(1).max(200).optional(),
  runId: z.string().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});
export type DeliveryQuery = z.input<typeof DeliveryQuery>;
