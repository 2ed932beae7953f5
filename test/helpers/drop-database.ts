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
