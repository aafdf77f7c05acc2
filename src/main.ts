import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { ApiKeyStore } from './auth/api-key-store';
import { authAtBoot } from './auth/auth-boot';
import { AppConfig } from './config/app-config';
import { exitOnBootError } from './common/boot-error';
import { bootLogger } from './common/logging';
import { openConnection } from './database/open-database';
import { configureHttpApp } from './http-app';

/**
 * HTTP server. On the embedded database it runs the worker too (WORKER_IN_SERVER). It listens on
 * HOST, and refuses to start without an API key where keys are required (src/auth/auth-boot.ts).
 */
async function bootstrap(): Promise<void> {
  const config = AppConfig.fromEnvironment();
  const roles = { http: true, worker: config.worker.inServer };
  // Opened beside Nest's start-up: waiting for the database logs a line per try, and a database
  // that cannot be opened ends the process here with one line (Nest, which waits on it, never sees it).
  const connection = openConnection(config, {
    role: 'server',
    logger: bootLogger(config, roles.worker ? 'all-in-one' : 'server'),
  }).catch(exitOnBootError);
  const app = await NestFactory.create(await AppModule.forRoot(config, roles, connection), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  const logger = app.get(Logger);
  // Before listening (and before the worker starts): no keys where keys are required stops here.
  let auth: ReturnType<typeof authAtBoot>;
  try {
    auth = authAtBoot(config, await app.get(ApiKeyStore).anyActive());
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }
  if (auth.mode === 'keys') logger.log(auth.line);
  else logger.warn(auth.line);
  app.enableShutdownHooks();
  configureHttpApp(app);
  await app.listen(config.port, config.host);
  logger.log(`Doc Inbox listening on http://${urlHost(config.host)}:${config.port} (API docs at /docs)`);
}

/** An IPv6 address goes in brackets in a URL. */
function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

bootstrap().catch(exitOnBootError);
