import { createHash } from 'node:crypto';
import { UserError } from '../../../errors/index.js';
import type { SecretMasker } from '../../../secrets/index.js';
import type { HttpClient } from '../transport/index.js';
import type { AuthConfig } from '../config.schema.js';
import type { Authenticator } from './authenticator.js';

type OAuth2Config = Extract<AuthConfig, { type: 'oauth2ClientCredentials' }>;

interface CachedToken {
  accessToken: string;
  tokenType: string;
  /** When to fetch a new one: a margin before the server's expiry. */
  renewAt: number;
}

/**
 * Tokens shared by every extraction of this process with the same
 * credentials, so a schedule running every minute does not ask for a new
 * token each time. Keyed by a hash that includes the secret.
 */
const tokenCache = new Map<string, CachedToken>();
const MAX_CACHED = 1000;

/** Renew this long before expiry, or at 90 % of the lifetime for short-lived tokens. */
const RENEW_MARGIN_MS = 60_000;

/** OAuth 2.0 client credentials grant (RFC 6749 §4.4), secret in the body or as HTTP Basic. */
export function oauth2Auth(
  config: OAuth2Config,
  client: HttpClient,
  options: { timeoutMs: number; now?: () => number; /** Told every access token this authenticator sends, cached ones included. */ secrets?: SecretMasker | undefined },
): Authenticator {
  const now = options.now ?? Date.now;
  const key = createHash('sha256')
    .update(JSON.stringify([config.tokenUrl, config.clientId, config.clientSecret, config.scope ?? '', config.clientAuth]))
    .digest('hex');

  async function fetchToken(signal?: AbortSignal): Promise<CachedToken> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (config.scope) form.set('scope', config.scope);
    const headers: Record<string, string> = {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    };
    if (config.clientAuth === 'basic') {
      // RFC 6749 §2.3.1: both parts are form-urlencoded before the Basic encoding.
      const id = encodeURIComponent(config.clientId);
      const secret = encodeURIComponent(config.clientSecret);
      headers.authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    } else {
      form.set('client_id', config.clientId);
      form.set('client_secret', config.clientSecret);
    }
    const response = await client.send({
      method: 'POST',
      url: config.tokenUrl,
      headers,
      body: form.toString(),
      timeoutMs: options.timeoutMs,
      signal,
    });
    let body: { access_token?: unknown; refresh_token?: unknown; token_type?: unknown; expires_in?: unknown; error?: unknown; error_description?: unknown } = {};
    try {
      body = JSON.parse(response.body) as typeof body;
    } catch {
      // Reported below with the status.
    }
    if (response.status >= 400 || typeof body.access_token !== 'string') {
      const why = typeof body.error === 'string' ? `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}` : `status ${response.status}`;
      throw new UserError('source_auth_failed', `The OAuth token request to ${config.tokenUrl} failed (${why})`, {
        details: { status: response.status },
      });
    }
    options.secrets?.add(body.access_token);
    if (typeof body.refresh_token === 'string') options.secrets?.add(body.refresh_token);
    const lifetimeMs = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : 3_600_000;
    const margin = Math.min(RENEW_MARGIN_MS, lifetimeMs * 0.1);
    const token = {
      accessToken: body.access_token,
      tokenType: typeof body.token_type === 'string' && body.token_type.toLowerCase() !== 'bearer' ? body.token_type : 'Bearer',
      renewAt: now() + lifetimeMs - margin,
    };
    if (tokenCache.size >= MAX_CACHED) tokenCache.delete(tokenCache.keys().next().value!);
    tokenCache.set(key, token);
    return token;
  }

  return {
    async apply(request, signal) {
      let token = tokenCache.get(key);
      if (!token || token.renewAt <= now()) token = await fetchToken(signal);
      // A source may echo the access token in an error; it is as secret as the client secret.
      options.secrets?.add(token.accessToken);
      request.headers.authorization = `${token.tokenType} ${token.accessToken}`;
    },
    async refresh(signal) {
      tokenCache.delete(key);
      await fetchToken(signal);
      return true;
    },
    secretQueryParams: [],
  };
}

/** Forgets every cached token (tests). */
export const clearOAuthTokenCache = (): void => tokenCache.clear();
