// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanup, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { answerWith, renderWithApp } from '../../../test-utils';
import { LoginForm } from './login-form';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  localStorage.clear();
});

describe('LoginForm', () => {
  it("shows the API's message when the password is wrong, and keeps no token", async () => {
    const api = answerWith(401, { error: { code: 'invalid_credentials', message: 'Email or password is wrong' } });
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<LoginForm />);
    await userEvent.type(screen.getByLabelText(/Email/), 'admin@example.com');
    await userEvent.type(screen.getByLabelText(/Password/), 'nope');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByRole('alert')).toHaveProperty('textContent', 'Email or password is wrong');
    expect(api.requests[0]?.url).toMatch(/\/api\/auth\/login$/);
    expect(await api.requests[0]?.json()).toEqual({ email: 'admin@example.com', password: 'nope' });
    expect(localStorage.getItem('sluice.token')).toBeNull();
  });

  it('puts a field error the API names next to that field', async () => {
    const api = answerWith(400, {
      error: { code: 'validation_failed', message: 'email: Too small', details: { issues: [{ field: 'email', message: 'Too small: expected at least 1 character' }] } },
    });
    vi.stubGlobal('fetch', api.fetch);
    renderWithApp(<LoginForm />);
    await userEvent.type(screen.getByLabelText(/Password/), 'secret');
    await userEvent.click(screen.getByRole('button', { name: 'Log in' }));
    const email = screen.getByLabelText(/Email/);
    expect(await screen.findByText('Too small: expected at least 1 character')).toBeTruthy();
    expect(email.getAttribute('aria-invalid')).toBe('true');
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('keeps the token and calls back on success', async () => {
    vi.stubGlobal('fetch', answerWith(200, { token: 'slk_abc', user: {}, org: {} }).fetch);
    const onSuccess = vi.fn();
    renderWithApp(<LoginForm onSuccess={onSuccess} />);
    await userEvent.type(screen.getByLabelText(/Email/), 'admin@example.com');
    await userEvent.type(screen.getByLabelText(/Password/), 'right{Enter}');
    await vi.waitFor(() => expect(onSuccess).toHaveBeenCalled());
    expect(localStorage.getItem('sluice.token')).toBe('slk_abc');
  });
});
