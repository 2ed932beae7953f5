import { Writable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { bearer, createTestApp, type TestApp } from './helpers/app.js';
import { describeEachDatabase } from './helpers/databases.js';

/**
 * A server's log is for its work: HTTP requests are one line each at debug,
 * not two at info around every banner line of `npm start`.
 */
describeEachDatabase('request logging', (fixture) => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger({ level: 'info', stream: sink });
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(fixture, {}, { logger });
  });
  afterAll(async () => {
    await t.close();
  });

  it('logs nothing per request at info, and one line per request at debug', async () => {
    lines.length = 0;
    expect((await t.app.inject({ method: 'GET', url: '/api/tables', headers: bearer(t.adminToken) })).statusCode).toBe(200);
    expect(lines.filter((l) => String(l.msg).includes('request'))).toEqual([]);

    lines.length = 0;
    logger.level = 'debug';
    expect((await t.app.inject({ method: 'GET', url: '/api/tables', headers: bearer(t.adminToken) })).statusCode).toBe(200);
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ level: 20, method: 'GET', route: '/api/tables', status: 200 });
    expect(JSON.stringify(requests[0])).not.toContain(t.adminToken);
  });
});
