import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import type { AppConfig } from '../config/app-config';
import { describeDatabaseError } from './database-errors';
import { Migrator } from './migrator';
import { PgSqlClient } from './pg-sql.client';
import { retryWhileUnreachable } from './retry-while-unreachable';
import type { SqlClient } from './sql-client.port';
import { SupabaseCannotMigrateError } from '../supabase/supabase-errors';
import { DatabaseConnection, SqlDatabaseConnection } from './database-connection';
import { SqlDbFunctions } from './sql-db-functions';

/** Which process opens the database: it names the connections and picks the boot timeout. */
export type DatabaseRole = 'server' | 'worker' | 'migrate' | 'cli';

/** application_name per role, shown in pg_stat_activity (DATABASE_APPLICATION_NAME overrides). */
export const APPLICATION_NAMES: Record<DatabaseRole, string> = {
  server: 'doc-inbox-server',
  worker: 'doc-inbox-worker',
  migrate: 'doc-inbox-migrate',
  cli: 'doc-inbox-cli',
};

/** The part of a logger boot needs: Nest's Logger, or the pino one the entrypoints make before Nest. */
export interface BootLogger {
  log(message: string): void;
  warn(message: string): void;
}

/** MIGRATE_ON_BOOT=false and the schema is behind: the process must not start on it. */
export class MigrationsMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationsMissingError';
  }
}

/**
 * Opens the configured job database, whatever the transport: DATABASE_URL (pg), else
 * SUPABASE_URL with the service role key (supabase-js RPC, no SQL session), else embedded PGlite.
 */
export async function openConnection(
  config: AppConfig,
  options: { role: DatabaseRole; logger?: BootLogger },
): Promise<DatabaseConnection> {
  const target = config.database;
  if (target.kind === 'supabase') {
    // supabase-js and PGlite are loaded by the transport that uses them only.
    const { openSupabase } = await import('../supabase/open-supabase.js');
    return openSupabase(target, config, { role: options.role, logger: options.logger ?? new Logger('Database') });
  }
  const sql = await openDatabase(config, options);
  const description = target.kind === 'postgres' ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite';
  return new SqlDatabaseConnection(sql, description, (s) => new SqlDbFunctions(s));
}

/**
 * Opens the configured SQL database (PostgreSQL or embedded PGlite) and brings its schema up to date,
 * or, with MIGRATE_ON_BOOT=false, checks that it is. An unreachable PostgreSQL is retried with
 * backoff, one log line per try: the server and `migrate` for DATABASE_BOOT_TIMEOUT_SECONDS, a
 * worker for WORKER_DATABASE_BOOT_TIMEOUT_SECONDS (unset: until it answers).
 */
export async function openDatabase(
  config: AppConfig,
  options: { role: DatabaseRole; logger?: BootLogger },
): Promise<SqlClient> {
  const logger = options.logger ?? new Logger('Database');
  const migrate = options.role === 'migrate' || config.databaseBoot.migrate;
  const target = config.database;
  if (target.kind === 'supabase') throw new SupabaseCannotMigrateError();
  if (target.kind === 'pglite') {
    const { ThreadedPgliteSqlClient } = await import('./threaded-pglite-sql.client.js');
    const sql = await ThreadedPgliteSqlClient.open(target.dataDir).catch((err: unknown) => {
      throw new Error(`cannot open the embedded database in ${target.dataDir}: ${describeDatabaseError(err)}`, {
        cause: err,
      });
    });
    try {
      await prepareSchema(sql, { migrate, logger, pushCommand: undefined });
    } catch (err) {
      await sql.close().catch(() => undefined);
      if (err instanceof MigrationsMissingError) throw err;
      throw new Error(`cannot open the embedded database in ${target.dataDir}: ${describeDatabaseError(err)}`, {
        cause: err,
      });
    }
    logger.log(`using embedded PGlite in ${target.dataDir}`);
    return sql;
  }

  const applicationName = config.databaseBoot.applicationName ?? APPLICATION_NAMES[options.role];
  const worker = options.role === 'worker';
  try {
    const sql = await retryWhileUnreachable(
      async (remainingMs) => {
        await probe(target.url, applicationName, remainingMs);
        const client = new PgSqlClient({
          connectionString: target.url,
          max: 10,
          connectionTimeoutMillis: 10_000,
          application_name: applicationName,
        });
        try {
          await prepareSchema(client, {
            migrate,
            logger,
            pushCommand: 'npx supabase db push --db-url "$DATABASE_URL"',
          });
          return client;
        } catch (err) {
          await client.close().catch(() => undefined);
          throw err;
        }
      },
      {
        what: 'DATABASE_URL',
        timeoutMs: worker ? config.databaseBoot.workerTimeoutMs : config.databaseBoot.timeoutMs,
        limitSetting: worker ? 'WORKER_DATABASE_BOOT_TIMEOUT_SECONDS' : 'DATABASE_BOOT_TIMEOUT_SECONDS',
        onRetry: (line) => logger.warn(line),
      },
    );
    logger.log(`using PostgreSQL (DATABASE_URL) as ${applicationName}`);
    return sql;
  } catch (err) {
    if (err instanceof MigrationsMissingError) throw err;
    throw new Error(`cannot open DATABASE_URL: ${describeDatabaseError(err)}`, { cause: err });
  }
}

/** One connection, bounded by the time left, so a try never runs past the boot deadline. */
async function probe(url: string, applicationName: string, remainingMs: number | undefined): Promise<void> {
  const timeout = remainingMs === undefined ? 10_000 : Math.min(Math.max(remainingMs, 1000), 10_000);
  const client = new Client({
    connectionString: url,
    application_name: applicationName,
    connectionTimeoutMillis: timeout,
  });
  // A connection that fails after connecting must not crash the process; the query rejects instead.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function prepareSchema(
  sql: SqlClient,
  options: { migrate: boolean; logger: BootLogger; pushCommand: string | undefined },
): Promise<void> {
  const { logger } = options;
  const migrator = new Migrator(sql);
  for (const file of migrator.skippedFiles()) {
    logger.warn(`skipping supabase/migrations/${file}: not named <timestamp>_<name>.sql, as the Supabase CLI requires`);
  }
  if (options.migrate) {
    const applied = await migrator.migrate();
    logger.log(applied.length > 0 ? `applied migrations: ${applied.join(', ')}` : 'schema is up to date');
  }
  const status = await migrator.status();
  if (status.pending.length > 0) {
    throw new MigrationsMissingError(
      missingMessage(
        status.pending.map((m) => m.file),
        status.legacyRecords,
        options,
      ),
    );
  }
  if (!options.migrate) logger.log('schema is up to date (MIGRATE_ON_BOOT=false: not migrating)');
  if (status.unknown.length > 0) {
    logger.warn(
      `the database records migrations this build does not have (${status.unknown.join(', ')}): was it migrated by a newer release?`,
    );
  }
}

function missingMessage(files: string[], legacyRecords: boolean, options: { pushCommand: string | undefined }): string {
  const which = `${files.length} migration${files.length === 1 ? '' : 's'} (${files.join(', ')})`;
  if (legacyRecords) {
    return (
      `the database lacks ${which} and MIGRATE_ON_BOOT=false; its history is still in inbox_schema_migrations ` +
      `(an older release): run \`npm run migrate\`, which carries it over (\`supabase db push\` would not see it)`
    );
  }
  const commands = options.pushCommand ? `\`npm run migrate\` or \`${options.pushCommand}\`` : '`npm run migrate`';
  return `the database lacks ${which} and MIGRATE_ON_BOOT=false: apply them with ${commands}`;
}
