// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderWithApp } from '../../../test-utils';
import { TokensPanel } from './tokens-panel';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const SECRET = 'slk_live_0123456789abcdef0123456789abcdef';
const info = (id: string, name: string) => ({
  id,
  orgId: 'default',
  userId: null,
  kind: 'api',
  name,
  role: 'editor',
  prefix: 'slk_live_01',
  createdAt: '2025-01-01T10:00:00.000Z',
  expiresAt: null,
  lastUsedAt: null,
});

/** A small fake of the tokens API: the list never holds a secret, the creation answers it once. */
function fakeTokensApi() {
  const tokens = [info('0b7e6c2e-0000-4000-8000-000000000001', 'cron-job')];
  const bodies: unknown[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    if (request.method === 'POST') {
      const body = (await request.json()) as { name: string };
      bodies.push(body);
      const created = info('0b7e6c2e-0000-4000-8000-000000000002', body.name);
      tokens.push(created);
      return json(201, { token: SECRET, info: created });
    }
    return json(200, { tokens });
  };
  return { fetch, bodies };
}

describe('TokensPanel', () => {
  it('shows a new token once, in a modal with a copy button, and never again', async () => {
    const api = fakeTokensApi();
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<TokensPanel />);
    await screen.findByText('cron-job');
    expect(document.body.textContent).not.toContain(SECRET);

    await userEvent.type(screen.getByLabelText(/Name/), 'airflow-workers');
    await userEvent.click(screen.getByRole('button', { name: 'Create token' }));

    const dialog = await screen.findByRole('dialog', { name: 'Your new API token' });
    expect(screen.getByTestId('secret-once').textContent).toBe(SECRET);
    expect(dialog.textContent).toMatch(/only time/);
    expect(screen.getByRole('button', { name: 'Copy' })).toBeTruthy();
    expect(api.bodies).toEqual([{ name: 'airflow-workers', role: 'editor' }]);

    await userEvent.click(screen.getByRole('button', { name: 'Done' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    // The list shows the new token by name and prefix, and the secret is nowhere on the page.
    await screen.findByText('airflow-workers');
    expect(document.body.textContent).not.toContain(SECRET);
  });
});
