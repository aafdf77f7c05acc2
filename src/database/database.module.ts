import { DynamicModule, Global, Inject, Module, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DbFunctions } from './db-functions.port';
import { openDatabase, type DatabaseRole } from './open-database';
import { SqlClient } from './sql-client.port';
import { SqlDbFunctions } from './sql-db-functions';

export { openDatabase } from './open-database';

/**
 * Provides the SqlClient. The entrypoints start opening it themselves, beside Nest's own start-up
 * (so waiting for the database logs one line per try, and a failure is their one-line message
 * rather than an injector's stack trace), and hand in the promise; test apps let the module open it.
 */
@Global()
@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(SqlClient) private readonly sql: SqlClient) {}

  static forRoot(options: { role: DatabaseRole; sql?: Promise<SqlClient> }): DynamicModule {
    const opened = options.sql;
    const provider: Provider = opened
      ? { provide: SqlClient, useFactory: () => opened }
      : {
          provide: SqlClient,
          useFactory: (config: AppConfig) => openDatabase(config, { role: options.role }),
          inject: [AppConfig],
        };
    const functions: Provider = {
      provide: DbFunctions,
      useFactory: (sql: SqlClient) => new SqlDbFunctions(sql),
      inject: [SqlClient],
    };
    return { module: DatabaseModule, providers: [provider, functions], exports: [SqlClient, DbFunctions] };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sql.close();
  }
}
