import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { currentProcess, identityOf, processState } from './process-identity.js';

const linux = existsSync('/proc/self/stat');

describe('process identity', () => {
  it.runIf(linux)('describes this process with its start time, boot and pid namespace', () => {
    const me = currentProcess();
    expect(me.pid).toBe(process.pid);
    expect(me.startTicks).toMatch(/^\d+$/);
    expect(me.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(me.pidNamespace).toMatch(/^pid:\[\d+\]$/);
    expect(processState(me)).toBe('alive');
  });

  it('tells a running process from one killed with SIGKILL', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await once(child, 'spawn');
    const identity = identityOf(child.pid!)!;
    expect(identity).toMatchObject({ pid: child.pid, host: currentProcess().host });
    expect(processState(identity)).toBe('alive');
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(identityOf(child.pid!)).toBeUndefined();
    expect(processState(identity)).toBe('dead');
  });

  it.runIf(linux)('takes a pid that another process now has for dead (pid reuse)', () => {
    // This process's pid, recorded by a process that started at another time.
    expect(processState({ ...currentProcess(), startTicks: '1' })).toBe('dead');
  });

  it('cannot tell for a process of another host, boot or pid namespace', () => {
    const me = currentProcess();
    expect(processState({ ...me, host: `${me.host}-elsewhere`, startTicks: '1' })).toBe('unknown');
    if (linux) {
      expect(processState({ ...me, bootId: '00000000-0000-0000-0000-000000000000', startTicks: '1' })).toBe('unknown');
      expect(processState({ ...me, pidNamespace: 'pid:[1]', startTicks: '1' })).toBe('unknown');
    }
  });
});
