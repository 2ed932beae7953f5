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
