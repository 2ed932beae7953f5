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

  it('runs with memory settings sized for an embedded database, not the server defaults initdb writes', async () => {
    // PGlite keeps shared memory in its WebAssembly memory, all of it touched at start: 128 MB by default.
    const { rows } = await db.query<{ name: string; setting: string; unit: string }>(
      "SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'wal_buffers') ORDER BY name",
    );
    const bytes = (r: { setting: string; unit: string }) => Number(r.setting) * (r.unit === '8kB' ? 8192 : 1024);
    expect(bytes(rows.find((r) => r.name === 'shared_buffers')!)).toBeLessThanOrEqual(32 * 1024 * 1024);
  });
});
