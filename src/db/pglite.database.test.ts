import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteDatabase } from './pglite.database.js';

describe('PgliteDatabase', () => {
  let db: PgliteDatabase;
  beforeAll(async () => {
    db = await PgliteDatabase.open();
  });
  afterAll(async () => {
    await db.close();
  });

  it('lets timers run while queries keep it busy (heartbeats, timeouts and sockets must not starve)', async () => {
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 5);
    const started = Date.now();
    // Several loops of back-to-back queries, as busy workers make them, for at least 100 ms.
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (Date.now() - started < 100) await db.query('SELECT 1');
      }),
    );
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });
});
