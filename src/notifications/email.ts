/**
 * E-mail notifications through the operator's mail server (SMTP_URL), with
 * nodemailer. The server is the operator's setting, not user input, so it
 * does not go through the SSRF guard; the recipient is the user's.
 */
import type { Transporter } from 'nodemailer';
import { isAbortError, withRetries, type RetryDecision, type RetryPolicy } from '../connectors/http/transport/index.js';
import type { MailContent } from './message.js';
import type { SendOutcome } from './webhook.js';

export interface MailerSettings {
  /** `smtp://user:pass@host:587` or `smtps://...:465`. */
  smtpUrl: string;
  /** The sender, `Sluice <sluice@example.com>`. */
  from: string;
  retry?: RetryPolicy | undefined;
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
}

/** Sends one mail; like webhooks, reports failures in the outcome instead of throwing. */
export interface Mailer {
  send(to: string, content: MailContent, options?: { signal?: AbortSignal | undefined }): Promise<SendOutcome>;
}

/** Three attempts, 2 s then 4 s apart: a mail server's greylisting or a restart. */
export const MAIL_RETRY_POLICY: Required<RetryPolicy> = {
  maxAttempts: 3,
  initialDelayMs: 2000,
  maxDelayMs: 10_000,
  backoffCoefficient: 2,
  jitter: 0.2,
};

interface SmtpError extends Error {
  code?: string;
  responseCode?: number;
  permanent?: boolean;
}

/** A refused message (5xx, except 503) comes back the same; connection trouble and 4xx may pass. */
function retrySmtp(error: SmtpError): RetryDecision {
  if (error.permanent === true) return { retry: false };
  if (error.responseCode !== undefined && error.responseCode >= 500 && error.responseCode !== 503) return { retry: false };
  // Bad settings (credentials, TLS) do not fix themselves.
  if (error.code === 'EAUTH' || error.code === 'ETLS' || error.code === 'ECONFIG' || error.code === 'EENVELOPE') return { retry: false };
  return { retry: true, reason: error.message };
}

/** The SMTP server's address without its password, for messages. */
function describeServer(smtpUrl: string): string {
  try {
    const url = new URL(smtpUrl);
    return `${url.protocol}//${url.host}`;
  } catch {
    return 'the SMTP server';
  }
}

export function createMailer(settings: MailerSettings): Mailer {
  // nodemailer is loaded with the first mail: most installations set no SMTP_URL, and it costs ~14 MB.
  let transport: Promise<Transporter> | undefined;
  const transporter = () =>
    (transport ??= import('nodemailer').then(({ createTransport }) =>
      // One connection per mail (no pool): notifications are rare, and nothing stays open to close.
      createTransport({ url: settings.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 }),
    ));
  const server = describeServer(settings.smtpUrl);

  return {
    async send(to, content, options = {}) {
      let attempts = 0;
      try {
        await withRetries(
          async (n) => {
            attempts = n;
            await (await transporter()).sendMail({ from: settings.from, to, subject: content.subject, text: content.text, html: content.html });
          },
          {
            policy: settings.retry ?? MAIL_RETRY_POLICY,
            retryOn: (outcome) => (outcome.ok ? { retry: false } : retrySmtp(outcome.error as SmtpError)),
            ...(options.signal && { signal: options.signal }),
            ...(settings.sleep && { sleep: settings.sleep }),
          },
        );
        return { status: 'sent', attempts, responseStatus: null, error: null };
      } catch (error) {
        const e = error as SmtpError;
        const message = isAbortError(error)
          ? 'The delivery was cancelled'
          : `${server} did not accept the mail${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${e.message}`;
        return { status: 'failed', attempts, responseStatus: e.responseCode ?? null, error: message };
      }
    },
  };
}
