// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { fakeApi, me, renderWithApp } from '../../../test-utils';
import { ScheduleEditor } from './schedule-editor';
import { SchedulesList } from './schedules-list';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
});

const saved = {
  scheduleId: 'sch_1',
  orgId: 'default',
  connectionId: 'users',
  dagId: 'etl_workflow_users',
  scheduleType: 'daily',
  cronExpression: '0 0 * * *',
  timezone: 'UTC',
  description: 'At 12:00 AM',
  paused: false,
  overlapPolicy: 'skip',
  missedRunPolicy: 'latest',
  missedRunWindowSeconds: 3600,
  maxActiveRuns: 1,
  orchestrator: 'builtin',
  lastFireAt: '2026-01-01T00:00:00.000Z',
  nextFireAt: '2026-01-02T00:00:00.000Z',
  nextRuns: ['2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z', '2026-01-04T00:00:00.000Z', '2026-01-05T00:00:00.000Z', '2026-01-06T00:00:00.000Z'],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

/** The describe endpoint as the server answers it, for the expressions these tests type. */
const describe9 = (request: Request) => {
  const cron = new URL(request.url).searchParams.get('cronExpression');
  if (cron === '0 9 * * 1-5') {
    return {
      scheduleType: 'custom',
      cronExpression: cron,
      timezone: 'UTC',
      description: 'At 09:00 AM, Monday through Friday',
      nextRuns: ['2026-01-05T09:00:00.000Z', '2026-01-06T09:00:00.000Z', '2026-01-07T09:00:00.000Z', '2026-01-08T09:00:00.000Z', '2026-01-09T09:00:00.000Z'],
    };
  }
  return { status: 422, body: { error: { code: 'invalid_config', message: 'cronExpression: not valid', details: { issues: [{ field: 'cronExpression', message: `${JSON.stringify(cron)} is not a valid CRON expression` }] } } } };
};

describe('ScheduleEditor', () => {
  it('describes the expression and its next runs while it is typed, and clears the server’s old error', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const api = fakeApi({
      'GET /api/auth/me': me('editor'),
      'GET /api/scheduler': { schedules: [saved] },
      'GET /api/scheduler/describe': describe9,
      'PATCH /api/scheduler/sch_1': { status: 422, body: { error: { code: 'invalid_config', message: 'cronExpression: bad', details: { issues: [{ field: 'cronExpression', message: 'the server refused "0 99 * * *"' }] } } } },
    });
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<ScheduleEditor connectionId="users" />);
    const editor = await screen.findByTestId('schedule-editor');
    expect((await within(editor).findByTestId('schedule-description')).textContent).toBe('At 12:00 AM');

    // A save the server refuses: its error shows by the field.
    const cron = within(editor).getByLabelText('CRON expression');
    fireEvent.change(cron, { target: { value: '0 99 * * *' } });
    await userEvent.click(await within(editor).findByRole('button', { name: 'Save schedule' }));
    expect(await within(editor).findByText('the server refused "0 99 * * *"')).toBeTruthy();

    // Typing on: the old error goes at once, and the description and next runs follow the expression.
    await userEvent.clear(cron);
    expect(within(editor).queryByText('the server refused "0 99 * * *"')).toBeNull();
    await userEvent.type(cron, '0 9 * * 1-5');
    await vi.waitFor(() => expect(within(editor).getByTestId('schedule-description').textContent).toBe('At 09:00 AM, Monday through Friday'), { timeout: 3000 });
    expect(within(editor).getAllByRole('listitem').map((li) => li.querySelector('time')?.getAttribute('dateTime'))[0]).toBe('2026-01-05T09:00:00.000Z');
    expect(within(editor).getByTestId('schedule-unsaved').textContent).toContain('Not saved yet');
    // One request per pause in typing, not one per key.
    expect(api.calls.get('GET /api/scheduler/describe')).toBeLessThanOrEqual(3);

    // An expression the server cannot read: its reason by the field, and no description of something else.
    fireEvent.change(cron, { target: { value: '0 9 * *' } });
    expect(await within(editor).findByText('"0 9 * *" is not a valid CRON expression', {}, { timeout: 3000 })).toBeTruthy();
    expect(within(editor).queryByTestId('schedule-description')).toBeNull();
  });
});

describe('SchedulesList', () => {
  it("names each schedule's connection", async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    vi.stubGlobal(
      'fetch',
      fakeApi({
        'GET /api/auth/me': me('viewer'),
        'GET /api/scheduler': { schedules: [saved] },
        'GET /api/connections': { connections: [{ id: 'users', name: 'Shop users', latestRun: null }] },
      }).fetch,
    );
    renderWithApp(<SchedulesList />);
    const link = await screen.findByRole('link', { name: 'Shop users' });
    expect(link.getAttribute('href')).toBe('/connections/users');
  });
});
