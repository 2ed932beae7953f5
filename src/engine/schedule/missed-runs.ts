import { collect, compileCron, latestFireTime } from './cron.js';
import type { MissedRunPolicy } from './schedule.schema.js';

/** Defaults of `dueFireTimes`. */
export const MISSED_RUN_DEFAULTS = Object.freeze({
  /** `none`: how late a fire time may be handled and still count as on time. */
  graceMs: 60_000,
  /** `all`: how far back missed times are still fired. */
  windowMs: 24 * 60 * 60 * 1000,
  /** `all`: the most fire times returned by one call. */
  limit: 100,
});

export interface DueFireTimesArgs {
  cronExpression: string;
  timezone: string;
  /** The last fire time already handled; the schedule's creation time if it never fired. */
  lastFireAt: Date;
  now: Date;
  policy: MissedRunPolicy;
  windowMs?: number;
  graceMs?: number;
  limit?: number;
}

export interface DueFireTimes {
  /** Fire times to create runs for, oldest first. */
  due: Date[];
  /** The first fire time strictly after `now`. */
  next: Date | null;
}

/**
 * What the scheduler fires when it wakes at `now`. Only fire times in
 * (lastFireAt, now] are candidates, so calling again with `lastFireAt` set to
 * the last time returned fires nothing twice.
 *
 * - `none`: the latest due time if it is at most `graceMs` old (the time that
 *   is due now, handled a little late), else nothing.
 * - `latest`: the latest due time, however old.
 * - `all`: every due time at most `windowMs` old, oldest first, at most
 *   `limit`. When more are due the oldest come first; the next call, with
 *   `lastFireAt` = the last one returned, goes on from there.
 */
export function dueFireTimes(args: DueFireTimesArgs): DueFireTimes {
  const { lastFireAt, now, policy } = args;
  for (const [name, value] of [['lastFireAt', lastFireAt], ['now', now]] as const) {
    if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new TypeError(`${name} must be a valid Date`);
  }
  const cron = compileCron(args.cronExpression, args.timezone);
  const next = cron.nextAfter(now);
  // Times in (floor, now]: after the last handled one and, for `none` and `all`, within the allowed lateness.
  const floor = (lateness: number) => new Date(Math.max(lastFireAt.getTime(), now.getTime() - Math.max(0, lateness) - 1));

  let due: Date[];
  switch (policy) {
    case 'none': {
      const latest = latestFireTime(cron, floor(args.graceMs ?? MISSED_RUN_DEFAULTS.graceMs), now);
      due = latest ? [latest] : [];
      break;
    }
    case 'latest': {
      const latest = latestFireTime(cron, lastFireAt, now);
      due = latest ? [latest] : [];
      break;
    }
    case 'all':
      due = collect(cron, floor(args.windowMs ?? MISSED_RUN_DEFAULTS.windowMs), now, args.limit ?? MISSED_RUN_DEFAULTS.limit);
      break;
  }
  return { due, next };
}
