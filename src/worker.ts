import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { AppConfig } from './config/app-config';
import { exitOnBootError } from './common/boot-error';
import { ConfigError } from './config/environment';

/** Worker process: no HTTP listener; claims and processes jobs from DATABASE_URL. */
async function bootstrap(): Promise<void> {
  const config = AppConfig.fromEnvironment();
  if (config.database.kind !== 'postgres') {
    throw new ConfigError([
      'DATABASE_URL is not set: a separate worker needs PostgreSQL (the embedded database serves one process; `npm start` runs server and worker together)',
    ]);
  }
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, { http: false, worker: true }), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.enableShutdownHooks();
  await app.init();
}

bootstrap().catch(exitOnBootError);
