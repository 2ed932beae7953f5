import type { SecretMasker } from '../../secrets/index.js';
import { looksSecret, type ApiConfig, type AuthConfig, type Parameter } from './config.schema.js';

/** How HTTP Basic sends a user name and password (RFC 7617): what a server echoing the header shows. */
export const basicCredentials = (username: string, password: string): string => Buffer.from(`${username}:${password}`, 'utf8').toString('base64');

/**
 * Registers with `masker` every secret value of a source, so that nothing a
 * source answers can show them: each secret field of `auth` (with the
 * Basic credentials as sent), the values of headers and parameters whose
 * names look like credentials, body values under such keys, the API key's
 * header or parameter, and any credentials in the base URL (user info,
 * secret-looking query values).
 * Access tokens obtained at run time are added by the OAuth authenticator.
 */
export function registerSourceSecrets(masker: SecretMasker, config: { apiConfig: ApiConfig; parameters: Parameter[] }): void {
  registerAuthSecrets(masker, config.apiConfig.auth);
  for (const [name, value] of Object.entries(config.apiConfig.headers)) if (looksSecret(name)) registerHeaderValue(masker, value);
  for (const p of config.parameters) if (looksSecret(p.name)) registerHeaderValue(masker, p.value);
  registerBodySecrets(masker, config.apiConfig.body);
  registerUrlSecrets(masker, config.apiConfig.baseUrl);
}

/** String values under credential-looking keys anywhere in a JSON request body. */
function registerBodySecrets(masker: SecretMasker, node: unknown): void {
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (typeof value === 'string' && !Array.isArray(node) && looksSecret(key)) registerHeaderValue(masker, value);
    else registerBodySecrets(masker, value);
  }
}

function registerAuthSecrets(masker: SecretMasker, auth: AuthConfig): void {
  switch (auth.type) {
    case 'none':
      return;
    case 'bearer':
      masker.add(auth.token);
      return;
    case 'basic':
      masker.add(auth.password).add(basicCredentials(auth.username, auth.password));
      return;
    case 'apiKey':
      registerHeaderValue(masker, auth.value);
      return;
    case 'oauth2ClientCredentials':
      // The secret as sent in a form, and inside the Basic header of `clientAuth: basic` (RFC 6749 §2.3.1).
      masker.add(auth.clientSecret).add(basicCredentials(encodeURIComponent(auth.clientId), encodeURIComponent(auth.clientSecret)));
      registerUrlSecrets(masker, auth.tokenUrl);
      return;
  }
}

/**
 * A credential header's value, and the credential alone when it follows a
 * scheme (`Bearer abc`, `Token abc`): a server may echo either.
 */
export function registerHeaderValue(masker: SecretMasker, value: string): void {
  masker.add(value);
  const scheme = /^[A-Za-z][\w-]*\s+(\S.*)$/.exec(value.trim());
  if (scheme) masker.add(scheme[1]);
}

/** Credentials a URL carries: the user info (a lone user name is usually a token) and secret-looking query values. */
export function registerUrlSecrets(masker: SecretMasker, url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return;
  }
  for (const part of [parsed.password || parsed.username]) {
    if (part) masker.add(part).add(safeDecode(part));
  }
  if (parsed.username && parsed.password) masker.add(basicCredentials(safeDecode(parsed.username), safeDecode(parsed.password)));
  for (const [name, value] of parsed.searchParams) if (looksSecret(name)) masker.add(value);
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
