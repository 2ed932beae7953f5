import { z } from 'zod';

/** How a schedule was chosen: one of the presets, or a CRON expression of the user's own. */
export const ScheduleType = z.enum(['hourly', 'daily', 'weekly', 'monthly', 'custom']);
export type ScheduleType = z.infer<typeof ScheduleType>;

/**
 * What the scheduler fires for the times it missed while it was down:
 * `none` fires nothing it missed (only a time that is due now, within a grace
 * period), `latest` only the most recent missed time, `all` every missed time
 * within a window.
 */
export const MissedRunPolicy = z.enum(['none', 'latest', 'all']);
export type MissedRunPolicy = z.infer<typeof MissedRunPolicy>;

/**
 * What happens when a fire time comes while a run of the same pipeline is
 * still active: `skip` drops the new run, `queue` starts it when the active
 * one ends.
 */
export const OverlapPolicy = z.enum(['skip', 'queue']);
export type OverlapPolicy = z.infer<typeof OverlapPolicy>;

/** Presets: hourly '0 * * * *', daily '0 0 * * *', weekly '0 0 * * 1' (Monday), monthly '0 0 1 * *'. */
export const SCHEDULE_PRESETS: Record<Exclude<ScheduleType, 'custom'>, string> = Object.freeze({
  hourly: '0 * * * *',
  daily: '0 0 * * *',
  weekly: '0 0 * * 1',
  monthly: '0 0 1 * *',
});
