/**
 * The Python side of bench/forecast: a cached venv with statsforecast
 * (created on first use, reused after), or a clear reason why not.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const STATSFORECAST_VERSION = '2.1.1';

function cacheRoot(): string {
  if (process.env.SLUICE_BENCH_CACHE) return process.env.SLUICE_BENCH_CACHE;
  for (const dir of ['/var/cache/sluice', path.join(os.homedir(), '.cache', 'sluice')]) {
    try {
      mkdirSync(dir, { recursive: true });
      return dir;
    } catch {
      // not writable: try the next one
    }
  }
  return path.join(os.tmpdir(), 'sluice-cache');
}

/** The venv's python with statsforecast importable, or an explanation. */
export function statsforecastPython(): { python: string } | { skip: string } {
  const venv = path.join(cacheRoot(), 'statsforecast-venv');
  const python = path.join(venv, 'bin', 'python');
  const works = () => spawnSync(python, ['-c', 'import statsforecast; print(statsforecast.__version__)'], { encoding: 'utf8' });
  if (existsSync(python) && works().status === 0) return { python };
  try {
    console.log(`creating ${venv} and installing statsforecast ${STATSFORECAST_VERSION} (once)…`);
    execFileSync('python3', ['-m', 'venv', venv], { stdio: 'inherit' });
    execFileSync(python, ['-m', 'pip', 'install', '-q', `statsforecast==${STATSFORECAST_VERSION}`], { stdio: 'inherit' });
  } catch (e) {
    return { skip: `statsforecast is not available (${(e as Error).message.split('\n')[0]}): its columns are skipped` };
  }
  const check = works();
  return check.status === 0 ? { python } : { skip: `statsforecast does not import in ${venv}: ${check.stderr.trim().split('\n').pop()}` };
}
