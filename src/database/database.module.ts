import { DynamicModule, Global, Inject, Module, type OnApplicationShutdown, type Provider } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { openDatabase, type DatabaseRole } from './open-database';
import { SqlClient } from './sql-client.port';

export { openDatabase } from './open-database';

/**
 * Provides the SqlClient. The entrypoints open it before Nest starts (so waiting for the database
 * logs one line per try instead of an injector's stack trace) and hand it in; test apps let the
 * module open it.
 */
@Global()
@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(@Inject(SqlClient) private readonly sql: SqlClient) {}

  static forRoot(options: { role: DatabaseRole; sql?: SqlClient }): DynamicModule {
    const provider: Provider = options.sql
      ? { provide: SqlClient, useValue: options.sql }
      : {
          provide: SqlClient,
          useFactory: (config: AppConfig) => openDatabase(config, { role: options.role }),
          inject: [AppConfig],
        };
    return { module: DatabaseModule, providers: [provider], exports: [SqlClient] };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.sql.close();
  }
}
