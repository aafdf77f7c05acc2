import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { exitOnBootError } from './common/boot-error';
import { bootLogger } from './common/logging';
import { openConnection } from './database/open-database';
import { ConfigError } from './config/environment';

/**
 * Worker process: claims and processes jobs from DATABASE_URL (or SUPABASE_URL, polling). No API; with WORKER_HEALTH_PORT
 * it answers /health and /health/ready there for container probes. A worker that starts before
 * its database waits for it (WORKER_DATABASE_BOOT_TIMEOUT_SECONDS, unset: as long as it takes).
 */
async function bootstrap(): Promise<void> {
  const config = AppConfig.fromEnvironment();
  if (config.database.kind === 'pglite') {
    throw new ConfigError([
      'neither DATABASE_URL nor SUPABASE_URL with SUPABASE_SERVICE_ROLE_KEY is set: a separate worker needs a shared ' +
        'database (the embedded one serves one process; `npm start` runs server and worker together)',
    ]);
  }
  const { healthPort } = config.worker;
  // As in main.ts: opened beside Nest's start-up; a failure is one line and exit 1.
  const connection = openConnection(config, { role: 'worker', logger: bootLogger(config, 'worker') }).catch(
    exitOnBootError,
  );
  const module = await AppModule.forRoot(
    config,
    { http: false, worker: true, health: healthPort !== undefined },
    connection,
  );
  const options = { bufferLogs: true, abortOnError: false };
  const http = healthPort ? await NestFactory.create(module, options) : undefined;
  const app = http ?? (await NestFactory.createApplicationContext(module, options));
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  if (http && healthPort) await http.listen(healthPort);
  else await app.init();
}

bootstrap().catch(exitOnBootError);
