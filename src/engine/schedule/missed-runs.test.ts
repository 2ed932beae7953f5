import { describe, expect, it } from 'vitest';
import { dueFireTimes } from './missed-runs.js';
import type { MissedRunPolicy } from './schedule.schema.js';
import { iso, issuesOf } from './test-helpers.js';

const at = (text: string) => new Date(text);
const HOUR = 60 * 60 * 1000;
const hourly = { cronExpression: '0 * * * *', timezone: 'UTC' };

describe('dueFireTimes after a 3-hour outage of an hourly schedule', () => {
  // Last fired 08:00; the scheduler was down through 09:00, 10:00 and 11:00 and wakes at 11:20.
  const outage = { ...hourly, lastFireAt: at('2026-01-01T08:00:00Z'), now: at('2026-01-01T11:20:00Z') };

  it('none: fires nothing it missed, and knows the next time', () => {
    const result = dueFireTimes({ ...outage, policy: 'none' });
    expect(result.due).toEqual([]);
    expect(iso([result.next])).toEqual(['2026-01-01T12:00:00.000Z']);
  });

  it('none: still fires the time that is due now, if the scheduler wakes within the grace period', () => {
    const now = at('2026-01-01T11:00:30Z');
    expect(iso(dueFireTimes({ ...outage, now, policy: 'none' }).due)).toEqual(['2026-01-01T11:00:00.000Z']);
    expect(dueFireTimes({ ...outage, now, policy: 'none', graceMs: 10_000 }).due).toEqual([]);
  });

  it('latest: fires only the most recent missed time', () => {
    const result = dueFireTimes({ ...outage, policy: 'latest' });
    expect(iso(result.due)).toEqual(['2026-01-01T11:00:00.000Z']);
    expect(iso([result.next])).toEqual(['2026-01-01T12:00:00.000Z']);
  });

  it('all: fires every missed time, oldest first', () => {
    const result = dueFireTimes({ ...outage, policy: 'all' });
    expect(iso(result.due)).toEqual(['2026-01-01T09:00:00.000Z', '2026-01-01T10:00:00.000Z', '2026-01-01T11:00:00.000Z']);
    expect(iso([result.next])).toEqual(['2026-01-01T12:00:00.000Z']);
  });

  it('all: only within windowMs before now, the window’s start included', () => {
    expect(iso(dueFireTimes({ ...outage, policy: 'all', windowMs: 2 * HOUR }).due)).toEqual(['2026-01-01T10:00:00.000Z', '2026-01-01T11:00:00.000Z']);
    // now − window is exactly 09:00: it counts.
    expect(dueFireTimes({ ...outage, policy: 'all', windowMs: 2 * HOUR + 20 * 60 * 1000 }).due).toHaveLength(3);
    expect(dueFireTimes({ ...outage, policy: 'all', windowMs: 0 }).due).toEqual([]);
  });

  it('all: at most `limit`, the oldest first; the next call goes on from the last one', () => {
    const first = dueFireTimes({ ...outage, policy: 'all', limit: 2 });
    expect(iso(first.due)).toEqual(['2026-01-01T09:00:00.000Z', '2026-01-01T10:00:00.000Z']);
    const second = dueFireTimes({ ...outage, lastFireAt: first.due.at(-1)!, policy: 'all', limit: 2 });
    expect(iso(second.due)).toEqual(['2026-01-01T11:00:00.000Z']);
  });
});

describe('dueFireTimes when nothing was missed', () => {
  it.each(['none', 'latest', 'all'] satisfies MissedRunPolicy[])('%s: fires the due time once', (policy) => {
    const first = dueFireTimes({ ...hourly, lastFireAt: at('2026-01-01T10:00:00Z'), now: at('2026-01-01T11:00:00.200Z'), policy });
    expect(iso(first.due)).toEqual(['2026-01-01T11:00:00.000Z']);
    expect(iso([first.next])).toEqual(['2026-01-01T12:00:00.000Z']);

    const again = dueFireTimes({ ...hourly, lastFireAt: first.due[0]!, now: at('2026-01-01T11:00:01Z'), policy });
    expect(again.due).toEqual([]);
    expect(iso([again.next])).toEqual(['2026-01-01T12:00:00.000Z']);
  });

  it('a time is due at its exact instant, and not before', () => {
    const lastFireAt = at('2026-01-01T10:00:00Z');
    expect(iso(dueFireTimes({ ...hourly, lastFireAt, now: at('2026-01-01T11:00:00Z'), policy: 'none' }).due)).toEqual(['2026-01-01T11:00:00.000Z']);
    expect(dueFireTimes({ ...hourly, lastFireAt, now: at('2026-01-01T10:59:59.999Z'), policy: 'none' }).due).toEqual([]);
  });

  it('a schedule that never fired counts from its creation (lastFireAt = createdAt)', () => {
    const createdAt = at('2026-01-01T10:30:00Z');
    expect(dueFireTimes({ ...hourly, lastFireAt: createdAt, now: at('2026-01-01T10:45:00Z'), policy: 'all' }).due).toEqual([]);
    expect(iso(dueFireTimes({ ...hourly, lastFireAt: createdAt, now: at('2026-01-01T12:10:00Z'), policy: 'all' }).due)).toEqual([
      '2026-01-01T11:00:00.000Z',
      '2026-01-01T12:00:00.000Z',
    ]);
  });

  it('a lastFireAt after now (a clock step back) fires nothing', () => {
    expect(dueFireTimes({ ...hourly, lastFireAt: at('2026-01-01T12:00:00Z'), now: at('2026-01-01T11:30:00Z'), policy: 'latest' }).due).toEqual([]);
  });
});

describe('dueFireTimes edge cases', () => {
  it('latest: finds the most recent time of a per-minute schedule after a years-long outage without walking every minute', () => {
    const result = dueFireTimes({ cronExpression: '* * * * *', timezone: 'UTC', lastFireAt: at('2020-01-01T00:00:00Z'), now: at('2026-06-01T12:34:56Z'), policy: 'latest' });
    expect(iso(result.due)).toEqual(['2026-06-01T12:34:00.000Z']);
    expect(iso([result.next])).toEqual(['2026-06-01T12:35:00.000Z']);
  });

  it('latest: finds a yearly time missed long ago', () => {
    const result = dueFireTimes({ cronExpression: '@yearly', timezone: 'UTC', lastFireAt: at('2021-06-01T00:00:00Z'), now: at('2026-06-01T00:00:00Z'), policy: 'latest' });
    expect(iso(result.due)).toEqual(['2026-01-01T00:00:00.000Z']);
    expect(dueFireTimes({ cronExpression: '@yearly', timezone: 'UTC', lastFireAt: at('2026-01-01T00:00:00Z'), now: at('2026-06-01T00:00:00Z'), policy: 'latest' }).due).toEqual([]);
  });

  it('all: a per-minute schedule after a years-long outage answers `limit` times from the window’s start', () => {
    const result = dueFireTimes({ cronExpression: '* * * * *', timezone: 'UTC', lastFireAt: at('2020-01-01T00:00:00Z'), now: at('2026-06-01T12:00:00Z'), policy: 'all', limit: 3 });
    expect(iso(result.due)).toEqual(['2026-05-31T12:00:00.000Z', '2026-05-31T12:01:00.000Z', '2026-05-31T12:02:00.000Z']);
  });

  it('fires the DST-shifted time: 02:30 in New York is due at 03:00 EDT on 2026-03-08', () => {
    const result = dueFireTimes({
      cronExpression: '30 2 * * *',
      timezone: 'America/New_York',
      lastFireAt: at('2026-03-07T07:30:00Z'),
      now: at('2026-03-08T07:00:10Z'),
      policy: 'none',
    });
    expect(iso(result.due)).toEqual(['2026-03-08T07:00:00.000Z']);
    expect(iso([result.next])).toEqual(['2026-03-09T06:30:00.000Z']);
  });

  it('fall back: a 01:30 New York schedule handled at its first occurrence is not due again an hour later', () => {
    const result = dueFireTimes({
      cronExpression: '30 1 * * *',
      timezone: 'America/New_York',
      lastFireAt: at('2026-11-01T05:30:00Z'),
      now: at('2026-11-01T06:30:30Z'), // 01:30:30 EST, the second 01:30
      policy: 'all',
    });
    expect(result.due).toEqual([]);
  });

  it('rejects a bad expression naming the field', () => {
    const now = at('2026-01-01T00:00:00Z');
    expect(issuesOf(() => dueFireTimes({ cronExpression: '', timezone: 'UTC', lastFireAt: now, now, policy: 'all' }))[0]!.field).toBe('cronExpression');
  });
});
