// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, screen, within } from '@testing-library/react';
import { fakeApi, me, renderWithApp } from '../../../test-utils';
import { TableStatusGrid } from './table-status';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
});

const noTables = { org_id: 'default', orchestrator: 'builtin', tables: [] };

describe('TableStatusGrid', () => {
  it("shows a new organisation's editor both first steps: upload a file and connect an API", async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    vi.stubGlobal('fetch', fakeApi({ 'GET /api/auth/me': me('editor'), 'GET /api/airflow/pipeline-status/': noTables }).fetch);
    renderWithApp(<TableStatusGrid />);
    const steps = await screen.findByTestId('first-steps');
    await vi.waitFor(() => expect(within(steps).getByRole('link', { name: 'Upload a file' }).getAttribute('href')).toBe('/files'));
    expect(within(steps).getByRole('link', { name: 'Connect an API' }).getAttribute('href')).toBe('/connections/new');
  });

  it('tells a viewer who can bring data in, with no buttons', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const api = fakeApi({ 'GET /api/auth/me': me('viewer'), 'GET /api/airflow/pipeline-status/': noTables });
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<TableStatusGrid />);
    const steps = await screen.findByTestId('first-steps');
    await vi.waitFor(() => expect(api.calls.get('GET /api/auth/me')).toBe(1));
    await vi.waitFor(() => expect(steps.textContent).toContain('An editor or an admin can upload a file or connect an API'));
    expect(within(steps).queryAllByRole('link')).toEqual([]);
  });
});
