import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { exitOnBootError } from './common/boot-error';
import { configureHttpApp } from './http-app';

/** HTTP server. On the embedded database it runs the worker too (WORKER_IN_SERVER). */
async function bootstrap(): Promise<void> {
  const config = AppConfig.fromEnvironment();
  const app = await NestFactory.create(AppModule.forRoot(config, { http: true, worker: config.worker.inServer }), {
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
