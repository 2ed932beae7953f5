export { MissedRunPolicy, OverlapPolicy, SCHEDULE_PRESETS, ScheduleType } from './schedule.schema.js';
export { resolveSchedule, type ResolvedSchedule, type ScheduleInput } from './resolve.js';
export { cronExpressionProblem, fireTimesBetween, nextFireTimes } from './cron.js';
export { dueFireTimes, MISSED_RUN_DEFAULTS, type DueFireTimes, type DueFireTimesArgs } from './missed-runs.js';
export { describeCron } from './describe.js';
export { DEFAULT_TIMEZONE, timezoneProblem } from './timezone.js';
