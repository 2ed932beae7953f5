import { describe, expect, it } from 'vitest';
import { fireTimesBetween, nextFireTimes } from './cron.js';
import { SCHEDULE_PRESETS } from './schedule.schema.js';
import { iso, issuesOf } from './test-helpers.js';

const at = (text: string) => new Date(text);

describe('nextFireTimes', () => {
  it('answers times strictly after `after`', () => {
    expect(iso(nextFireTimes('0 * * * *', 'UTC', at('2026-01-01T10:00:00Z'), 2))).toEqual(['2026-01-01T11:00:00.000Z', '2026-01-01T12:00:00.000Z']);
    expect(iso(nextFireTimes('0 * * * *', 'UTC', at('2026-01-01T09:59:59.999Z'), 1))).toEqual(['2026-01-01T10:00:00.000Z']);
    expect(iso(nextFireTimes('0 * * * *', 'UTC', at('2026-01-01T10:00:00.001Z'), 1))).toEqual(['2026-01-01T11:00:00.000Z']);
  });

  it('returns strictly increasing times', () => {
    const increasing = (times: Date[]) => times.every((t, i) => i === 0 || t.getTime() > times[i - 1]!.getTime());
    for (const [expression, timezone] of [
      ['*/7 * * * *', 'America/New_York'],
      ['0 * * * *', 'America/New_York'],
      ['30 1 * * *', 'America/New_York'],
      ['0,30 1-3 * * *', 'Europe/Berlin'],
    ] as const) {
      // Across both 2026 DST changes in each zone.
      for (const from of ['2026-03-07T00:00:00Z', '2026-03-28T00:00:00Z', '2026-10-24T00:00:00Z', '2026-10-31T00:00:00Z']) {
        const times = nextFireTimes(expression, timezone, at(from), 500);
        expect(times).toHaveLength(500);
        expect(increasing(times), `${expression} in ${timezone} from ${from}`).toBe(true);
      }
    }
  });

  it('answers nothing for a count of 0', () => {
    expect(nextFireTimes('0 * * * *', 'UTC', at('2026-01-01T00:00:00Z'), 0)).toEqual([]);
  });

  it('fires the presets when they say', () => {
    const from = at('2026-01-01T00:00:00Z'); // a Thursday
    expect(iso(nextFireTimes(SCHEDULE_PRESETS.hourly, 'UTC', from, 2))).toEqual(['2026-01-01T01:00:00.000Z', '2026-01-01T02:00:00.000Z']);
    expect(iso(nextFireTimes(SCHEDULE_PRESETS.daily, 'UTC', from, 2))).toEqual(['2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z']);
    expect(iso(nextFireTimes(SCHEDULE_PRESETS.weekly, 'UTC', from, 2))).toEqual(['2026-01-05T00:00:00.000Z', '2026-01-12T00:00:00.000Z']);
    expect(iso(nextFireTimes(SCHEDULE_PRESETS.monthly, 'UTC', from, 2))).toEqual(['2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z']);
  });

  it('reads macros', () => {
    expect(iso(nextFireTimes('@weekly', 'UTC', at('2026-01-01T00:00:00Z'), 1))).toEqual(['2026-01-04T00:00:00.000Z']); // Sunday
    expect(iso(nextFireTimes('@yearly', 'UTC', at('2026-01-01T00:00:00Z'), 1))).toEqual(['2027-01-01T00:00:00.000Z']);
  });

  it('fires in the schedule’s time zone', () => {
    // 09:00 in Berlin is 08:00Z in winter (CET) and 07:00Z in summer (CEST); DST starts 2026-03-29.
    expect(iso(nextFireTimes('0 9 * * *', 'Europe/Berlin', at('2026-03-27T12:00:00Z'), 3))).toEqual([
      '2026-03-28T08:00:00.000Z',
      '2026-03-29T07:00:00.000Z',
      '2026-03-30T07:00:00.000Z',
    ]);
    expect(iso(nextFireTimes('0 9 * * *', 'UTC', at('2026-03-27T12:00:00Z'), 1))).toEqual(['2026-03-28T09:00:00.000Z']);
  });

  it('fires on 29 February only in leap years, and on day 31 only in months that have one', () => {
    expect(iso(nextFireTimes('0 0 29 2 *', 'UTC', at('2026-01-01T00:00:00Z'), 2))).toEqual(['2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z']);
    expect(iso(nextFireTimes('0 0 31 * *', 'UTC', at('2026-01-01T00:00:00Z'), 5))).toEqual([
      '2026-01-31T00:00:00.000Z',
      '2026-03-31T00:00:00.000Z',
      '2026-05-31T00:00:00.000Z',
      '2026-07-31T00:00:00.000Z',
      '2026-08-31T00:00:00.000Z',
    ]);
  });

  it('ORs day-of-month and day-of-week, as Vixie cron and Airflow do', () => {
    // The 13th, or any Friday: Fri 2 Jan, Fri 9 Jan, Tue 13 Jan, Fri 16 Jan.
    expect(iso(nextFireTimes('0 0 13 * 5', 'UTC', at('2026-01-01T00:00:00Z'), 4))).toEqual([
      '2026-01-02T00:00:00.000Z',
      '2026-01-09T00:00:00.000Z',
      '2026-01-13T00:00:00.000Z',
      '2026-01-16T00:00:00.000Z',
    ]);
  });

  it('rejects a bad expression or time zone naming the field', () => {
    expect(issuesOf(() => nextFireTimes('61 * * * *', 'UTC', at('2026-01-01T00:00:00Z'), 1))).toEqual([
      { field: 'cronExpression', message: 'minute 61 is out of range 0-59' },
    ]);
    expect(issuesOf(() => nextFireTimes('0 * * * *', 'Mars/Olympus', at('2026-01-01T00:00:00Z'), 1))[0]!.field).toBe('timezone');
    expect(() => nextFireTimes('0 * * * *', 'UTC', new Date('nope'), 1)).toThrow(TypeError);
  });
});

describe('DST (croner, fixed-time jobs as Vixie cron)', () => {
  it('spring forward: a 02:30 daily schedule in New York fires at 03:00 EDT on 2026-03-08, the first time after the gap', () => {
    expect(iso(nextFireTimes('30 2 * * *', 'America/New_York', at('2026-03-06T12:00:00Z'), 4))).toEqual([
      '2026-03-07T07:30:00.000Z', // 02:30 EST
      '2026-03-08T07:00:00.000Z', // 03:00 EDT: 02:30 does not exist that day
      '2026-03-09T06:30:00.000Z', // 02:30 EDT
      '2026-03-10T06:30:00.000Z',
    ]);
  });

  it('fall back: a 01:30 daily schedule in New York fires once on 2026-11-01, at the first 01:30 (EDT)', () => {
    expect(iso(nextFireTimes('30 1 * * *', 'America/New_York', at('2026-10-31T12:00:00Z'), 3))).toEqual([
      '2026-11-01T05:30:00.000Z', // 01:30 EDT; 01:30 EST (06:30Z) does not fire
      '2026-11-02T06:30:00.000Z',
      '2026-11-03T06:30:00.000Z',
    ]);
    // Asked from inside the repeated hour, it does not fire the second 01:30 either.
    expect(iso(nextFireTimes('30 1 * * *', 'America/New_York', at('2026-11-01T06:10:00Z'), 1))).toEqual(['2026-11-02T06:30:00.000Z']);
  });

  it('fall back: a list of fixed times fires each once', () => {
    expect(iso(fireTimesBetween('30 1,13 * * *', 'America/New_York', at('2026-11-01T04:00:00Z'), at('2026-11-02T04:00:00Z'), 10))).toEqual([
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T18:30:00.000Z',
    ]);
  });

  it('hourly schedules follow real hours: 02:00 is skipped in spring, 01:00 fires twice in autumn', () => {
    expect(iso(fireTimesBetween('0 * * * *', 'America/New_York', at('2026-03-08T05:30:00Z'), at('2026-03-08T08:00:00Z'), 10))).toEqual([
      '2026-03-08T06:00:00.000Z', // 01:00 EST
      '2026-03-08T07:00:00.000Z', // 03:00 EDT
      '2026-03-08T08:00:00.000Z', // 04:00 EDT
    ]);
    expect(iso(fireTimesBetween('0 * * * *', 'America/New_York', at('2026-11-01T04:30:00Z'), at('2026-11-01T07:00:00Z'), 10))).toEqual([
      '2026-11-01T05:00:00.000Z', // 01:00 EDT
      '2026-11-01T06:00:00.000Z', // 01:00 EST
      '2026-11-01T07:00:00.000Z', // 02:00 EST
    ]);
  });

  it('Europe/Berlin: 02:30 runs at 03:00 CEST on 2026-03-29 and once on 2026-10-25', () => {
    expect(iso(fireTimesBetween('30 2 * * *', 'Europe/Berlin', at('2026-03-28T12:00:00Z'), at('2026-03-30T12:00:00Z'), 10))).toEqual([
      '2026-03-29T01:00:00.000Z', // 03:00 CEST
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
    ]);
    expect(iso(fireTimesBetween('30 2 * * *', 'Europe/Berlin', at('2026-10-24T12:00:00Z'), at('2026-10-26T12:00:00Z'), 10))).toEqual([
      '2026-10-25T00:30:00.000Z', // 02:30 CEST; 02:30 CET (01:30Z) does not fire
      '2026-10-26T01:30:00.000Z', // 02:30 CET
    ]);
  });

  it('UTC has no DST', () => {
    expect(iso(fireTimesBetween('30 1 * * *', 'UTC', at('2026-10-31T12:00:00Z'), at('2026-11-02T12:00:00Z'), 10))).toEqual([
      '2026-11-01T01:30:00.000Z',
      '2026-11-02T01:30:00.000Z',
    ]);
  });
});

describe('fireTimesBetween', () => {
  it('answers (from, to], oldest first', () => {
    expect(iso(fireTimesBetween('0 * * * *', 'UTC', at('2026-01-01T10:00:00Z'), at('2026-01-01T13:00:00Z'), 10))).toEqual([
      '2026-01-01T11:00:00.000Z',
      '2026-01-01T12:00:00.000Z',
      '2026-01-01T13:00:00.000Z',
    ]);
    expect(fireTimesBetween('0 * * * *', 'UTC', at('2026-01-01T10:00:00Z'), at('2026-01-01T10:59:59Z'), 10)).toEqual([]);
    expect(fireTimesBetween('0 * * * *', 'UTC', at('2026-01-01T13:00:00Z'), at('2026-01-01T10:00:00Z'), 10)).toEqual([]);
  });

  it('stops at `limit`, even over years of a per-minute schedule', () => {
    const times = fireTimesBetween('* * * * *', 'UTC', at('2020-01-01T00:00:00Z'), at('2026-01-01T00:00:00Z'), 5);
    expect(iso(times)).toEqual([
      '2020-01-01T00:01:00.000Z',
      '2020-01-01T00:02:00.000Z',
      '2020-01-01T00:03:00.000Z',
      '2020-01-01T00:04:00.000Z',
      '2020-01-01T00:05:00.000Z',
    ]);
    expect(fireTimesBetween('* * * * *', 'UTC', at('2020-01-01T00:00:00Z'), at('2026-01-01T00:00:00Z'), 0)).toEqual([]);
  });
});
