import { DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { loggerOptions } from './common/logging';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthHttpModule } from './http/health-http.module';
import { HttpApiModule } from './http/http-api.module';
import { ObservabilityHttpModule } from './http/observability-http.module';
import { MetricsModule } from './metrics/metrics.module';
import type { DatabaseConnection } from './database/database-connection';

export interface AppRoles {
  /** Serve the HTTP API. */
  http: boolean;
  /** Claim and process jobs. */
  worker: boolean;
  /** Serve only the health endpoints (a worker container's probes). */
  health?: boolean;
}

/**
 * Composes the modules a role needs; every role shares config, logging, the database and its
 * metrics. Only the modules under src/http serve routes, and only the HTTP role (or, for /health
 * and /metrics alone, the worker's health port) imports them. The entrypoints pass the database
 * they are opening (and waiting for); without one it is opened here. The worker's modules (OCR,
 * PDF rendering, the provider SDKs) are loaded only for a role that works: an API process that
 * never runs them would carry some 20 MB more heap for every major GC to mark.
 */
@Module({})
export class AppModule {
  static async forRoot(
    config: AppConfig,
    roles: AppRoles,
    connection?: Promise<DatabaseConnection>,
  ): Promise<DynamicModule> {
    const imports: ModuleMetadata['imports'] = [
      ConfigModule.forRoot(config),
      LoggerModule.forRoot(
        loggerOptions(config, roles.http && roles.worker ? 'all-in-one' : roles.http ? 'server' : 'worker'),
      ),
      DatabaseModule.forRoot({ role: roles.http ? 'server' : 'worker', connection }),
      MetricsModule,
    ];
    if (roles.http) imports.push(HttpApiModule);
    else if (roles.health) imports.push(HealthHttpModule);
    // GET /metrics (and request timing) wherever there is an HTTP listener.
    if (roles.http || roles.health) imports.push(ObservabilityHttpModule);
    if (roles.worker) imports.push((await import('./worker/worker.module.js')).WorkerModule);
    return { module: AppModule, imports };
  }
}
