// Builds the web app (web/dist) when it is missing or older than its sources.
// Runs on `npm install` / `npm ci` (the `prepare` script) and before `npm start`,
// so that a fresh clone serves the app with `npm install && npm start`.
// Without Vite (an install without dev dependencies) it says so and leaves
// the server to show its placeholder page.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const web = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const root = path.dirname(web);
const built = path.join(web, 'dist', 'index.html');
const sources = ['src', 'index.html', 'vite.config.ts', 'tsconfig.json'].map((p) => path.join(web, p));

/** The newest modification time under a file or folder. */
function newest(p) {
  if (!existsSync(p)) return 0;
  const stat = statSync(p);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(p).reduce((max, name) => Math.max(max, newest(path.join(p, name))), stat.mtimeMs);
}

const force = process.argv.includes('--force');
if (!force && existsSync(built) && statSync(built).mtimeMs >= Math.max(...sources.map(newest), newest(path.join(root, 'package-lock.json')))) {
  process.exit(0);
}

const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
if (!existsSync(vite)) {
  console.warn('web app not built: Vite is not installed (install dev dependencies, then run `npm run build:web`)');
  process.exit(0);
}
console.log(existsSync(built) ? 'web app: sources changed, rebuilding web/dist' : 'web app: building web/dist');
const result = spawnSync(process.execPath, [vite, 'build', '--config', path.join(web, 'vite.config.ts'), '--logLevel', 'warn'], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
