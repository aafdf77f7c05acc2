import { DynamicModule, Global, Inject, Module, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DatabaseConnection } from './database-connection';
import { DbFunctions } from './db-functions.port';
import { openConnection, type DatabaseRole } from './open-database';
import { SqlClient } from './sql-client.port';

export { openDatabase, openConnection } from './open-database';

/**
 * Provides the DatabaseConnection, its DbFunctions (what every store calls) and its SqlClient,
 * which is null over Supabase's RPC (inject it with `optional` and cope: no LISTEN, no database
 * blob store). The entrypoints start opening it themselves, beside Nest's own start-up (so
 * waiting for the database logs one line per try, and a failure is their one-line message rather
 * than an injector's stack trace), and hand in the promise; test apps let the module open it.
 */
@Global()
@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(DatabaseConnection) private readonly connection: DatabaseConnection) {}

  static forRoot(options: { role: DatabaseRole; connection?: Promise<DatabaseConnection> }): DynamicModule {
    const opened = options.connection;
    const connection: Provider = opened
      ? { provide: DatabaseConnection, useFactory: () => opened }
      : {
          provide: DatabaseConnection,
          useFactory: (config: AppConfig) => openConnection(config, { role: options.role }),
          inject: [AppConfig],
        };
    const providers: Provider[] = [
      connection,
      { provide: DbFunctions, useFactory: (c: DatabaseConnection) => c.functions, inject: [DatabaseConnection] },
      { provide: SqlClient, useFactory: (c: DatabaseConnection) => c.sql, inject: [DatabaseConnection] },
    ];
    return { module: DatabaseModule, providers, exports: [DatabaseConnection, SqlClient, DbFunctions] };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.connection.close();
  }
}
