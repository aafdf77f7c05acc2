import type { AppConfig, SupabaseProject } from '../config/app-config';
import { DatabaseConnection } from '../database/database-connection';
import { describeDatabaseError } from '../database/database-errors';
import type { DbFunctions } from '../database/db-functions.port';
import type { BootLogger, DatabaseRole } from '../database/open-database';
import { retryWhileUnreachable } from '../database/retry-while-unreachable';
import { createSupabaseClient } from './supabase-client';
import { SupabaseDbFunctions } from './supabase-db-functions';
import { RUN_THE_MIGRATION, SupabaseCannotMigrateError, SupabaseRequestError } from './supabase-errors';

/** Jobs over supabase-js RPC: no SQL session, so no migrations, no LISTEN, no database blob store. */
class SupabaseConnection extends DatabaseConnection {
  readonly sql = null;
  readonly description = 'Supabase (SUPABASE_URL, supabase-js RPC)';
  constructor(readonly functions: DbFunctions) {
    super();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Opens the Supabase project as the job database and checks, with one RPC call (inbox_ping), that
 * the key is accepted and the migration is in place. Migrations cannot be applied over RPC, so
 * MIGRATE_ON_BOOT only logs that. A project that does not answer is retried with backoff (the
 * server for DATABASE_BOOT_TIMEOUT_SECONDS); a wrong key or a missing migration stops the server
 * at once with what to do, while a worker logs the same and keeps trying until it is mended.
 */
export async function openSupabase(
  project: SupabaseProject,
  config: AppConfig,
  options: { role: DatabaseRole; logger: BootLogger },
): Promise<DatabaseConnection> {
  if (options.role === 'migrate') throw new SupabaseCannotMigrateError();
  const { logger } = options;
  const worker = options.role === 'worker';
  const functions = new SupabaseDbFunctions(createSupabaseClient(project));
  if (config.databaseBoot.migrate) {
    logger.log(`migrations are not applied over SUPABASE_URL (RPC only calls functions); checking the schema instead`);
  }
  try {
    await retryWhileUnreachable(() => functions.call<string>('inbox_ping', {}), {
      what: `Supabase at ${project.url}`,
      timeoutMs: worker ? config.databaseBoot.workerTimeoutMs : config.databaseBoot.timeoutMs,
      limitSetting: worker ? 'WORKER_DATABASE_BOOT_TIMEOUT_SECONDS' : 'DATABASE_BOOT_TIMEOUT_SECONDS',
      // A worker waits out a wrong key or a missing migration too: someone is about to fix it.
      retryable: (err) =>
        err instanceof SupabaseRequestError && (err.unreachable || worker) && err.problem !== 'failed',
      onRetry: (line) => logger.warn(line),
    });
  } catch (err) {
    if (err instanceof SupabaseRequestError && err.problem === 'schema-missing') throw err;
    throw new Error(`cannot use SUPABASE_URL: ${describeDatabaseError(err)}`, { cause: err });
  }
  logger.log(
    `using Supabase at ${project.url} (supabase-js RPC): no LISTEN over RPC, workers poll every ` +
      `${config.worker.pollIntervalMs / 1000} s (DATABASE_URL brings NOTIFY wake-ups back)`,
  );
  return new SupabaseConnection(functions);
}

export { RUN_THE_MIGRATION };
