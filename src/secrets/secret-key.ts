import { randomBytes } from 'node:crypto';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/index.js';
import type { Logger } from '../logger.js';

const KEY_FILE = 'secret.key';

/**
 * The key that seals secrets: SLUICE_SECRET_KEY when set; otherwise one
 * generated once into `<dataDir>/secret.key` (mode 0600), with a warning,
 * because losing that file loses every stored secret, and processes that do
 * not share it cannot read each other's secrets.
 */
export async function resolveSecretKey(config: Pick<Config, 'secretKey' | 'dataDir' | 'database'>, logger: Logger): Promise<string> {
  if (config.secretKey) return config.secretKey;
  const file = path.join(config.dataDir, KEY_FILE);
  try {
    const existing = (await readFile(file, 'utf8')).trim();
    if (existing.length >= 32) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32).toString('base64url');
  try {
    // 'wx': if another process created it meanwhile, use theirs.
    await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return (await readFile(file, 'utf8')).trim();
    throw error;
  }
  logger.warn(
    { file },
    config.database.kind === 'postgres'
      ? 'SLUICE_SECRET_KEY is not set: generated a key into the data directory. Every Sluice process sharing this database needs the same key: set SLUICE_SECRET_KEY.'
      : 'SLUICE_SECRET_KEY is not set: generated a key into the data directory. Back it up with the data; without it stored secrets cannot be read.',
  );
  return key;
}
