import type { Config } from './config/index.js';
import type { Database } from './db/index.js';
import { migrate, openDatabase, type MigrationReport } from './db/index.js';
import { AuditService } from './audit/index.js';
import { LoginService, OrgsService, TokensService, UsersService } from './auth/index.js';
import { ConnectionsService } from './connections/index.js';
import { createHttpClient, type HttpClient } from './connectors/http/transport/index.js';
import type { Logger } from './logger.js';
import { resolveSecretKey, SecretBox } from './secrets/index.js';
import { createWarehouse, type Warehouse } from './stores/warehouse/index.js';
import path from 'node:path';

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
  connections: ConnectionsService;
  /** Outbound access to source APIs: one pooled, SSRF-guarded HTTP client per process. */
  sources: { client: HttpClient };
  /** Each organisation's typed tables: its own database on a server, its own schema when embedded. */
  warehouse: Warehouse;
  /** What opening the database applied (startServices migrates before anything else runs). */
  startupMigrations: MigrationReport | undefined;
  /** Flushes pending audit writes and closes the database. */
  close(): Promise<void>;
}

export interface ServiceOptions {
  /** Seals stored secrets; from SLUICE_SECRET_KEY or the data directory's generated key. */
  secretBox: SecretBox;
  startupMigrations?: MigrationReport | undefined;
}

export function createServices(config: Config, db: Database, logger: Logger, options: ServiceOptions): Services {
  const orgs = new OrgsService(db);
  const users = new UsersService(db);
  const tokens = new TokensService(db);
  const audit = new AuditService(db, logger.child({ component: 'audit' }));
  const client = createHttpClient({ policy: config.sources });
  const warehouse = createWarehouse({
    db,
    database: config.database,
    prefix: config.warehousePrefix,
    spoolDir: path.join(config.dataDir, 'tmp'),
  });
  return {
    config,
    db,
    logger,
    orgs,
    users,
    tokens,
    audit,
    startupMigrations: options.startupMigrations,
    connections: new ConnectionsService(db, options.secretBox),
    sources: { client },
    warehouse,
    login: new LoginService(db, orgs, users, tokens, config.auth),
    async close() {
      await audit.flush();
      await client.close();
      await warehouse.close();
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
    const secretBox = new SecretBox(await resolveSecretKey(config, logger));
    if (migrations.applied.length > 0) {
      logger.info({ applied: migrations.applied.map((m) => `${m.id}_${m.name}`) }, 'database migrated');
    }
    return { services: createServices(config, db, logger, { secretBox, startupMigrations: migrations }), migrations };
  } catch (error) {
    await db.close();
    throw error;
  }
}
