import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { UserError } from '../errors/index.js';

/**
 * AES-256-GCM encryption of secrets at rest (connection passwords, tokens,
 * API keys, client secrets). The envelope records which key sealed it, so a
 * changed SLUICE_SECRET_KEY gives a clear error instead of garbage, and the
 * organisation is bound in as associated data, so a secret copied into
 * another organisation's row does not decrypt.
 *
 * Envelope: `v1.<keyId>.<iv>.<tag>.<ciphertext>`, parts in base64url.
 */
export class SecretBox {
  readonly #key: Buffer;
  /** Eight hex characters naming the key (a hash of it, not the key). */
  readonly keyId: string;

  constructor(secret: string) {
    // HKDF turns any long passphrase into a uniform 256-bit key.
    this.#key = Buffer.from(hkdfSync('sha256', secret, 'sluice', 'secret-box v1', 32));
    this.keyId = createHash('sha256').update(this.#key).digest('hex').slice(0, 8);
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', this.keyId, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  open(envelope: string, context: string): string {
    const parts = envelope.split('.');
    if (parts.length !== 5 || parts[0] !== 'v1') throw new Error('Not a Sluice secret envelope');
    const [, keyId, iv, tag, data] = parts as [string, string, string, string, string];
    if (keyId !== this.keyId) {
      throw new UserError(
        'invalid_settings',
        `A stored secret was encrypted with another SLUICE_SECRET_KEY (key ${keyId}, current key ${this.keyId}); restore the key it was saved with, or enter the secret again`,
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}
