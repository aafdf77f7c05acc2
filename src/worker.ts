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
  // createApplicationContext starts the worker (it runs init) before Nest's shutdown hooks can be
  // enabled: a SIGTERM in between would kill it with its claimed jobs still leased. Once the
  // database is open, such a signal is held and raised again when the hooks listen, so those
  // jobs are handed back; before that there is nothing to hand back and it ends the process.
  const held = holdShutdownSignals(connection);
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
  held.release();
  if (http && healthPort) await http.listen(healthPort);
  else await app.init();
}

/**
 * Holds SIGTERM and SIGINT from the moment `opened` resolves until release(), which raises the
 * first one held again; before `opened` resolves, a signal takes its default course at once.
 */
function holdShutdownSignals(opened: Promise<unknown>): { release(): void } {
  const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];
  let open = false;
  let received: NodeJS.Signals | undefined;
  const stopHolding = (): void => signals.forEach((signal) => process.off(signal, hold));
  function hold(signal: NodeJS.Signals): void {
    if (open) {
      received ??= signal;
      return;
    }
    stopHolding();
    process.kill(process.pid, signal);
  }
  signals.forEach((signal) => process.on(signal, hold));
  void opened.then(() => (open = true));
  return {
    release() {
      stopHolding();
      if (received) process.kill(process.pid, received);
    },
  };
}

bootstrap().catch(exitOnBootError);
