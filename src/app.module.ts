import { DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { ValidationPipe } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AllExceptionsFilter } from './common/all-exceptions.filter';
import { loggerOptions } from './common/logging';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthModule } from './health/health.module';
import { JobStoreModule } from './jobs/job-store.module';
import { JobsModule } from './jobs/jobs.module';
import type { SqlClient } from './database/sql-client.port';
import { WorkerModule } from './worker/worker.module';

export interface AppRoles {
  /** Serve the HTTP API. */
  http: boolean;
  /** Claim and process jobs. */
  worker: boolean;
  /** Serve only the health endpoints (a worker container's probes). */
  health?: boolean;
}

/**
 * Composes the modules a role needs; every role shares config, logging and the database. The
 * entrypoints pass the database they are opening (and waiting for); without one it is opened here.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, roles: AppRoles, sql?: Promise<SqlClient>): DynamicModule {
    const imports: ModuleMetadata['imports'] = [
      ConfigModule.forRoot(config),
      LoggerModule.forRoot(
        loggerOptions(config, roles.http && roles.worker ? 'all-in-one' : roles.http ? 'server' : 'worker'),
      ),
      DatabaseModule.forRoot({ role: roles.http ? 'server' : 'worker', sql }),
      JobStoreModule,
    ];
    if (roles.http) imports.push(JobsModule, HealthModule);
    else if (roles.health) imports.push(HealthModule);
    if (roles.worker) imports.push(WorkerModule);
    return {
      module: AppModule,
      imports,
      providers: roles.http
        ? [
            {
              provide: APP_PIPE,
              useValue: new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }),
            },
            { provide: APP_FILTER, useClass: AllExceptionsFilter },
          ]
        : [],
    };
  }
}
