import type { ReactElement } from 'react';
import { render } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { AppProvider, createQueryClient } from './app/provider';

/** Renders a component inside the app's providers and a router, as the app would. */
export function renderWithApp(ui: ReactElement) {
  return render(
    <AppProvider queryClient={createQueryClient()}>
      <MemoryRouter>{ui}</MemoryRouter>
    </AppProvider>,
  );
}

/** A fetch that answers every call with `status` and `body` as JSON, and records the requests. */
export function answerWith(status: number, body: unknown) {
  const requests: Request[] = [];
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    requests.push(input instanceof Request ? input : new Request(input, init));
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, requests };
}

type Json = Record<string, unknown> | unknown[] | string | number | boolean | null;
/** What a fake route answers: a JSON body (200), `{ status, body }`, or a function of the request and of how many times it was asked (from 1). */
export type FakeRoute = Json | ((request: Request, call: number) => Json | Promise<Json>);

/**
 * A fetch that answers by `METHOD /path` (query left out) from `routes`; anything else is a 404, so a test
 * sees a call it did not expect. Records every request.
 */
export function fakeApi(routes: Record<string, FakeRoute>) {
  const requests: Request[] = [];
  const calls = new Map<string, number>();
  const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    requests.push(request.clone());
    const key = `${request.method} ${new URL(request.url).pathname}`;
    const call = (calls.get(key) ?? 0) + 1;
    calls.set(key, call);
    const route = routes[key];
    const answer = typeof route === 'function' ? await route(request, call) : route;
    const { status, body } =
      route === undefined
        ? { status: 404, body: { error: { code: 'not_found', message: `no fake route for ${key}` } } }
        : answer !== null && typeof answer === 'object' && 'status' in answer && 'body' in answer
          ? (answer as { status: number; body: unknown })
          : { status: 200, body: answer };
    return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, requests, calls };
}

/** `/api/auth/me` of a signed-in user of `role`. */
export const me = (role: 'admin' | 'editor' | 'viewer', limits = { uploadMaxBytes: 2048 * 1024 * 1024 }) => ({
  role,
  user: { id: 'u1', email: 'e@example.com' },
  org: { id: 'default', name: 'Default' },
  limits,
});
