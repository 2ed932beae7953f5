import { Cron } from 'croner';
import { validationFailed, type FieldIssue } from '../../errors/index.js';
import { cronSyntaxProblem, expandCronMacro } from './cron-syntax.js';
import { normalizeTimezone, timezoneProblem } from './timezone.js';

/**
 * A checked CRON expression in a time zone, ready to answer fire times.
 * croner does the calendar work; see README.md for how it treats DST.
 */
export interface CompiledCron {
  /** The first fire time strictly after `after`, or null if there is none. */
  nextAfter(after: Date): Date | null;
}

// An instant from which every satisfiable 5-field expression fires within
// 28 years (the calendar repeats), so "no next run" means "never fires".
const NEVER_FIRES_PROBE = new Date('2000-01-01T00:00:00Z');

/** What is wrong with `cronExpression`, in words (syntax, range, or a date that never comes); null when nothing is. */
export function cronExpressionProblem(cronExpression: string): string | null {
  const syntax = cronSyntaxProblem(cronExpression);
  if (syntax) return syntax;
  // The zone does not change whether an expression ever fires.
  const cron = tryCroner(cronExpression, 'UTC');
  if (typeof cron === 'string') return cron;
  if (cron.nextRun(NEVER_FIRES_PROBE) === null) return 'never fires: no date matches it (e.g. day 30 in February)';
  return null;
}

/** Every problem with a schedule's expression and time zone, field by field; empty when both are fine. */
export function scheduleIssues(cronExpression: string, timezone: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const expressionProblem = cronExpressionProblem(cronExpression);
  if (expressionProblem) issues.push({ field: 'cronExpression', message: expressionProblem });
  const zoneProblem = timezoneProblem(timezone);
  if (zoneProblem) issues.push({ field: 'timezone', message: zoneProblem });
  return issues;
}

// Checking an expression and building an Intl formatter for its zone cost far more than answering
// a fire time; the scheduler asks about the same schedules every tick, so keep the recent ones.
const COMPILED_CACHE_SIZE = 2000;
const compiled = new Map<string, CompiledCron>();

/** Compiles a schedule; throws an `invalid_config` UserError naming `cronExpression` or `timezone`. */
export function compileCron(cronExpression: string, timezone: string): CompiledCron {
  const key = `${timezone}\u0000${cronExpression}`;
  const cached = compiled.get(key);
  if (cached) {
    // Most recently used last, so the oldest is first to go.
    compiled.delete(key);
    compiled.set(key, cached);
    return cached;
  }
  const result = compileUncached(cronExpression, timezone);
  if (compiled.size >= COMPILED_CACHE_SIZE) compiled.delete(compiled.keys().next().value!);
  compiled.set(key, result);
  return result;
}

function compileUncached(cronExpression: string, timezone: string): CompiledCron {
  const issues = scheduleIssues(cronExpression, timezone);
  if (issues.length > 0) throw validationFailed(issues, 'invalid_config');
  const cron = tryCroner(cronExpression, normalizeTimezone(timezone)!);
  if (typeof cron === 'string') throw validationFailed([{ field: 'cronExpression', message: cron }], 'invalid_config');
  // croner's nextRun(prev) depends only on `prev` and the pattern, so one instance serves every caller.
  return { nextAfter: (after) => cron.nextRun(after) };
}

function tryCroner(cronExpression: string, timezone: string): Cron | string {
  try {
    // No callback: croner only evaluates and starts no timer.
    return new Cron(expandCronMacro(cronExpression), {
      timezone,
      mode: '5-part',
      // Day-of-month and day-of-week are ORed when both are restricted, as in Vixie cron and Airflow.
      domAndDow: false,
      // A job without a wildcard or step in minute and hour (`30 1,13 * * *`) fires once on a
      // DST fall-back day, as in Vixie cron; croner's default would fire a list twice.
      fixedTimeRule: 'no-wildcard',
    });
  } catch (error) {
    return `is not valid: ${(error as Error).message.replace(/^CronPattern:\s*/, '')}`;
  }
}

function assertDate(value: Date, name: string): void {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new TypeError(`${name} must be a valid Date`);
}

/** The next `count` fire times strictly after `after`, as Dates. */
export function nextFireTimes(cronExpression: string, timezone: string, after: Date, count: number): Date[] {
  assertDate(after, 'after');
  return collect(compileCron(cronExpression, timezone), after, null, count);
}

/** Fire times in (from, to], oldest first, at most `limit` (guards against a years-long outage with a per-minute schedule). */
export function fireTimesBetween(cronExpression: string, timezone: string, from: Date, to: Date, limit: number): Date[] {
  assertDate(from, 'from');
  assertDate(to, 'to');
  return collect(compileCron(cronExpression, timezone), from, to, limit);
}

/** Fire times in (after, until] (no upper bound when `until` is null), oldest first, at most `limit`. */
export function collect(cron: CompiledCron, after: Date, until: Date | null, limit: number): Date[] {
  const times: Date[] = [];
  let previous = after;
  while (times.length < limit) {
    const next = cron.nextAfter(previous);
    if (next === null || (until !== null && next.getTime() > until.getTime())) break;
    times.push(next);
    previous = next;
  }
  return times;
}

/**
 * The latest fire time in (floor, at], or null. It looks back in growing
 * windows, enumerating forwards, so it costs little even when `floor` is years
 * ago, and agrees exactly with `collect` (croner's backward search is not used).
 */
export function latestFireTime(cron: CompiledCron, floor: Date, at: Date): Date | null {
  if (at.getTime() <= floor.getTime()) return null;
  let windowEnd = at.getTime();
  for (let span = 60 * 60 * 1000; ; span *= 2) {
    const windowStart = Math.max(floor.getTime(), at.getTime() - span);
    // Fire times in (windowStart, windowEnd]; the part after windowEnd was searched before and held none.
    let latest: Date | null = null;
    let previous = new Date(windowStart);
    for (;;) {
      const next = cron.nextAfter(previous);
      if (next === null || next.getTime() > windowEnd) break;
      latest = next;
      previous = next;
    }
    if (latest !== null) return latest;
    if (windowStart === floor.getTime()) return null;
    windowEnd = windowStart;
  }
}
