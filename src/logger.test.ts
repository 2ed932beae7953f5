import { describe, expect, it } from 'vitest';
import { createLogger, maskingLogger } from './logger.js';
import { SecretMasker } from './secrets/index.js';

const capture = () => {
  const lines: string[] = [];
  return { lines, logger: createLogger({ level: 'info', stream: { write: (line: string) => void lines.push(line) } }) };
};

describe('maskingLogger', () => {
  const SECRET = 'tok/en+9f3a7c1e';

  it("masks the secrets in messages, merged objects, errors' messages and stacks, and in child loggers", () => {
    const { lines, logger } = capture();
    const secrets = new SecretMasker();
    const log = maskingLogger(logger.child({ runId: 'r1' }), secrets);
    // Registered after the logger was made, as an OAuth token is while a task runs.
    secrets.add(SECRET);
    log.info({ url: `https://x/?t=${encodeURIComponent(SECRET)}`, nested: [{ header: `Bearer ${SECRET}` }] }, `answered 401: ${SECRET}`);
    log.error({ err: new Error(`refused ${SECRET}`) }, 'failed');
    log.child({ taskId: 'extract' }).warn('child %s', SECRET);
    const text = lines.join('');
    expect(lines).toHaveLength(3);
    expect(text).not.toContain('tok/en');
    expect(text).not.toContain('tok%2Fen');
    expect(text).toContain('answered 401: ********');
    expect(text).toContain('"runId":"r1"');
    expect(text).toContain('"taskId":"extract"');
    expect(JSON.parse(lines[1]!).err.stack).toContain('refused ********');
  });

  it('logs as the logger it wraps when nothing is secret, and skips levels that are off', () => {
    const { lines, logger } = capture();
    const log = maskingLogger(logger, new SecretMasker().add(SECRET));
    log.debug(`not logged ${SECRET}`);
    expect(lines).toHaveLength(0);
    expect(log.isLevelEnabled('info')).toBe(true);
    maskingLogger(logger, new SecretMasker()).info('plain');
    expect(JSON.parse(lines[0]!).msg).toBe('plain');
  });
});
