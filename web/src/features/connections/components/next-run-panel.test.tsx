// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, fireEvent, screen } from '@testing-library/react';
import { fakeApi, me, renderWithApp } from '../../../test-utils';
import { NextRunPanel } from './next-run-panel';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
});

describe('NextRunPanel', () => {
  it('shows the first request of the next run as the server rendered it, with what its templates read', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const api = fakeApi({
      'GET /api/auth/me': me('viewer'),
      'GET /api/connections/crm/next-run': {
        scheduledAt: '2026-12-08T06:30:00.000Z',
        context: { now: '2026-12-08T06:30:00.000Z', lastRunAt: '2026-12-07T06:30:00.000Z', cursor: '2026-12-07T05:59:00Z' },
        request: { method: 'GET', url: 'https://api.example.com/users?updated_since=2026-12-07T05%3A59%3A00Z&page=1', headers: { accept: 'application/json', authorization: 'Bearer ********' }, body: null },
        pagination: 'page',
      },
    });
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<NextRunPanel connectionId="crm" />);

    const panel = await screen.findByTestId('next-run');
    expect(await screen.findByText(/GET https:\/\/api\.example\.com\/users\?updated_since=/)).toBeTruthy();
    expect(panel.textContent).toContain('last_run_at = 2026-12-07T06:30:00.000Z');
    expect(panel.textContent).toContain('cursor = 2026-12-07T05:59:00Z');
    expect(panel.textContent).toContain('Bearer ********');
    expect(panel.textContent).toContain('page pagination');
  });

  it('lets an editor do a dry run and says what it would write, and nothing was', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const next = {
      scheduledAt: null,
      context: { now: '2026-12-07T10:00:00.000Z', lastRunAt: null, cursor: null },
      request: { method: 'GET', url: 'https://api.example.com/users', headers: { accept: 'application/json' }, body: null },
      pagination: 'none',
    };
    const api = fakeApi({
      'GET /api/auth/me': me('editor'),
      'GET /api/connections/crm/next-run': next,
      'POST /api/connections/crm/next-run/dry-run': {
        ...next,
        read: 23,
        complete: true,
        stopReason: null,
        rows: 23,
        wouldInsert: 13,
        wouldUpdate: 10,
        writeMode: 'upsert',
        sample: [{ id: 1, email: 'user1@example.com' }],
        rejected: { count: 0, first: [] },
        requests: [],
      },
    });
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<NextRunPanel connectionId="crm" />);

    expect(await screen.findByText(/Not scheduled/)).toBeTruthy();
    fireEvent.click(await screen.findByRole('button', { name: 'Dry run' }));
    const result = await screen.findByTestId('dry-run');
    expect(result.textContent).toContain('It would read 23 records: 13 new rows, 10 updated. Nothing was written.');
    expect(result.textContent).toContain('user1@example.com');
  });
});
