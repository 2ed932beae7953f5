import type { Config } from './config/index.js';
import type { Database } from './db/index.js';
import { migrate, openDatabase, type MigrationReport } from './db/index.js';
import { AuditService } from './audit/index.js';
import { LoginService, OrgsService, TokensService, UsersService } from './auth/index.js';
import type { Logger } from './logger.js';

/**
 * The domain services, plain objects wired once per process. The HTTP API,
 * the CLI and (later) workers all use these; none of them knows about HTTP.
 */
export interface Services {
  config: Config;
  db: Database;
  logger: Logger;
  orgs: OrgsService;
  users: UsersService;
  tokens: TokensService;
  login: LoginService;
  audit: AuditService;
  /** What opening the database applied (startServices migrates before anything else runs). */
  startupMigrations: MigrationReport | undefined;
  /** Flushes pending audit writes and closes the database. */
  close(): Promise<void>;
}

export function createServices(config: Config, db: Database, logger: Logger, startupMigrations?: MigrationReport): Services {
  const orgs = new OrgsService(db);
  const users = new UsersService(db);
  const tokens = new TokensService(db);
  const audit = new AuditService(db, logger.child({ component: 'audit' }));
  return {
    config,
    db,
    logger,
    orgs,
    users,
    tokens,
    audit,
    startupMigrations,
    login: new LoginService(db, orgs, users, tokens, config.auth),
    async close() {
      await audit.flush();
      await db.close();
    },
  };
}

/** Opens the configured database, applies pending migrations and wires the services. */
export async function startServices(
  config: Config,
  logger: Logger,
  options: { applicationName?: string } = {},
): Promise<{ services: Services; migrations: MigrationReport }> {
  const db = await openDatabase(config.database, options);
  try {
    const migrations = await migrate(db);
    if (migrations.applied.length > 0) {
      logger.info({ applied: migrations.applied.map((m) => `${m.id}_${m.name}`) }, 'database migrated');
    }
    return { services: createServices(config, db, logger, migrations), migrations };
  } catch (error) {
    await db.close();
    throw error;
  }
}
