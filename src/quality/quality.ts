import { z } from 'zod';
import type { Database } from '../db/index.js';
import { iso } from '../db/index.js';
import { qualify, quoteIdent, type Warehouse } from '../stores/warehouse/index.js';

/** What a load left in a table, measured right after it (the second seed's quality report). */
export const QualityMetrics = z.object({
  table: z.string(),
  runId: z.string().nullable(),
  rows: z.number().describe('rows in the table after the load'),
  loaded: z.number().describe('rows this load wrote'),
  rejected: z.number().describe('rows this load rejected'),
  nullRate: z.record(z.string(), z.number()).describe('share of the rows this load wrote that are empty, per column (0..1)'),
  duplicateKeys: z.number().nullable().describe('key values held by more than one row (null when the table has no key)'),
  primaryKey: z.array(z.string()).nullable(),
});
export type QualityMetrics = z.infer<typeof QualityMetrics>;

export const QualityReport = z.object({
  id: z.number().int(),
  table: z.string(),
  runId: z.string().nullable(),
  metrics: QualityMetrics,
  createdAt: z.string(),
});
export type QualityReport = z.infer<typeof QualityReport>;

/**
 * Measures a table after a load: counts, null rate per column of the rows
 * the run wrote, and duplicates on the key (or on `key`, for an append
 * table that names one).
 */
export async function measureTable(warehouse: Warehouse, orgId: string, table: string, load: { runId: string; loaded: number; rejected: number; key?: string[] | null }): Promise<QualityMetrics> {
  const summary = (await warehouse.listTables(orgId)).find((t) => t.name === table);
  if (!summary) return { table, runId: load.runId, rows: 0, loaded: load.loaded, rejected: load.rejected, nullRate: {}, duplicateKeys: null, primaryKey: null };
  const { db, schema } = await warehouse.location(orgId);
  const target = qualify(schema, table);
  const columns = summary.columns.map((c) => c.name);
  const nulls = columns.map((c, i) => `count(*) FILTER (WHERE ${quoteIdent(c)} IS NULL) AS n${i}`);
  const { rows } = await db.query<Record<string, string | number>>(
    `SELECT count(*) AS total${nulls.length ? `, ${nulls.join(', ')}` : ''} FROM ${target} WHERE _sluice_run_id = $1`,
    [load.runId],
  );
  const runRows = Number(rows[0]?.total ?? 0);
  const nullRate: Record<string, number> = {};
  columns.forEach((c, i) => {
    nullRate[c] = runRows === 0 ? 0 : Math.round((Number(rows[0]![`n${i}`]) / runRows) * 10_000) / 10_000;
  });
  const key = summary.primaryKey ?? load.key ?? null;
  let duplicateKeys: number | null = null;
  if (key && key.length > 0 && key.every((k) => columns.includes(k))) {
    const cols = key.map(quoteIdent).join(', ');
    const dup = await db.query<{ n: string | number }>(`SELECT count(*) AS n FROM (SELECT 1 FROM ${target} GROUP BY ${cols} HAVING count(*) > 1) d`);
    duplicateKeys = Number(dup.rows[0]!.n);
  }
  return { table, runId: load.runId, rows: summary.rowCount, loaded: load.loaded, rejected: load.rejected, nullRate, duplicateKeys, primaryKey: key };
}

/** Quality reports kept per organisation and table (`sluice pipeline quality`, the status endpoints). */
export class QualityStore {
  constructor(private readonly db: Database) {}

  /** Keeps the report of a load; a retried check replaces the report of the same run. */
  async record(orgId: string, metrics: QualityMetrics): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (metrics.runId !== null) await tx.query('DELETE FROM quality_reports WHERE org_id = $1 AND table_name = $2 AND run_id = $3', [orgId, metrics.table, metrics.runId]);
      await tx.query('INSERT INTO quality_reports (org_id, table_name, run_id, metrics) VALUES ($1, $2, $3, $4::jsonb)', [orgId, metrics.table, metrics.runId, JSON.stringify(metrics)]);
    });
  }

  async list(orgId: string, options: { table?: string | undefined; days?: number | undefined; limit?: number | undefined } = {}): Promise<QualityReport[]> {
    const { rows } = await this.db.query<{ id: string | number; table_name: string; run_id: string | null; metrics: QualityMetrics; created_at: Date }>(
      `SELECT id, table_name, run_id, metrics, created_at FROM quality_reports
        WHERE org_id = $1 AND ($2::text IS NULL OR table_name = $2) AND created_at >= now() - make_interval(days => $3)
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [orgId, options.table ?? null, options.days ?? 7, options.limit ?? 100],
    );
    return rows.map((r) => ({ id: Number(r.id), table: r.table_name, runId: r.run_id, metrics: r.metrics, createdAt: iso(r.created_at) }));
  }
}
