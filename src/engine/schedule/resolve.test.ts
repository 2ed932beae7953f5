import { describe, expect, it } from 'vitest';
import { resolveSchedule } from './resolve.js';
import { issuesOf } from './test-helpers.js';

describe('resolveSchedule', () => {
  it('uses the preset when a preset type comes without an expression', () => {
    expect(resolveSchedule({ scheduleType: 'hourly' })).toEqual({ scheduleType: 'hourly', cronExpression: '0 * * * *', timezone: 'UTC' });
    expect(resolveSchedule({ scheduleType: 'daily', cronExpression: null })).toEqual({ scheduleType: 'daily', cronExpression: '0 0 * * *', timezone: 'UTC' });
    expect(resolveSchedule({ scheduleType: 'weekly', cronExpression: '' }).cronExpression).toBe('0 0 * * 1');
    expect(resolveSchedule({ scheduleType: 'monthly', timezone: null }).cronExpression).toBe('0 0 1 * *');
  });

  it('lets the expression win over a preset type (the first seed sends both)', () => {
    expect(resolveSchedule({ scheduleType: 'daily', cronExpression: '0 9 * * *' })).toEqual({
      scheduleType: 'daily',
      cronExpression: '0 9 * * *',
      timezone: 'UTC',
    });
  });

  it('takes an expression without a type as custom, and normalises it and the time zone', () => {
    expect(resolveSchedule({ cronExpression: ' 0  9 * * 1-5 ', timezone: 'europe/berlin' })).toEqual({
      scheduleType: 'custom',
      cronExpression: '0 9 * * 1-5',
      timezone: 'Europe/Berlin',
    });
    expect(resolveSchedule({ scheduleType: 'Custom', cronExpression: '@DAILY' })).toEqual({ scheduleType: 'custom', cronExpression: '@daily', timezone: 'UTC' });
  });

  it.each([
    ['61 * * * *', 'minute 61 is out of range 0-59'],
    ['every day', '"every day" has 2 fields'],
    ['* * *', '"* * *" has 3 fields'],
    ['0 0 30 2 *', 'never fires'],
  ])('rejects the expression %j naming cronExpression', (cronExpression, message) => {
    const issues = issuesOf(() => resolveSchedule({ scheduleType: 'custom', cronExpression }));
    expect(issues).toHaveLength(1);
    expect(issues[0]!.field).toBe('cronExpression');
    expect(issues[0]!.message).toContain(message);
  });

  it('asks for an expression when custom has none, or when nothing is given', () => {
    expect(issuesOf(() => resolveSchedule({ scheduleType: 'custom', cronExpression: '' }))).toEqual([
      { field: 'cronExpression', message: expect.stringContaining('is required when scheduleType is custom') },
    ]);
    expect(issuesOf(() => resolveSchedule({}))).toEqual([{ field: 'cronExpression', message: expect.stringContaining('is required') }]);
  });

  it('rejects an unknown schedule type naming scheduleType', () => {
    expect(issuesOf(() => resolveSchedule({ scheduleType: 'yearly' }))).toEqual([
      { field: 'scheduleType', message: '"yearly" is not one of hourly, daily, weekly, monthly, custom' },
    ]);
  });

  it('rejects an unknown time zone naming timezone, with every other problem', () => {
    expect(issuesOf(() => resolveSchedule({ scheduleType: 'daily', timezone: 'Mars/Olympus' }))).toEqual([
      { field: 'timezone', message: expect.stringContaining('"Mars/Olympus" is not a known IANA time zone') },
    ]);
    expect(issuesOf(() => resolveSchedule({ cronExpression: '61 * * * *', timezone: 'Mars/Olympus' })).map((i) => i.field)).toEqual([
      'cronExpression',
      'timezone',
    ]);
  });

  it('says so when a field is not a string (input straight from JSON)', () => {
    const input = { cronExpression: 5, timezone: 1 } as unknown as Parameters<typeof resolveSchedule>[0];
    expect(issuesOf(() => resolveSchedule(input)).map((i) => i.field)).toEqual(['cronExpression', 'timezone']);
  });
});
