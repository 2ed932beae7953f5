import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { describeEachDatabase } from '../../test/helpers/databases.js';
import { silentLogger } from '../logger.js';
import { RetentionService } from './retention.service.js';

describeEachDatabase('RetentionService', (fixture) => {
  let t: TestApp;
  const A = 'keep-a';
  const B = 'keep-b';
  const retention = (rawDays: number, auditDays: number, uploadDays = 0) =>
    new RetentionService({ orgs: t.services.orgs, raw: t.services.raw, audit: t.services.audit, files: t.services.files, logger: silentLogger() }, { rawDays, auditDays, uploadDays });
  const rows = (from: number, count: number) => Array.from({ length: count }, (_, i) => ({ rowNumber: from + i, data: { n: from + i } }));
  const auditCount = async (orgId: string | null) =>
    (await t.services.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_events WHERE org_id ${orgId === null ? 'IS NULL' : '= $1'}`, orgId === null ? [] : [orgId])).rows[0]!.n;

  beforeAll(async () => {
    t = await createTestApp(fixture);
    await t.services.orgs.create({ id: A });
    await t.services.orgs.create({ id: B });
    const { raw, audit, db } = t.services;
    // Raw: an old file and a fresh one of A, an old one of B.
    await raw.writeBatch(A, 'orders', { kind: 'file', id: 'old' }, rows(1, 3));
    await raw.writeBatch(B, 'orders', { kind: 'file', id: 'old' }, rows(1, 2));
    await db.query(`UPDATE raw_segments SET ingested_at = now() - interval '40 days'`);
    await raw.writeBatch(A, 'orders', { kind: 'file', id: 'fresh' }, rows(1, 2));
    // Audit: old and recent events of A, an old one of no organisation.
    for (const orgId of [A, A, null]) await audit.record({ orgId, actor: { type: 'system', id: null }, action: 'test.old', outcome: 'success' });
    await audit.flush();
    await db.query(`UPDATE audit_events SET created_at = now() - interval '400 days' WHERE action = 'test.old'`);
    await audit.record({ orgId: A, actor: { type: 'system', id: null }, action: 'test.recent', outcome: 'success' });
    await audit.flush();
  });
  afterAll(async () => {
    await t.close();
  });

  it('deletes nothing when both retentions are 0 (the default)', async () => {
    const service = retention(0, 0);
    expect(service.enabled).toBe(false);
    expect(await service.sweep()).toEqual({ rawRecords: 0, auditEvents: 0, uploads: 0 });
    expect(await t.services.raw.count(A, 'orders')).toBe(5);
  });

  it('deletes raw records and audit events past their retention, of every organisation, and keeps the rest', async () => {
    const auditA = await auditCount(A);
    const auditNone = await auditCount(null);
    const result = await retention(30, 365).sweep();
    expect(result.rawRecords).toBe(5); // A's old file (3) and B's (2)
    expect(await t.services.raw.count(A, 'orders')).toBe(2);
    expect(await t.services.raw.count(A, 'orders', { source: { kind: 'file', id: 'fresh' } })).toBe(2);
    expect(await t.services.raw.count(B, 'orders')).toBe(0);
    expect(result.auditEvents).toBe(3);
    expect(await auditCount(A)).toBe(auditA - 2);
    expect(await auditCount(null)).toBe(auditNone - 1);
    expect((await t.services.audit.list(A, { action: 'test.recent' })).length).toBe(1);
    // Idempotent: a second sweep (another process's, say) finds nothing more.
    expect(await retention(30, 365).sweep()).toEqual({ rawRecords: 0, auditEvents: 0, uploads: 0 });
  });

  it('keeps what is younger than a longer retention', async () => {
    await t.services.raw.writeBatch(A, 'orders', { kind: 'file', id: 'mid' }, rows(1, 1));
    await t.services.db.query(`UPDATE raw_segments SET ingested_at = now() - interval '10 days' WHERE raw_source_id = (SELECT id FROM raw_sources WHERE source_id = 'mid')`);
    expect((await retention(30, 0).sweep()).rawRecords).toBe(0);
    expect((await retention(7, 0).sweep()).rawRecords).toBe(1);
  });

  it('deletes the bytes of uploads loaded before the retention, keeps their record, and takes the same bytes back', async () => {
    const { files, db } = t.services;
    const store = (name: string, text: string) => files.store(A, null, { table: 'orders', filename: name, stream: Readable.from([Buffer.from(text)]) });
    const old = (await store('old.csv', 'id\n1\n')).file;
    const pending = (await store('pending.csv', 'id\n2\n')).file; // landed, never loaded: its bytes stay
    const recent = (await store('recent.csv', 'id\n3\n')).file;
    await files.markLoaded(A, old.fileId, { loaded: 1, rejected: 0, runId: 'r1' });
    await files.markLoaded(A, recent.fileId, { loaded: 1, rejected: 0, runId: 'r2' });
    await db.query(`UPDATE files SET updated_at = now() - interval '40 days' WHERE id = ANY($1::text[])`, [[old.fileId, pending.fileId]]);
    const oldPath = await files.pathOf(A, old.fileId);

    expect((await retention(0, 0, 30).sweep()).uploads).toBe(1);
    expect(existsSync(oldPath)).toBe(false);
    expect(existsSync(await files.pathOf(A, pending.fileId))).toBe(true);
    expect(existsSync(await files.pathOf(A, recent.fileId))).toBe(true);
    const purged = await files.get(A, old.fileId);
    expect(purged).toMatchObject({ status: 'loaded', rowsLoaded: 1, purgedAt: expect.any(String) });
    await expect(files.pathOf(A, old.fileId)).rejects.toThrow(/deleted on .* by retention \(SLUICE_UPLOAD_RETENTION_DAYS\)/);
    expect((await retention(0, 0, 30).sweep()).uploads).toBe(0);

    // The same bytes uploaded again: the same file, its bytes kept again.
    const again = await store('old-again.csv', 'id\n1\n');
    expect(again).toMatchObject({ duplicate: true, file: { fileId: old.fileId, purgedAt: null } });
    expect(existsSync(await files.pathOf(A, old.fileId))).toBe(true);
  });
});
