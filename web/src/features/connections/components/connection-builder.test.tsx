// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderWithApp } from '../../../test-utils';
import { ConnectionBuilder } from './connection-builder';
import { stopReasonInWords } from './plain-words';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
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

  it('names the fields of a 422 in the alert, by their labels, and brings the first into view', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const scrolled: Element[] = [];
    vi.spyOn(Element.prototype, 'scrollIntoView').mockImplementation(function (this: Element) {
      scrolled.push(this);
    });
    const api = fakeApi('editor', 422, {
      error: {
        code: 'invalid_config',
        message: 'two fields',
        details: {
          issues: [
            { field: 'apiConfig.baseUrl', message: 'must be an http or https URL' },
            { field: 'destination.table', message: 'must start with a letter or _' },
          ],
        },
      },
    });
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<ConnectionBuilder />);
    await userEvent.type(await screen.findByLabelText(/^Name/), 'Users');
    await userEvent.type(screen.getByLabelText(/^Base URL/), 'ftp://example.com/users');
    await userEvent.type(screen.getByLabelText(/^Table/), '1users');
    await userEvent.click(await screen.findByRole('button', { name: 'Save' }));

    const alert = await screen.findByTestId('builder-problem');
    expect(alert.textContent).toContain('Some fields need a change');
    expect(alert.textContent).toContain('Check Base URL and Table');
    const baseUrl = screen.getByLabelText(/^Base URL/);
    await vi.waitFor(() => expect(document.activeElement).toBe(baseUrl));
    expect(scrolled).toEqual([baseUrl]);
  });

  it('says why a Test stopped reading in plain words', () => {
    expect(stopReasonInWords('no_cursor', { type: 'cursor', cursorPath: '$.meta.next' })).toBe(
      'Stopped because the answer had no next cursor at $.meta.next: that was the last page. If the source has more, check the cursor path.',
    );
    expect(stopReasonInWords('no_more', { type: 'cursor', hasMorePath: '$.has_more' })).toBe('Stopped because the answer said no more pages follow ($.has_more was false).');
    expect(stopReasonInWords('record_limit', { type: 'cursor' })).toBe('Stopped after the first 50 records: a Test reads no more. The source may have more; a run reads them all.');
    expect(stopReasonInWords('max_pages', { type: 'page' })).toMatch(/^Stopped after 5 pages: a Test reads at most 5/);
    expect(stopReasonInWords('max_pages', { type: 'page', maxPages: '2' })).toMatch(/^Stopped after 2 pages, the connection's "At most pages": a run stops there too/);
  });

  it('shows the stop reason of a Test in plain words, not as a code', async () => {
    localStorage.setItem('sluice.token', 'slk_test');
    const api = fakeApi('editor', 200, {
      records: [{ id: 1 }],
      raw: [{ id: 1 }],
      schema: [{ name: 'id', type: 'integer', nullable: false }],
      requests: [{ method: 'GET', url: 'https://api.example.com/users', status: 200, ms: 12, attempt: 1 }],
      rejected: [],
      stopReason: 'record_limit',
      recordsPath: null,
    });
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<ConnectionBuilder />);
    await userEvent.type(await screen.findByLabelText(/^Name/), 'Users');
    await userEvent.type(screen.getByLabelText(/^Base URL/), 'https://api.example.com/users');
    await userEvent.click(await screen.findByRole('button', { name: 'Test' }));
    const reason = await screen.findByTestId('preview-stop-reason');
    expect(reason.textContent).toBe('Stopped after the first 50 records: a Test reads no more. The source may have more; a run reads them all.');
    expect(screen.getByTestId('preview-result').textContent).not.toContain('record_limit');
  });
});
