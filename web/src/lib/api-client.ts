import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from '../api/schema';
import { session } from './session';

/** One field's problem as the API names it: `table`, `apiConfig.baseUrl`. */
export interface FieldIssue {
  field: string;
  message: string;
}

/** An answer of the API that is not a success: `{"error": {"code", "message", "details"?}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The message for one field, when the API named it. */
  field(name: string): string | undefined {
    return this.issues.find((i) => i.field === name)?.message;
  }
}

/** Turns an error body (or anything else a failed call gave) into an ApiError. */
export function toApiError(status: number, body: unknown): ApiError {
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: { issues?: unknown } } } | undefined)?.error;
  if (error && typeof error.message === 'string') {
    const issues = Array.isArray(error.details?.issues) ? (error.details.issues as FieldIssue[]) : [];
    return new ApiError(status, typeof error.code === 'string' ? error.code : 'error', error.message, issues);
  }
  return new ApiError(status, 'error', `The server answered ${status}`);
}

const auth: Middleware = {
  onRequest({ request }) {
    const token = session.token();
    if (token) request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ response, request }) {
    // A token that expired or was revoked: back to the login page.
    if (response.status === 401 && !request.url.endsWith('/api/auth/login')) session.clear();
    return response;
  },
};

/** The typed API client: paths, parameters and answers come from Sluice's OpenAPI document. */
export const api = createClient<paths>({
  baseUrl: globalThis.location?.origin ?? '',
  // Looked up per call, so tests can stub fetch after this module loads.
  fetch: (request) => globalThis.fetch(request),
});
api.use(auth);

/** The data of an openapi-fetch answer, or the API's error thrown as an ApiError. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  if (!response.ok || error !== undefined) throw toApiError(response.status, error);
  return data as T;
}
