// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, screen } from '@testing-library/react';
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
});
