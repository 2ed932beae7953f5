import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a child `sluice`: only what the test gives, plus PATH and HOME. */
const childEnv = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NODE_ENV: 'test',
  ...env,
});

/** Runs `sluice <args>` to completion in `cwd`. */
export function runSluice(args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: childEnv(options.env ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sluice ${args.join(' ')} did not finish in time\n${stderr}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface RunningSluice {
  url: string;
  /** What the ready line named: the URL of a server, the id of a worker. */
  id: string;
  process: ChildProcess;
  output(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `sluice worker` and resolves once it runs (its `url` is empty). */
export function startSluiceWorker(options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<RunningSluice> {
  return startSluice({ ...options, args: ['worker'], ready: /Sluice worker (\S+) running/ });
}

/** Starts `sluice start` on a free port and resolves once it listens. */
export function startSluice(options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; args?: string[]; ready?: RegExp }): Promise<RunningSluice> {
  const ready = options.ready ?? /is listening on (http:\/\/\S+)/;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...(options.args ?? ['start'])], {
      cwd: options.cwd,
      env: childEnv({ PORT: '0', SLUICE_LOG_LEVEL: 'warn', ...options.env }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let settled = false;
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const onData = (d: Buffer) => {
      output += d.toString();
      const match = ready.exec(output);
      if (match && !settled) {
        settled = true;
        clearTimeout(timer);
        resolve({
          url: match[1]!.startsWith('http') ? match[1]! : '',
          id: match[1]!,
          process: child,
          output: () => output,
          stop: async () => {
            if (child.exitCode === null) child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sluice ${(options.args ?? ['start']).join(' ')} was not ready in time:\n${output}`));
    }, options.timeoutMs ?? 60_000);
    void exited.then((code) => {
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        reject(new Error(`sluice ${(options.args ?? ['start']).join(' ')} exited with ${code}:\n${output}`));
      }
    });
  });
}
