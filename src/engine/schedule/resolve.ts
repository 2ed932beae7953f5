import { validationFailed, type FieldIssue } from '../../errors/index.js';
import { cronExpressionProblem } from './cron.js';
import { normalizeCronExpression } from './cron-syntax.js';
import { SCHEDULE_PRESETS, ScheduleType } from './schedule.schema.js';
import { DEFAULT_TIMEZONE, normalizeTimezone, timezoneProblem } from './timezone.js';

export interface ScheduleInput {
  scheduleType?: string;
  cronExpression?: string | null;
  timezone?: string | null;
}

export interface ResolvedSchedule {
  scheduleType: ScheduleType;
  cronExpression: string;
  timezone: string;
}

const blank = (value: unknown): boolean => value === undefined || value === null || (typeof value === 'string' && value.trim() === '');

/**
 * Turns what a user sent into a checked schedule, or throws an `invalid_config`
 * UserError whose `details.issues` name every bad field (`scheduleType`,
 * `cronExpression`, `timezone`).
 *
 * - A preset type without an expression takes the preset's expression.
 * - A preset type with an expression keeps both: the expression is what fires
 *   (the first seed sends `"scheduleType": "daily", "cronExpression": "0 9 * * *"`).
 * - No type with an expression is `custom`; `custom` needs an expression.
 * - The time zone defaults to UTC. Blank strings count as absent.
 * - The expression comes back normalised: trimmed, single spaces, macros in lower case.
 */
export function resolveSchedule(input: ScheduleInput): ResolvedSchedule {
  const issues: FieldIssue[] = [];

  let scheduleType: ScheduleType | undefined;
  const rawType = input.scheduleType;
  if (blank(rawType)) {
    scheduleType = blank(input.cronExpression) ? undefined : 'custom';
  } else {
    const parsed = ScheduleType.safeParse(typeof rawType === 'string' ? rawType.trim().toLowerCase() : rawType);
    if (parsed.success) scheduleType = parsed.data;
    else issues.push({ field: 'scheduleType', message: `${JSON.stringify(rawType)} is not one of ${ScheduleType.options.join(', ')}` });
  }

  let cronExpression: string | undefined;
  const rawExpression = input.cronExpression;
  if (!blank(rawExpression)) {
    if (typeof rawExpression === 'string') cronExpression = normalizeCronExpression(rawExpression);
    else issues.push({ field: 'cronExpression', message: 'must be a string, e.g. "0 9 * * *"' });
  } else if (scheduleType !== undefined && scheduleType !== 'custom') {
    cronExpression = SCHEDULE_PRESETS[scheduleType];
  } else if (scheduleType === 'custom') {
    issues.push({ field: 'cronExpression', message: 'is required when scheduleType is custom, e.g. "0 9 * * *" for 09:00 every day' });
  } else if (blank(rawType)) {
    issues.push({
      field: 'cronExpression',
      message: 'is required, or choose a scheduleType preset: hourly, daily, weekly or monthly',
    });
  }

  let timezone = DEFAULT_TIMEZONE;
  const rawTimezone = input.timezone;
  if (!blank(rawTimezone)) {
    if (typeof rawTimezone !== 'string') {
      issues.push({ field: 'timezone', message: 'must be a string, an IANA time zone such as "Europe/Berlin"' });
    } else {
      timezone = normalizeTimezone(rawTimezone) ?? rawTimezone;
    }
  }

  if (cronExpression !== undefined) {
    const problem = cronExpressionProblem(cronExpression);
    if (problem) issues.push({ field: 'cronExpression', message: problem });
  }
  const zoneProblem = timezoneProblem(timezone);
  if (zoneProblem) issues.push({ field: 'timezone', message: zoneProblem });

  if (issues.length > 0) throw validationFailed(issues, 'invalid_config');
  return { scheduleType: scheduleType!, cronExpression: cronExpression!, timezone };
}
