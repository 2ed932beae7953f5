import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { z } from 'zod';

/**
 * Who a process is, well enough to tell later whether it still runs: a pid
 * alone is not enough, since the kernel hands a dead process's pid to the
 * next one it starts. On Linux the process's start time (clock ticks after
 * boot, field 22 of /proc/<pid>/stat) tells a reused pid from the original;
 * the boot id and the pid namespace say whether that pid means anything
 * here (another boot, or another container sharing a volume, has pids of its
 * own). Elsewhere only host and pid are known, and a live pid is taken to be
 * its original owner.
 */
export const ProcessIdentity = z.object({
  host: z.string(),
  pid: z.number().int().positive(),
  /** /proc/<pid>/stat field 22. A string: it is compared, never computed with. */
  startTicks: z.string().optional(),
  /** /proc/sys/kernel/random/boot_id. */
  bootId: z.string().optional(),
  /** readlink /proc/self/ns/pid, e.g. `pid:[4026531836]`. */
  pidNamespace: z.string().optional(),
});
export type ProcessIdentity = z.infer<typeof ProcessIdentity>;

/**
 * - `alive`: the process runs (or may: a live pid whose start time cannot be compared).
 * - `dead`: it runs no more: its pid is gone, a zombie, or now another process's.
 * - `unknown`: it is not of this machine (another host, boot or pid namespace), so its pid says nothing here.
 */
export type ProcessState = 'alive' | 'dead' | 'unknown';

let self: ProcessIdentity | undefined;

/** This process. */
export function currentProcess(): ProcessIdentity {
  if (!self) {
    const startTicks = procStat(process.pid)?.startTicks;
    const bootId = readOr(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    const pidNamespace = readOr(() => readlinkSync('/proc/self/ns/pid'));
    self = {
      host: hostname(),
      pid: process.pid,
      ...(startTicks ? { startTicks } : {}),
      ...(bootId ? { bootId } : {}),
      ...(pidNamespace ? { pidNamespace } : {}),
    };
  }
  return self;
}

/** Another running process of this machine, as it would describe itself; undefined when no such pid runs. */
export function identityOf(pid: number): ProcessIdentity | undefined {
  const me = currentProcess();
  if (pid === me.pid) return me;
  const stat = procStat(pid);
  if (me.startTicks !== undefined) return stat ? { ...me, pid, startTicks: stat.startTicks } : undefined;
  return signalable(pid) ? { host: me.host, pid } : undefined;
}

/** Whether `owner` still runs, as far as this process can see (see ProcessState). */
export function processState(owner: ProcessIdentity): ProcessState {
  const me = currentProcess();
  if (owner.host !== me.host || owner.bootId !== me.bootId || owner.pidNamespace !== me.pidNamespace) return 'unknown';
  if (me.startTicks !== undefined) {
    // /proc works here: it answers for the pid, and its start time unmasks a reused pid.
    const stat = procStat(owner.pid);
    if (stat) {
      if (stat.state === 'Z' || stat.state === 'X') return 'dead';
      return owner.startTicks !== undefined && stat.startTicks !== owner.startTicks ? 'dead' : 'alive';
    }
    // No /proc entry: gone, or hidden from this user (hidepid); the signal check tells them apart.
  }
  return signalable(owner.pid) ? 'alive' : 'dead';
}

/** Whether a process with this pid exists (EPERM: it does, as another user's). */
function signalable(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/** A short human form: `host pid 1234`. */
export const describeProcess = (p: ProcessIdentity): string => `${p.host} pid ${p.pid}`;

/** State and start time of a pid from /proc/<pid>/stat, or undefined when there is no such process (or no /proc). */
function procStat(pid: number): { state: string; startTicks: string } | undefined {
  const text = readOr(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  if (!text) return undefined;
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count fields from the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[19];
  return state && startTicks ? { state, startTicks } : undefined;
}

function readOr(read: () => string): string | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
