import { Global, Inject, Logger, Module, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DbFunctions } from './db-functions.port';
import { Migrator } from './migrator';
import { PgliteSqlClient } from './pglite-sql.client';
import { PgSqlClient } from './pg-sql.client';
import { SqlClient } from './sql-client.port';
import { SqlDbFunctions } from './sql-db-functions';

/** Opens the configured database (PostgreSQL or embedded PGlite) and brings its schema up to date. */
export async function openDatabase(config: AppConfig): Promise<SqlClient> {
  const logger = new Logger('Database');
  const sql =
    config.database.kind === 'postgres'
      ? new PgSqlClient({ connectionString: config.database.url, max: 10, connectionTimeoutMillis: 10_000 })
      : await PgliteSqlClient.open(config.database.dataDir);
  try {
    // Idempotent and serialised by an advisory lock, so every process may run it at boot.
    const applied = await new Migrator(sql).migrate();
    logger.log(applied.length > 0 ? `applied migrations: ${applied.join(', ')}` : 'schema is up to date');
  } catch (err) {
    await sql.close().catch(() => undefined);
    const where =
      config.database.kind === 'postgres' ? 'DATABASE_URL' : `the embedded database in ${config.database.dataDir}`;
    throw new Error(`cannot open ${where}: ${(err as Error).message}`, { cause: err });
  }
  logger.log(
    config.database.kind === 'postgres'
      ? 'using PostgreSQL (DATABASE_URL)'
      : `using embedded PGlite in ${config.database.dataDir}`,
  );
  return sql;
}

@Global()
@Module({
  providers: [
    { provide: SqlClient, useFactory: openDatabase, inject: [AppConfig] },
    { provide: DbFunctions, useFactory: (sql: SqlClient) => new SqlDbFunctions(sql), inject: [SqlClient] },
  ],
  exports: [SqlClient, DbFunctions],
})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(SqlClient) private readonly sql: SqlClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.sql.close();
  }
}
