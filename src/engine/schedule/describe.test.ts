import { describe, expect, it } from 'vitest';
import { describeCron } from './describe.js';
import { SCHEDULE_PRESETS } from './schedule.schema.js';

describe('describeCron', () => {
  it('describes expressions in plain English', () => {
    expect(describeCron('0 9 * * *')).toBe('At 09:00 AM');
    expect(describeCron('*/15 * * * *')).toBe('Every 15 minutes');
    expect(describeCron('0 9 * * MON-FRI')).toBe('At 09:00 AM, Monday through Friday');
    expect(describeCron(SCHEDULE_PRESETS.weekly)).toBe('At 12:00 AM, only on Monday');
    expect(describeCron('@daily')).toBe('At 12:00 AM');
    expect(describeCron('@weekly')).toBe('At 12:00 AM, only on Sunday');
  });

  it('never throws; an expression it cannot read is returned as it is', () => {
    expect(describeCron('every day')).toBe('every day');
    expect(describeCron('')).toBe('');
  });
});
