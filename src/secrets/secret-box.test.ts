import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.js';
import { SecretBox } from './secret-box.js';
import { resolveSecretKey } from './secret-key.js';

describe('SecretBox', () => {
  const box = new SecretBox('a passphrase of at least thirty-two characters');

  it('round-trips a secret and never stores it in clear', () => {
    const sealed = box.seal('p@ss:word', 'org:acme');
    expect(sealed).not.toContain('p@ss');
    expect(box.open(sealed, 'org:acme')).toBe('p@ss:word');
    expect(box.seal('p@ss:word', 'org:acme')).not.toBe(sealed);
  });

  it('refuses a secret moved to another organisation', () => {
    const sealed = box.seal('token', 'org:acme');
    expect(() => box.open(sealed, 'org:globex')).toThrow();
  });

  it('refuses a tampered envelope', () => {
    const sealed = box.seal('token', 'org:acme');
    const parts = sealed.split('.');
    parts[4] = Buffer.from('forged').toString('base64url');
    expect(() => box.open(parts.join('.'), 'org:acme')).toThrow();
  });

  it('says so when the key changed', () => {
    const sealed = box.seal('token', 'org:acme');
    const other = new SecretBox('another passphrase of thirty-two characters!!');
    expect(() => other.open(sealed, 'org:acme')).toThrow(/another SLUICE_SECRET_KEY/);
  });
});

describe('resolveSecretKey', () => {
  it('prefers SLUICE_SECRET_KEY', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-key-'));
    const key = 'k'.repeat(40);
    expect(await resolveSecretKey({ secretKey: key, dataDir, database: { kind: 'pglite', dataDir } }, silentLogger())).toBe(key);
  });

  it('generates one key into the data directory, owner-readable only, and reuses it', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sluice-key-'));
    const config = { secretKey: undefined, dataDir, database: { kind: 'pglite' as const, dataDir } };
    const first = await resolveSecretKey(config, silentLogger());
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(statSync(path.join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(await resolveSecretKey(config, silentLogger())).toBe(first);
  });
});
