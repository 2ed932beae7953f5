import type { Database } from '../db/index.js';
import type { WriteMode } from '../stores/warehouse/index.js';

export interface TableSettings {
  writeMode: WriteMode;
  primaryKey: string[] | null;
  /** A load of this table triggers forecast_inventory_dag. */
  inventory: boolean;
  loadedWatermark: number;
}

const DEFAULTS: TableSettings = { writeMode: 'append', primaryKey: null, inventory: false, loadedWatermark: 0 };

/** How each of an organisation's tables is loaded from uploads (write mode, key, inventory flag). */
export class TableSettingsStore {
  constructor(private readonly db: Database) {}

  async get(orgId: string, table: string): Promise<TableSettings> {
    const { rows } = await this.db.query<{ write_mode: WriteMode; primary_key: string[] | null; inventory: boolean; loaded_watermark: string | number }>(
      'SELECT write_mode, primary_key, inventory, loaded_watermark FROM table_settings WHERE org_id = $1 AND table_name = $2',
      [orgId, table],
    );
    const r = rows[0];
    return r ? { writeMode: r.write_mode, primaryKey: r.primary_key, inventory: r.inventory, loadedWatermark: Number(r.loaded_watermark) } : { ...DEFAULTS };
  }

  /** Changes only what is given. */
  async set(orgId: string, table: string, changes: Partial<Omit<TableSettings, 'loadedWatermark'>> & { loadedWatermark?: number }): Promise<TableSettings> {
    const current = await this.get(orgId, table);
    const next = { ...current, ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) } as TableSettings;
    await this.db.query(
      `INSERT INTO table_settings (org_id, table_name, write_mode, primary_key, inventory, loaded_watermark)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (org_id, table_name) DO UPDATE
         SET write_mode = EXCLUDED.write_mode, primary_key = EXCLUDED.primary_key, inventory = EXCLUDED.inventory,
             loaded_watermark = GREATEST(table_settings.loaded_watermark, EXCLUDED.loaded_watermark), updated_at = now()`,
      [orgId, table, next.writeMode, next.primaryKey, next.inventory, next.loadedWatermark],
    );
    return next;
  }
}
