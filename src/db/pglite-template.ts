import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, cp, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * A new embedded data directory is a copy of a template: a directory that
 * PGlite's initdb made once per installed PGlite version and left in
 * `node_modules/.cache/sluice/`.
 *
 * Why: initdb in PGlite runs a second PGlite and the initdb WebAssembly
 * module beside the one that serves, and takes seconds; the memory it used
 * (~450 MB) stays with the process for its whole life (WebAssembly memory is
 * never returned). Made once in a child process that exits, it costs the
 * serving process nothing, and each new data directory after it is a copy of
 * ~40 MB of files (milliseconds). `npm install` makes the template (`sluice
 * prepare`); without it, the first start makes it.
 */

const require = createRequire(import.meta.url);

/** Where PGlite is installed (its package folder). */
const pgliteRoot = (): string => path.dirname(path.dirname(require.resolve('@electric-sql/pglite')));

export interface TemplateOptions {
  /** Folder of the templates; default `.cache/sluice` in the node_modules that holds PGlite. */
  cacheDir?: string;
}

/** The template of the installed PGlite version (a catalogue made by one version is not another's). */
export async function templateDir(options: TemplateOptions = {}): Promise<string> {
  const root = pgliteRoot();
  const { version } = JSON.parse(await readFile(path.join(root, 'package.json'), 'utf8')) as { version: string };
  return path.join(options.cacheDir ?? path.join(root, '..', '..', '.cache', 'sluice'), `pglite-${version}`);
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );

/** A directory PostgreSQL has finished making holds PG_VERSION; our copies are renamed into place only when whole. */
export const isDataDir = (dir: string): Promise<boolean> => exists(path.join(dir, 'PG_VERSION'));

const staging = (dir: string) => `${dir}.new-${process.pid}-${randomBytes(4).toString('hex')}`;

/**
 * Runs PGlite's initdb into `dir` in a child process: its memory is the
 * operating system's again when the child exits.
 */
function initdbInChild(dir: string, startParams: readonly string[]): Promise<void> {
  const program = [
    'const [entry, dir, params] = process.argv.slice(1);',
    'const { PGlite } = require(entry);',
    '(async () => { const db = new PGlite(dir, { startParams: JSON.parse(params) }); await db.waitReady; await db.close(); })()',
    '  .catch((error) => { process.stderr.write(String(error?.stack ?? error)); process.exit(1); });',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', program, require.resolve('@electric-sql/pglite'), dir, JSON.stringify(startParams)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`making the embedded database failed (initdb exited with ${code ?? signal}): ${stderr.trim()}`)),
    );
  });
}

/**
 * Makes the template when it is missing, and answers where it is; undefined
 * when the cache cannot be written (an installation on a read-only disk, or
 * owned by another user). Several processes may race: the first rename wins.
 */
export async function ensureTemplate(startParams: readonly string[], options: TemplateOptions = {}): Promise<string | undefined> {
  const dir = await templateDir(options);
  if (await isDataDir(dir)) return dir;
  try {
    await mkdir(path.dirname(dir), { recursive: true });
    await access(path.dirname(dir), constants.W_OK);
  } catch {
    return undefined;
  }
  const made = staging(dir);
  try {
    await initdbInChild(made, startParams);
    await rename(made, dir);
  } catch (error) {
    if (!(await isDataDir(dir))) throw error;
    // Another process made it first.
  } finally {
    await rm(made, { recursive: true, force: true });
  }
  return dir;
}

/**
 * Makes `pgdata` a new, empty database when it is not one yet: a copy of
 * the template, or (when the cache cannot be written) initdb in a child
 * process. The caller holds the data directory's lock. A folder without
 * PG_VERSION was never a database (an initdb that did not finish): it is replaced.
 */
export async function createDataDir(pgdata: string, startParams: readonly string[], options: TemplateOptions = {}): Promise<'existing' | 'created'> {
  if (await isDataDir(pgdata)) return 'existing';
  const made = staging(pgdata);
  try {
    const template = await ensureTemplate(startParams, options);
    if (template) await cp(template, made, { recursive: true });
    else await initdbInChild(made, startParams);
    await rm(pgdata, { recursive: true, force: true });
    await rename(made, pgdata);
  } finally {
    await rm(made, { recursive: true, force: true });
  }
  return 'created';
}
