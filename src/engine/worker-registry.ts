import type { Database } from '../db/index.js';
import { ProcessIdentity } from '../process-identity.js';

/** How long a worker's row outlives its last sign of life (a host that never came back). */
const FORGET_AFTER_DAYS = 7;

/**
 * The `workers` table: each worker pool's id with the identity of its
 * process, so that a process starting on a host can tell which of that
 * host's workers died without stopping (kill -9, a crash, the OOM killer)
 * and take their tasks back at once instead of waiting for their leases.
 */
export class WorkerRegistry {
  constructor(private readonly db: Database) {}

  /** Records (or refreshes) this pool; forgets workers silent for a week. */
  async register(id: string, process: ProcessIdentity): Promise<void> {
    await this.db.query(
      `INSERT INTO workers (id, host, process) VALUES ($1, $2, $3::jsonb)
       ON CONFLICT (id) DO UPDATE SET seen_at = now()`,
      [id, process.host, JSON.stringify(process)],
    );
    await this.db.query(`DELETE FROM workers WHERE seen_at < now() - make_interval(days => $1)`, [FORGET_AFTER_DAYS]);
  }

  /** A sign of life; false when the row is gone (then register again). */
  async seen(id: string): Promise<boolean> {
    return (await this.db.query('UPDATE workers SET seen_at = now() WHERE id = $1', [id])).rowCount > 0;
  }

  /** The other workers recorded on `host`. */
  async onHost(host: string, exceptId: string): Promise<{ id: string; process: ProcessIdentity }[]> {
    const { rows } = await this.db.query<{ id: string; process: unknown }>('SELECT id, process FROM workers WHERE host = $1 AND id <> $2', [host, exceptId]);
    return rows.flatMap((r) => {
      const parsed = ProcessIdentity.safeParse(r.process);
      return parsed.success ? [{ id: r.id, process: parsed.data }] : [];
    });
  }

  async forget(ids: readonly string[]): Promise<void> {
    if (ids.length > 0) await this.db.query('DELETE FROM workers WHERE id = ANY($1::text[])', [ids]);
  }
}
