import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIGRATIONS_DIR } from '../../src/database/migrator';
import type { SqlClient } from '../../src/database/sql-client.port';

/**
 * Migrates a database as releases before 2026-12 did: each file applied and its stem recorded in
 * inbox_schema_migrations (their Migrator, verbatim but for the file list).
 */
export async function recordAsOldRelease(sql: SqlClient, files: string[], dir = MIGRATIONS_DIR): Promise<void> {
  await sql.transaction(async (tx) => {
    await tx.query(`select pg_advisory_xact_lock(hashtext('inbox_schema_migrations'))`);
    await tx.exec(`create table if not exists inbox_schema_migrations (
      version text primary key, applied_at timestamptz not null default now())`);
    for (const file of files) {
      await tx.exec(readFileSync(join(dir, file), 'utf8'));
      await tx.query('insert into inbox_schema_migrations (version) values ($1)', [file.replace(/\.sql$/, '')]);
    }
  });
}
