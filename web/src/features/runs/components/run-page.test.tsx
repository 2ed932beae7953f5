// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, screen } from '@testing-library/react';
import { fakeApi, me, renderWithApp } from '../../../test-utils';
import type { RunDetail } from '../api/get-run';
import { RunPage } from './run-page';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
});

const run = (state: RunDetail['state']): RunDetail => ({
  runId: 'run-1',
  dagId: 'etl_workflow_users',
  orgId: 'default',
  pipeline: 'etl_workflow',
  connectionId: 'users',
  scheduleId: null,
  state,
  trigger: 'api',
  conf: {},
  fireAt: null,
  queuedAt: '2026-01-01T00:00:00.000Z',
  startedAt: '2026-01-01T00:00:00.000Z',
  endedAt: state === 'running' ? null : '2026-01-01T00:00:02.000Z',
  cancelRequested: false,
  orchestrator: 'builtin',
  externalId: null,
  error: null,
  tasks: [],
});
const line = (id: number, taskId: string, message: string) => ({ id, taskId, tryNumber: 1, at: '2026-01-01T00:00:01.000Z', level: 'info', message, data: null });

describe('RunPage', () => {
  it('keeps following the log after the run ends, until the API says it is complete', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    // The run ends between two polls of its log: the poll that saw it running had no lines yet, and
    // the last task's lines are stored by the time the run is seen ended.
    const api = fakeApi({
      'GET /api/auth/me': me('viewer'),
      'GET /api/runs/run-1': (_request, call) => run(call === 1 ? 'running' : 'success'),
      'GET /api/runs/run-1/logs': (_request, call) =>
        call === 1
          ? { logs: [], complete: false }
          : { logs: [line(1, 'extract', 'try 1 of 3 started'), line(2, 'extract', 'finished'), line(3, 'send_notification', 'finished')], complete: true },
    });
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<RunPage id="run-1" />);

    await screen.findByText('No log lines yet.');
    const logs = await screen.findByTestId('run-logs', {}, { timeout: 5000 });
    await vi.waitFor(() => expect(logs.textContent).toContain('[send_notification#1] finished'));
    expect(logs.dataset.complete).toBe('true');
    // Complete: no more polling.
    const asked = api.calls.get('GET /api/runs/run-1/logs');
    await new Promise((resolve) => setTimeout(resolve, 1800));
    expect(api.calls.get('GET /api/runs/run-1/logs')).toBe(asked);
  });

  it('reads a long log page by page, only the new lines while the run goes on, and all of it once complete', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    let ended = false;
    const stored = () => Array.from({ length: ended ? 1500 : 1200 }, (_, i) => line(i + 1, 'load', `line ${i + 1}`));
    const api = fakeApi({
      'GET /api/auth/me': me('viewer'),
      'GET /api/runs/run-1': (_request, call) => {
        if (call > 1) ended = true;
        return run(ended ? 'success' : 'running');
      },
      'GET /api/runs/run-1/logs': (request) => {
        const query = new URL(request.url).searchParams;
        const after = Number(query.get('afterId') ?? 0);
        const limit = Number(query.get('limit'));
        return { logs: stored().filter((l) => l.id > after).slice(0, limit), complete: ended };
      },
    });
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<RunPage id="run-1" />);
    const logs = await screen.findByTestId('run-logs', {}, { timeout: 5000 });
    await vi.waitFor(() => expect(logs.dataset.complete).toBe('true'), { timeout: 8000 });
    const shown = (logs.textContent ?? '').split('\n');
    expect(shown).toHaveLength(1500);
    expect(shown[0]).toContain('[load#1] line 1');
    expect(shown.at(-1)).toContain('[load#1] line 1500');
    const afters = api.requests.filter((r) => r.url.includes('/logs')).map((r) => new URL(r.url).searchParams.get('afterId'));
    // The first read in two pages, then only what came after line 1200, then the whole log once more.
    expect(afters.slice(0, 3)).toEqual(['0', '1000', '1200']);
    expect(afters.at(-2)).toBe('0');
  });
});
