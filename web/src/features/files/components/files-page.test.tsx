// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { act, cleanup, screen, within } from '@testing-library/react';
import { fakeApi, me, renderWithApp } from '../../../test-utils';
import { FilesPage } from './files-page';
import { IngestChain } from './ingest-chain';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.unstubAllGlobals();
  localStorage.clear();
});

const file = (fileId: string, table: string, extra: Record<string, unknown>) => ({
  fileId,
  orgId: 'default',
  userId: 'u1',
  table,
  name: `${table}.csv`,
  size: 1024,
  checksum: 'x',
  format: 'csv',
  status: 'loaded',
  rowsRead: 10,
  records: 10,
  rejected: 0,
  rowsLoaded: 10,
  rowsRejected: 0,
  ingestRunId: `ingest-${fileId}`,
  loadRunId: `load-${fileId}`,
  fieldMappings: null,
  error: null,
  createdAt: new Date(Date.now() - 30_000).toISOString(),
  updatedAt: new Date().toISOString(),
  purgedAt: null,
  ...extra,
});
const run = (runId: string, state: string) => ({ runId, dagId: 'enhanced_org_aware_ingest_dag', orgId: 'default', state, trigger: 'api', conf: {}, queuedAt: new Date().toISOString(), startedAt: null, endedAt: null, tasks: [] });

describe('FilesPage', () => {
  it('lists files with human sizes, times that move on, the reason of a failure, and links only to tables that exist', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    localStorage.setItem('sluice.token', 'slk_test');
    const api = fakeApi({
      'GET /api/auth/me': me('viewer'),
      'GET /api/files/': {
        files: [
          file('f-big', 'sales', { size: Math.round(120586.2 * 1024) }),
          file('f-bad', 'broken', { status: 'failed', rowsLoaded: null, loadRunId: null, error: 'the file is empty: it has no header row' }),
        ],
      },
      'GET /api/tables': { tables: [{ name: 'sales', rowCount: 10, rejectedCount: 0, columns: [], updatedAt: new Date().toISOString() }] },
    });
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<FilesPage />);

    const big = await screen.findByTestId('file-f-big');
    expect(big.textContent).toContain('118 MB');
    await vi.waitFor(() => expect(within(big).getByRole('link', { name: 'sales' }).getAttribute('href')).toBe('/tables/sales'));
    expect(big.textContent).toContain('30 s ago');

    const bad = screen.getByTestId('file-f-bad');
    expect(within(bad).queryByRole('link')).toBeNull();
    expect(bad.textContent).toContain('broken');
    expect(within(bad).getByTestId('file-error').textContent).toBe('the file is empty: it has no header row');

    // Left open, the page's times follow the clock.
    await act(async () => {
      await vi.advanceTimersByTimeAsync(60_000);
    });
    expect(big.textContent).toContain('1 min ago');
  });
});

describe('IngestChain', () => {
  it('marks the Load step as not run once the ingest failed', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const api = fakeApi({
      'GET /api/auth/me': me('editor'),
      'GET /api/files/f-bad/': file('f-bad', 'broken', { status: 'failed', rowsLoaded: null, loadRunId: null, error: 'not a CSV file' }),
      'GET /api/runs/ingest-f-bad': run('ingest-f-bad', 'failed'),
    });
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<IngestChain fileId="f-bad" ingestRunId="ingest-f-bad" />);
    const chain = await screen.findByTestId('ingest-chain');
    await vi.waitFor(() => expect(within(chain).getByTestId('load-not-run').textContent).toBe('not run: the ingest failed'));
    expect(chain.textContent).not.toContain('waiting');
    expect(chain.textContent).toContain('1 KB');
  });
});
