// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, screen, within } from '@testing-library/react';
import { fakeApi, me, renderWithApp } from '../../../test-utils';
import { AuditPage } from './audit-page';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
});

const event = (id: number, actor: { type: string; id: string | null; name: string | null }, action: string) => ({
  id,
  orgId: 'default',
  actor,
  action,
  target: null,
  outcome: 'success',
  status: 201,
  requestId: null,
  ip: '127.0.0.1',
  input: null,
  errorCode: null,
  createdAt: '2026-01-01T00:00:00.000Z',
});

describe('AuditPage', () => {
  it('tells a viewer the page needs the admin role, without asking the API for the trail', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const api = fakeApi({ 'GET /api/auth/me': me('viewer') });
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<AuditPage />);
    const notice = await screen.findByTestId('audit-admin-only');
    expect(notice.textContent).toContain('The audit trail needs the admin role');
    expect(notice.textContent).toContain('a viewer');
    expect(api.requests.map((r) => new URL(r.url).pathname)).toEqual(['/api/auth/me']);
  });

  it('names actors whole: a token by its name, a user by e-mail, the system by its id', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const api = fakeApi({
      'GET /api/auth/me': me('admin'),
      'GET /api/audit': {
        events: [
          event(3, { type: 'token', id: '0b6f3a52-8c2e-4d7b-9a51-0f3e2c1d4b5a', name: 'nightly-script' }, 'connection.create'),
          event(2, { type: 'user', id: '5d1c9e0a-7b3f-4e2d-8c6a-1f0e9d8c7b6a', name: 'ana@example.com' }, 'token.create'),
          event(1, { type: 'system', id: 'bootstrap', name: null }, 'org.bootstrap'),
        ],
      },
    });
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<AuditPage />);
    const table = await screen.findByTestId('audit-events');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getAllByRole('cell')[1]!.textContent)).toEqual(['token nightly-script', 'ana@example.com', 'system bootstrap']);
    expect(table.textContent).not.toContain('0b6f3a52');
  });
});
