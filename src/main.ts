import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { exitOnBootError } from './common/boot-error';
import { bootLogger } from './common/logging';
import { openConnection } from './database/open-database';
import { configureHttpApp } from './http-app';

/** HTTP server. On the embedded database it runs the worker too (WORKER_IN_SERVER). */
async function bootstrap(): Promise<void> {
  const config = AppConfig.fromEnvironment();
  const roles = { http: true, worker: config.worker.inServer };
  // Opened beside Nest's start-up: waiting for the database logs a line per try, and a database
  // that cannot be opened ends the process here with one line (Nest, which waits on it, never sees it).
  const connection = openConnection(config, {
    role: 'server',
    logger: bootLogger(config, roles.worker ? 'all-in-one' : 'server'),
  }).catch(exitOnBootError);
  const app = await NestFactory.create(AppModule.forRoot(config, roles, connection), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  configureHttpApp(app);
  await app.listen(config.port);
  app.get(Logger).log(`Doc Inbox listening on http://localhost:${config.port} (API docs at /docs)`);
}

bootstrap().catch(exitOnBootError);
