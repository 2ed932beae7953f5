// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, screen, within } from '@testing-library/react';
import { fakeApi, me, renderWithApp } from '../../../test-utils';
import { ConnectionsList } from './connections-list';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
});

const connection = (id: string, latestRun: Record<string, unknown> | null) => ({
  id,
  orgId: 'default',
  name: `Source ${id}`,
  apiConfig: { baseUrl: `https://api.example.com/${id}`, method: 'GET' },
  parameters: [],
  fieldMappings: [],
  destination: { table: id, writeMode: 'append' },
  cursor: null,
  // lastRunAt is the last *successful* run's start: empty for a connection whose only run failed.
  lastRunAt: null,
  latestRun,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('ConnectionsList', () => {
  it('shows the latest run of each connection whatever its state, a failed one with a link to it', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const endedAt = new Date(Date.now() - 5 * 60_000).toISOString();
    const api = fakeApi({
      'GET /api/auth/me': me('viewer'),
      'GET /api/connections': {
        connections: [
          connection('broken', { runId: 'run-failed-1', state: 'failed', trigger: 'api', queuedAt: endedAt, startedAt: endedAt, endedAt, error: 'source answered 404' }),
          connection('idle', null),
        ],
      },
    });
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<ConnectionsList />);

    const broken = (await screen.findByText('Source broken')).closest('tr')!;
    const latest = within(broken).getByTestId('latest-run');
    expect(latest.textContent).toContain('failed');
    expect(within(latest).getByRole('link').getAttribute('href')).toBe('/runs/run-failed-1');
    expect(latest.textContent).toContain('5 min ago');
    const idle = screen.getByText('Source idle').closest('tr')!;
    expect(idle.textContent).toContain('never run');
  });
});
