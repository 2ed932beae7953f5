import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSmtpReceiver, type SmtpReceiver } from '../../test/helpers/smtp-receiver.js';
import { createMailer } from './email.js';
import { mailContent, type RunNotification } from './message.js';

const run: RunNotification = {
  event: 'run.failed',
  orgId: 'acme',
  runId: 'run-7',
  dagId: 'etl_workflow_users',
  connectionId: 'users',
  state: 'failed',
  trigger: 'schedule',
  startedAt: '2025-03-01T09:00:00.000Z',
  endedAt: '2025-03-01T09:01:05.000Z',
  tasks: [
    { taskId: 'extract', state: 'success', tryNumber: 1, rowsIn: null, rowsOut: 120, rowsRejected: 0 },
    { taskId: 'load', state: 'failed', tryNumber: 3, rowsIn: 120, rowsOut: null, rowsRejected: null, error: 'column "id" <is> missing' },
  ],
  url: 'https://sluice.example.com/runs/run-7',
};

describe('mailContent', () => {
  it('says what ran and how it ended, in text and escaped HTML', () => {
    const mail = mailContent(run, false);
    expect(mail.subject).toBe('[Sluice] etl_workflow_users failed');
    expect(mail.text).toContain('Run: run-7');
    expect(mail.text).toContain('Duration: 1 min 5 s');
    expect(mail.text).toContain('- load: failed (attempt 3; rows in 120, out -, rejected -)\n  error: column "id" <is> missing');
    expect(mail.text).toContain('Details: https://sluice.example.com/runs/run-7');
    expect(mail.html).toContain('column &quot;id&quot; &lt;is&gt; missing');
    expect(mail.html).not.toContain('<is>');
    expect(mailContent({ ...run, event: 'run.succeeded' }, true).subject).toBe('[Sluice test] etl_workflow_users succeeded');
  });
});

describe('createMailer against a real SMTP server', () => {
  let smtp: SmtpReceiver;
  const noWait = async (): Promise<void> => {};

  beforeAll(async () => {
    smtp = await startSmtpReceiver();
  });
  afterAll(() => smtp?.close());
  beforeEach(() => smtp.reset());

  it('delivers the mail to the recipient with subject and body', async () => {
    const mailer = createMailer({ smtpUrl: smtp.url, from: 'Sluice <sluice@example.com>' });
    const outcome = await mailer.send('ops@example.com', mailContent(run, false));
    expect(outcome).toEqual({ status: 'sent', attempts: 1, responseStatus: null, error: null });
    expect(smtp.mails).toHaveLength(1);
    const [mail] = smtp.mails;
    expect(mail!.from).toBe('sluice@example.com');
    expect(mail!.to).toEqual(['ops@example.com']);
    expect(mail!.subject).toBe('[Sluice] etl_workflow_users failed');
    expect(mail!.raw).toContain('text/plain');
    expect(mail!.raw).toContain('text/html');
    expect(mail!.raw).toContain('Run: run-7');
    expect(mail!.raw).toContain('error: column "id" <is> missing');
  });

  it('retries a temporary refusal (451) and gives up at once on a permanent one (550)', async () => {
    const mailer = createMailer({ smtpUrl: smtp.url, from: 'sluice@example.com', sleep: noWait });
    smtp.refuse(451);
    expect(await mailer.send('ops@example.com', mailContent(run, false))).toMatchObject({ status: 'sent', attempts: 2 });
    expect(smtp.mails).toHaveLength(1);

    smtp.refuse(550);
    const refused = await mailer.send('ops@example.com', mailContent(run, false));
    expect(refused).toMatchObject({ status: 'failed', attempts: 1, responseStatus: 550 });
    expect(refused.error).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+ did not accept the mail: /);
  });

  it('reports an unreachable server without throwing, and without the password', async () => {
    const down = await startSmtpReceiver();
    const url = down.url.replace('smtp://', 'smtp://user:hunter2@');
    await down.close();
    const mailer = createMailer({ smtpUrl: url, from: 'sluice@example.com', sleep: noWait, retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 1 } });
    const outcome = await mailer.send('ops@example.com', mailContent(run, false));
    expect(outcome).toMatchObject({ status: 'failed', attempts: 2 });
    expect(outcome.error).not.toContain('hunter2');
  });
});
