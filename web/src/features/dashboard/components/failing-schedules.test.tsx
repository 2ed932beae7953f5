// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, screen } from '@testing-library/react';
import { renderWithApp } from '../../../test-utils';
import { FailingSchedules } from './failing-schedules';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const schedule = (connectionId: string) => ({
  scheduleId: `sched-${connectionId}`,
  orgId: 'default',
  connectionId,
  scheduleType: 'daily',
  cronExpression: '0 0 * * *',
  timezone: 'UTC',
  description: 'At 12:00 AM',
  paused: false,
  nextRuns: ['2026-01-02T00:00:00.000Z'],
});
const run = (connectionId: string, state: string, error: string | null = null) => ({
  runId: `run-${connectionId}`,
  dagId: `etl_workflow_${connectionId}`,
  orgId: 'default',
  pipeline: 'etl',
  connectionId,
  scheduleId: `sched-${connectionId}`,
  state,
  trigger: 'schedule',
  conf: {},
  fireAt: null,
  queuedAt: '2026-01-01T00:00:00.000Z',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: '2026-01-01T00:00:01.000Z',
  cancelRequested: false,
  orchestrator: 'builtin',
  externalId: null,
  error,
  tasks: [],
});

/** Schedules of `latest`'s connections, whose latest runs are as given (none: never ran). */
function fakeApi(latest: Record<string, ReturnType<typeof run> | undefined>) {
  const requests: string[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL((input instanceof Request ? input : new Request(input, init)).url);
    requests.push(url.pathname + url.search);
    const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
    if (url.pathname === '/api/scheduler') return json({ schedules: Object.keys(latest).map(schedule) });
    const found = latest[url.searchParams.get('connectionId') ?? ''];
    return json({ runs: found ? [found] : [] });
  };
  return { fetch, requests };
}

describe('FailingSchedules', () => {
  it("lists the schedules whose connection's latest run failed, with links to the connection and the run", async () => {
    const api = fakeApi({ broken: run('broken', 'failed', 'extract: GET /users answered 404'), fine: run('fine', 'success'), fresh: undefined });
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<FailingSchedules />);

    const link = await screen.findByRole('link', { name: 'broken' });
    expect(link.getAttribute('href')).toBe('/connections/broken');
    expect(screen.getByRole('link', { name: 'Failed run of broken' }).getAttribute('href')).toBe('/runs/run-broken');
    expect(screen.getByText('extract: GET /users answered 404')).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'fine' })).toBeNull();
    expect(screen.queryByRole('link', { name: 'fresh' })).toBeNull();
    // One request for the schedules, one for the latest run of each scheduled connection.
    expect(api.requests.filter((r) => r.startsWith('/api/runs')).sort()).toEqual(['/api/runs?connectionId=broken&limit=1', '/api/runs?connectionId=fine&limit=1', '/api/runs?connectionId=fresh&limit=1']);
  });

  it('says so when no schedule fails', async () => {
    vi.stubGlobal('fetch', fakeApi({ fine: run('fine', 'success') }).fetch);
    renderWithApp(<FailingSchedules />);
    await screen.findByText(/No failing schedules/);
    expect(screen.queryByTestId('failing-schedules')).toBeNull();
  });
});
