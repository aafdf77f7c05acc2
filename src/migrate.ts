import 'reflect-metadata';
import { AppConfig } from './config/app-config';
import { exitOnBootError } from './common/boot-error';
import { openDatabase } from './database/database.module';

/** Applies supabase/migrations to the configured database (DATABASE_URL, else the embedded one) and exits. */
async function main(): Promise<void> {
  const config = AppConfig.fromEnvironment();
  const sql = await openDatabase(config);
  await sql.close();
}

main().catch(exitOnBootError);
