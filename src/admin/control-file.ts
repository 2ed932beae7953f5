import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

/**
 * `<dataDir>/control.json`: how CLI commands reach a running `sluice start`
 * that holds the embedded data directory. It holds the server's address and
 * a random control secret; only the owner can read it (mode 0600), so only
 * someone who could open the data directory anyway can use it.
 */
export const ControlFile = z.object({
  pid: z.number().int(),
  url: z.string(),
  secret: z.string().min(32),
  startedAt: z.string(),
});
export type ControlFile = z.infer<typeof ControlFile>;

const fileOf = (dataDir: string) => path.join(dataDir, 'control.json');

/** A fresh control secret for a server about to start. */
export const generateControlSecret = (): string => randomBytes(32).toString('base64url');

export async function writeControlFile(dataDir: string, info: { pid: number; url: string; secret: string }): Promise<ControlFile> {
  const content: ControlFile = { ...info, startedAt: new Date().toISOString() };
  const tmp = `${fileOf(dataDir)}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(content, null, 2), { mode: 0o600 });
  await rename(tmp, fileOf(dataDir));
  return content;
}

export async function readControlFile(dataDir: string): Promise<ControlFile | undefined> {
  try {
    return ControlFile.parse(JSON.parse(await readFile(fileOf(dataDir), 'utf8')));
  } catch {
    return undefined;
  }
}

/** Removes the file only when it is still ours (a newer server may have replaced it). */
export async function removeControlFile(dataDir: string, secret: string): Promise<void> {
  const current = await readControlFile(dataDir);
  if (current?.secret === secret) await rm(fileOf(dataDir), { force: true });
}
