import { describe, expect, it } from 'vitest';
import { cronSyntaxProblem, expandCronMacro, normalizeCronExpression } from './cron-syntax.js';

describe('cronSyntaxProblem', () => {
  it.each([
    '0 9 * * *',
    '*/15 * * * *',
    '0 0 * * 1-5',
    '0 0 * * MON-FRI',
    '0 0 * jan-mar sun',
    '0,30 8-18/2 1,15 * *',
    '0 0 * * 7',
    '@hourly',
    '@daily',
    '@weekly',
    '@monthly',
    '@yearly',
  ])('accepts %j', (expression) => {
    expect(cronSyntaxProblem(expression)).toBeNull();
  });

  it.each([
    ['61 * * * *', 'minute 61 is out of range 0-59'],
    ['0 24 * * *', 'hour 24 is out of range 0-23'],
    ['0 0 0 * *', 'day-of-month 0 is out of range 1-31'],
    ['0 0 * 13 *', 'month 13 is out of range 1-12'],
    ['0 0 * * 8', 'day-of-week 8 is out of range 0-7'],
    ['every day', '"every day" has 2 fields; a CRON expression has 5 fields'],
    ['* * *', '"* * *" has 3 fields'],
    ['', 'is empty'],
    ['0 0 9 * * *', 'has 6 fields; seconds and years are not supported'],
    ['5-1 * * * *', 'range "5-1" goes backwards'],
    ['*/0 * * * *', 'step of 0'],
    ['5/15 * * * *', 'step after a single value; write */15'],
    ['1,,2 * * * *', 'empty item'],
    ['0 0 L * *', 'extension'],
    ['0 0 * * MON#2', 'extension'],
    ['0 0 ? * *', 'extension'],
    ['0 0 * FOO *', 'month "FOO" is neither a number 1-12 nor a name (JAN-DEC)'],
    ['@reboot', '"@reboot" is not a supported macro'],
  ])('says what is wrong with %j', (expression, message) => {
    expect(cronSyntaxProblem(expression)).toContain(message);
  });
});

describe('normalizeCronExpression', () => {
  it('trims, keeps single spaces and lower-cases macros, spelling aliases as Airflow does', () => {
    expect(normalizeCronExpression('  0   9 * *\t* ')).toBe('0 9 * * *');
    expect(normalizeCronExpression('@DAILY')).toBe('@daily');
    expect(normalizeCronExpression('@midnight')).toBe('@daily');
    expect(normalizeCronExpression('@annually')).toBe('@yearly');
  });

  it('expands macros to 5 fields', () => {
    expect(expandCronMacro('@weekly')).toBe('0 0 * * 0');
    expect(expandCronMacro('0 9 * * *')).toBe('0 9 * * *');
  });
});
