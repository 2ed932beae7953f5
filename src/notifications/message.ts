/**
 * What a notification says, as a webhook's JSON body and as an e-mail's
 * subject, text and HTML. Pure functions; sending is elsewhere.
 */
import type { NotificationEvent } from './notification.schema.js';

/** A finished run, as the engine hands it to `NotificationsService.notify`. */
export interface RunNotification {
  event: NotificationEvent;
  orgId: string;
  runId: string;
  dagId: string;
  connectionId: string | null;
  state: string;
  trigger: string;
  startedAt: string | null;
  endedAt: string | null;
  tasks: {
    taskId: string;
    state: string;
    tryNumber: number;
    rowsIn: number | null;
    rowsOut: number | null;
    rowsRejected: number | null;
    error?: string | null;
  }[];
  /** Link to the run, when SLUICE_PUBLIC_URL is known. */
  url?: string | undefined;
  /**
   * `forecast.reorder`: the table, how many items are at or below their
   * reorder point, and the first of them (by stock-out date) with their plan.
   */
  reorder?: { table: string; count: number; itemColumns: string[]; items: Record<string, unknown>[] } | undefined;
}

/** The JSON body of a webhook delivery. */
export interface WebhookPayload {
  event: NotificationEvent;
  /** When this delivery was first attempted (retries keep it; `X-Sluice-Timestamp` is per attempt). */
  sentAt: string;
  deliveryId: string;
  /** Present and true only for `POST /api/notifications/:id/test`. */
  test?: true;
  run: Omit<RunNotification, 'event' | 'url' | 'reorder'> & { url: string | null };
  /** `forecast.reorder` only: the table, the number of items to reorder, and the first of them with their plan. */
  reorder?: RunNotification['reorder'];
}

export function webhookPayload(notification: RunNotification, deliveryId: string, sentAt: Date, test: boolean): WebhookPayload {
  const { event, url, reorder, ...run } = notification;
  return {
    event,
    sentAt: sentAt.toISOString(),
    deliveryId,
    ...(test && { test: true as const }),
    run: { ...run, url: url ?? null },
    ...(reorder && { reorder }),
  };
}

/** A run as a test notification shows it: plausible, and marked as a test. */
export function sampleNotification(orgId: string, runId: string, event: NotificationEvent, connectionId: string | null): RunNotification {
  const now = Date.now();
  const failed = event === 'run.failed';
  const dagId = `etl_workflow_${connectionId ?? 'example'}`;
  return {
    event,
    orgId,
    runId,
    dagId,
    connectionId,
    state: failed ? 'failed' : 'success',
    trigger: 'manual',
    startedAt: new Date(now - 42_000).toISOString(),
    endedAt: new Date(now).toISOString(),
    tasks: [
      { taskId: 'extract', state: 'success', tryNumber: 1, rowsIn: null, rowsOut: 120, rowsRejected: 0 },
      {
        taskId: 'load',
        state: failed ? 'failed' : 'success',
        tryNumber: failed ? 3 : 1,
        rowsIn: 120,
        rowsOut: failed ? null : 118,
        rowsRejected: failed ? null : 2,
        ...(failed && { error: 'This is a test notification; no run failed.' }),
      },
    ],
    ...(event === 'forecast.reorder' && {
      dagId: 'forecast_inventory_dag',
      connectionId: null,
      tasks: [],
      reorder: {
        table: 'example',
        count: 1,
        itemColumns: ['sku'],
        items: [{ key: 'EXAMPLE-1', sku: 'EXAMPLE-1', on_hand: 4, reorder_point: 12, order_quantity: 20, stockout_date: new Date(now + 3 * 86_400_000).toISOString().slice(0, 10), status: 'reorder_now' }],
      },
    }),
  };
}

export interface MailContent {
  subject: string;
  text: string;
  html: string;
}

const verb = (event: NotificationEvent): string => (event === 'run.succeeded' ? 'succeeded' : event === 'run.failed' ? 'failed' : 'found items to reorder');

function duration(startedAt: string | null, endedAt: string | null): string | undefined {
  if (!startedAt || !endedAt) return undefined;
  const seconds = Math.max(0, Math.round((Date.parse(endedAt) - Date.parse(startedAt)) / 1000));
  if (!Number.isFinite(seconds)) return undefined;
  const m = Math.floor(seconds / 60);
  return m > 0 ? `${m} min ${seconds % 60} s` : `${seconds} s`;
}

const count = (n: number | null): string => (n === null ? '-' : String(n));

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A short plain-text and HTML mail: what ran, how it ended, each task, each error, the link. */
export function mailContent(n: RunNotification, test: boolean): MailContent {
  if (n.reorder) return reorderMail(n, n.reorder, test);
  const subject = `${test ? '[Sluice test] ' : '[Sluice] '}${n.dagId} ${verb(n.event)}`;
  const took = duration(n.startedAt, n.endedAt);
  const facts: [string, string][] = [
    ['Run', n.runId],
    ['Pipeline', n.dagId],
    ...(n.connectionId ? [['Connection', n.connectionId] as [string, string]] : []),
    ['State', n.state],
    ['Trigger', n.trigger],
    ['Started', n.startedAt ?? '-'],
    ['Ended', n.endedAt ?? '-'],
    ...(took ? [['Duration', took] as [string, string]] : []),
  ];
  const intro = test
    ? 'This is a test notification from Sluice; no run took place.'
    : `A run of ${n.dagId} ${verb(n.event)} in organisation ${n.orgId}.`;

  const text = [
    intro,
    '',
    ...facts.map(([k, v]) => `${k}: ${v}`),
    '',
    'Tasks:',
    ...n.tasks.map(
      (t) =>
        `- ${t.taskId}: ${t.state} (attempt ${t.tryNumber}; rows in ${count(t.rowsIn)}, out ${count(t.rowsOut)}, rejected ${count(t.rowsRejected)})` +
        (t.error ? `\n  error: ${t.error}` : ''),
    ),
    ...(n.url ? ['', `Details: ${n.url}`] : []),
    '',
  ].join('\n');

  const cell = (value: string) => `<td style="padding:2px 8px">${escapeHtml(value)}</td>`;
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(intro)}</p>`,
    '<table>',
    ...facts.map(([k, v]) => `<tr><th align="left" style="padding:2px 8px">${escapeHtml(k)}</th>${cell(v)}</tr>`),
    '</table>',
    '<h3>Tasks</h3>',
    '<table><tr><th align="left">Task</th><th align="left">State</th><th>Attempt</th><th>Rows in</th><th>Rows out</th><th>Rejected</th><th align="left">Error</th></tr>',
    ...n.tasks.map(
      (t) =>
        `<tr>${cell(t.taskId)}${cell(t.state)}${cell(String(t.tryNumber))}${cell(count(t.rowsIn))}${cell(count(t.rowsOut))}${cell(count(t.rowsRejected))}${cell(t.error ?? '')}</tr>`,
    ),
    '</table>',
    ...(n.url ? [`<p><a href="${escapeHtml(n.url)}">Open the run in Sluice</a></p>`] : []),
    '</body></html>',
  ].join('\n');

  return { subject, text, html };
}

const numberText = (value: unknown): string => (value === null || value === undefined ? '-' : typeof value === 'number' ? String(Math.round(value * 100) / 100) : String(value));

/** `forecast.reorder`: the items to reorder first, as a short list and a table. */
function reorderMail(n: RunNotification, r: NonNullable<RunNotification['reorder']>, test: boolean): MailContent {
  const subject = `${test ? '[Sluice test] ' : '[Sluice] '}${r.count} item${r.count === 1 ? '' : 's'} to reorder in ${r.table}`;
  const intro = `The forecast of ${r.table} (organisation ${n.orgId}) found ${r.count} item${r.count === 1 ? '' : 's'} at or below the reorder point${r.items.length < r.count ? `; the first ${r.items.length} by stock-out date` : ''}:`;
  const columns = [...r.itemColumns, 'on_hand', 'reorder_point', 'order_quantity', 'stockout_date'];
  const text = [intro, '', ...r.items.map((item) => `- ${r.itemColumns.map((c) => String(item[c])).join(' / ')}: on hand ${numberText(item.on_hand)}, reorder point ${numberText(item.reorder_point)}, order ${numberText(item.order_quantity)}, runs out ${numberText(item.stockout_date)}`), '', `Run: ${n.runId}`, ...(n.url ? [`Details: ${n.url}`] : []), ''].join('\n');
  const cell = (value: string) => `<td style="padding:2px 8px">${escapeHtml(value)}</td>`;
  const html = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<p>${escapeHtml(intro)}</p>`,
    `<table><tr>${columns.map((c) => `<th align="left" style="padding:2px 8px">${escapeHtml(c)}</th>`).join('')}</tr>`,
    ...r.items.map((item) => `<tr>${columns.map((c) => cell(numberText(item[c]))).join('')}</tr>`),
    '</table>',
    `<p>Run ${escapeHtml(n.runId)}</p>`,
    ...(n.url ? [`<p><a href="${escapeHtml(n.url)}">Open the run in Sluice</a></p>`] : []),
    '</body></html>',
  ].join('\n');
  return { subject, text, html };
}
