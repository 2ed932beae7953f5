/**
 * Run notifications: webhooks (signed JSON, retried) and e-mail (SMTP_URL)
 * when a run succeeds or fails. See README.md.
 */
export { NotificationsService, type DeliveryOutcome, type NotificationsOptions } from './notifications.service.js';
export { mailContent, sampleNotification, webhookPayload, type MailContent, type RunNotification, type WebhookPayload } from './message.js';
export {
  CreatedTarget,
  Delivery,
  DeliveryQuery,
  DeliveryStatus,
  NOTIFICATION_EVENTS,
  NotificationEvent,
  Target,
  TargetInput,
  TargetKind,
} from './notification.schema.js';
export { generateSigningSecret, signPayload, verifySignature } from './signature.js';
export { sendWebhook, WEBHOOK_RETRY_POLICY, WEBHOOK_TIMEOUT_MS, type SendOutcome, type WebhookSendOptions } from './webhook.js';
export { createMailer, MAIL_RETRY_POLICY, type Mailer, type MailerSettings } from './email.js';
