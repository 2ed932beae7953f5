import { basicCredentials } from '../source-secrets.js';
import type { AuthConfig } from '../config.schema.js';
import type { Authenticator } from './authenticator.js';

/** No credentials. */
export const noAuth = (): Authenticator => ({ apply: async () => undefined, secretQueryParams: [] });

/** `Authorization: Bearer <token>`. */
export const bearerAuth = (config: Extract<AuthConfig, { type: 'bearer' }>): Authenticator => ({
  async apply(request) {
    request.headers.authorization = `Bearer ${config.token}`;
  },
  secretQueryParams: [],
});

/** HTTP Basic (RFC 7617): the password may contain ':', only the username may not. */
export const basicAuth = (config: Extract<AuthConfig, { type: 'basic' }>): Authenticator => {
  const encoded = basicCredentials(config.username, config.password);
  return {
    async apply(request) {
      request.headers.authorization = `Basic ${encoded}`;
    },
    secretQueryParams: [],
  };
};

/** An API key in a header (`X-API-Key: ...`) or a query parameter (`?api_key=...`). */
export const apiKeyAuth = (config: Extract<AuthConfig, { type: 'apiKey' }>): Authenticator => ({
  async apply(request) {
    if (config.in === 'header') request.headers[config.name.toLowerCase()] = config.value;
    else request.url.searchParams.set(config.name, config.value);
  },
  secretQueryParams: config.in === 'query' ? [config.name] : [],
});
