// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderWithApp } from '../../../test-utils';
import { ConnectionBuilder } from './connection-builder';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
});

/** An API that knows who is signed in (with `role`) and answers every other call with `status` and `body`. */
function fakeApi(role: string, status: number, body: unknown) {
  const requests: Request[] = [];
  const seen = { me: 0 };
  const json = (s: number, b: unknown) => new Response(JSON.stringify(b), { status: s, headers: { 'content-type': 'application/json' } });
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    if (new URL(request.url).pathname === '/api/auth/me') {
      seen.me += 1;
      return json(200, { role, user: { id: 'u1', email: 'e@example.com' }, org: { id: 'default', name: 'Default' } });
    }
    requests.push(request);
    return json(status, body);
  };
  return { fetch, requests, seen };
}

const invalidBaseUrl = {
  error: {
    code: 'invalid_config',
    message: 'apiConfig.baseUrl: must be an http or https URL',
    details: { issues: [{ field: 'apiConfig.baseUrl', message: 'must be an http or https URL' }] },
  },
};

describe('ConnectionBuilder', () => {
  it("shows the API's error for apiConfig.baseUrl next to the Base URL field", async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const api = fakeApi('editor', 422, invalidBaseUrl);
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<ConnectionBuilder />);

    await userEvent.type(await screen.findByLabelText(/^Name/), 'Users');
    await userEvent.type(screen.getByLabelText(/^Base URL/), 'ftp://example.com/users');
    await userEvent.click(await screen.findByRole('button', { name: 'Save' }));

    const baseUrl = screen.getByLabelText(/^Base URL/);
    await vi.waitFor(() => expect(baseUrl.getAttribute('aria-invalid')).toBe('true'));
    const describedBy = baseUrl.getAttribute('aria-describedby') ?? '';
    const messages = describedBy.split(' ').map((id) => document.getElementById(id)?.textContent);
    expect(messages).toContain('must be an http or https URL');
    // The Name field, which the API did not name, stays valid.
    expect(screen.getByLabelText(/^Name/).getAttribute('aria-invalid')).not.toBe('true');

    const sent = api.requests.find((r) => r.method === 'POST');
    expect(new URL(sent!.url).pathname).toBe('/api/connections');
    expect(await sent!.json()).toMatchObject({ name: 'Users', apiConfig: { baseUrl: 'ftp://example.com/users', auth: { type: 'none' } } });
  });

  it('shows a viewer no Test, Save or Run buttons', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const api = fakeApi('viewer', 200, {});
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<ConnectionBuilder />);
    // The role is known once the session query has answered; only then is the absence of buttons telling.
    await vi.waitFor(() => expect(api.seen.me).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.getByLabelText(/^Base URL/).closest('fieldset:disabled')).not.toBeNull();
    for (const name of ['Test', 'Save', 'Run now', 'Delete']) expect(screen.queryByRole('button', { name })).toBeNull();
  });
});
