/** Shared by the test helpers and the benchmarks (no test framework here). */

/**
 * DROP DATABASE … WITH (FORCE) cannot end an autovacuum worker, which runs
 * as another role (a big load wakes one): wait for it and try again.
 */
export async function dropWithRetries(client: { query(sql: string): Promise<unknown> }, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query(`DROP DATABASE IF EXISTS "${name.replaceAll('"', '""')}" WITH (FORCE)`);
      return;
    } catch (error) {
      // 42501: the autovacuum worker is another role's backend; 55006: the database is in use.
      const code = (error as { code?: string }).code;
      if (attempt >= 60 || (code !== '42501' && code !== '55006')) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** Drops every database whose name starts with `prefix` on the server `url` reaches (a test's per-organisation warehouses). */
export async function dropDatabasesWithPrefix(url: string, prefix: string): Promise<void> {
  const { default: pg } = await import('pg');
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE starts_with(datname, $1)', [prefix]);
    for (const { datname } of rows) await dropWithRetries(admin, datname);
  } finally {
    await admin.end();
  }
}
