import 'reflect-metadata';
import { AppConfig } from './config/app-config';
import { exitOnBootError } from './common/boot-error';
import { bootLogger } from './common/logging';
import { openDatabase } from './database/open-database';

/**
 * Applies supabase/migrations to the configured database (DATABASE_URL, else the embedded one) and
 * exits, whatever MIGRATE_ON_BOOT says. It records them where `supabase db push` does.
 */
async function main(): Promise<void> {
  const config = AppConfig.fromEnvironment();
  const sql = await openDatabase(config, { role: 'migrate', logger: bootLogger(config, 'migrate', 'Migrate') });
  await sql.close();
}

main().catch(exitOnBootError);
