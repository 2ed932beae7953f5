import { Writable } from 'node:stream';
import pino from 'pino';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { PgliteDatabase, PostgresDatabase } from '../db/index.js';
import { startTcpProxy } from '../../test/helpers/tcp-proxy.js';
import { silentLogger } from '../logger.js';
import { AuditService } from './audit.service.js';

/**
 * Issue 13, item 5: whatever an entry holds, it is written, once. PostgreSQL
 * refuses NUL in text and jsonb and lone surrogates in jsonb (PGlite and the
 * server alike); before, such an event was dropped with "could not write
 * audit event" in the log.
 */
describeEachDatabase('audit trail', (fx) => {
  it('writes events whose every text holds NUL or lone surrogates, escaped', async () => {
    await fx.db.query("INSERT INTO orgs (id, name) VALUES ('odd', 'odd') ON CONFLICT DO NOTHING");
    const audit = new AuditService(fx.db, silentLogger());
    let deep: unknown = 'bottom\u0000';
    for (let i = 0; i < 50_000; i++) deep = [deep];
    const hostile = 'n\u0000\ud800x\udc00';
    await audit.record({
      orgId: 'odd',
      actor: { type: 'user', id: `u${hostile}` },
      action: `POST /api/x${hostile}`,
      target: `t${hostile}${'t'.repeat(5000)}`,
      outcome: 'failed',
      status: 400,
      requestId: `r${hostile}`,
      ip: `i${hostile}`,
      input: { [`k${hostile}`]: hostile, list: [hostile, { deep }], huge: 'h'.repeat(1_000_000), many: Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i])) },
      errorCode: `e${hostile}`,
    });
    const [event] = await audit.list('odd');
    expect(event).toMatchObject({
      action: 'POST /api/xn\\u0000\\ud800x\\udc00',
      actor: { type: 'user', id: 'un\\u0000\\ud800x\\udc00' },
      requestId: 'rn\\u0000\\ud800x\\udc00',
      errorCode: 'en\\u0000\\ud800x\\udc00',
      target: expect.stringMatching(/… \(5006 chars\)$/),
    });
    const input = event!.input as Record<string, unknown>;
    expect(input['kn\\u0000\\ud800x\\udc00']).toBe('n\\u0000\\ud800x\\udc00');
    expect(input.huge).toMatch(/… \(1000000 chars\)$/);
    expect(JSON.stringify(input).length).toBeLessThan(40_000);
    expect(audit.failedWrites).toBe(0);
  });

  it('does not swallow an event it cannot write: it counts it and logs it whole', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'error' }, new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) }));
    const closed = await PgliteDatabase.open();
    await closed.close();
    const audit = new AuditService(closed, logger);
    await audit.record({ orgId: null, actor: { type: 'anonymous', id: null }, action: 'token.create', outcome: 'success', requestId: 'req-lost', input: { name: 'kept in the log' } });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'could not write audit event', event: { action: 'token.create', requestId: 'req-lost', input: { name: 'kept in the log' } } });
    expect(audit.failedWrites).toBe(1);
  });

  it.runIf(fx.kind === 'postgres')('keeps an event through a short database outage, writing it once the database answers again', async () => {
    const target = new URL(fx.url!);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) }, { up: false });
    const url = new URL(fx.url!);
    url.host = new URL(proxy.url).host;
    const db = new PostgresDatabase({ url: url.toString(), poolMax: 2 });
    try {
      const audit = new AuditService(db, silentLogger());
      const written = audit.record({ orgId: null, actor: { type: 'anonymous', id: null }, action: 'token.create', outcome: 'success', requestId: 'req-outage' });
      await new Promise((r) => setTimeout(r, 400));
      proxy.setUp(true);
      await written;
      expect(audit.failedWrites).toBe(0);
      const { rows } = await fx.db.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_events WHERE request_id = 'req-outage'");
      expect(rows[0]!.n).toBe(1);
    } finally {
      await db.close();
      await proxy.close();
    }
  });
});
