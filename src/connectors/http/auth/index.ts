import type { SecretMasker } from '../../../secrets/index.js';
import type { HttpClient } from '../transport/index.js';
import type { AuthConfig } from '../config.schema.js';
import type { Authenticator } from './authenticator.js';
import { oauth2Auth } from './oauth2.authenticator.js';
import { apiKeyAuth, basicAuth, bearerAuth, noAuth } from './static.authenticators.js';

export type { Authenticator, OutgoingRequest } from './authenticator.js';
export { clearOAuthTokenCache } from './oauth2.authenticator.js';

/** The authenticator for a connection's `auth` setting. */
export function createAuthenticator(config: AuthConfig, client: HttpClient, options: { timeoutMs: number; secrets?: SecretMasker | undefined }): Authenticator {
  switch (config.type) {
    case 'none':
      return noAuth();
    case 'bearer':
      return bearerAuth(config);
    case 'basic':
      return basicAuth(config);
    case 'apiKey':
      return apiKeyAuth(config);
    case 'oauth2ClientCredentials':
      return oauth2Auth(config, client, options);
  }
}
