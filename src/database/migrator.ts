import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SqlClient } from './sql-client.port';

/** supabase/migrations at the project root, found from src/, dist/ or dist-bench/src/ alike. */
export const MIGRATIONS_DIR = findUp(join('supabase', 'migrations'));

function findUp(relative: string): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${relative} not found above ${__dirname}`);
  }
}

/**
 * Applies supabase/migrations in file-name order, each once, recorded in
 * inbox_schema_migrations. Safe when several processes start at once: the whole run holds a
 * transaction-scoped advisory lock, so the others wait and then find nothing left to do.
 */
export class Migrator {
  constructor(
    private readonly sql: SqlClient,
    private readonly dir: string = MIGRATIONS_DIR,
  ) {}

  async migrate(): Promise<string[]> {
    const files = readdirSync(this.dir)
      .filter((f) => f.endsWith('.sql'))
      .sort();
    return this.sql.transaction(async (tx) => {
      await tx.query(`select pg_advisory_xact_lock(hashtext('inbox_schema_migrations'))`);
      await tx.exec(`create table if not exists inbox_schema_migrations (
        version text primary key, applied_at timestamptz not null default now())`);
      const applied = new Set(
        (await tx.query<{ version: string }>('select version from inbox_schema_migrations')).map((r) => r.version),
      );
      const done: string[] = [];
      for (const file of files) {
        const version = file.replace(/\.sql$/, '');
        if (applied.has(version)) continue;
        await tx.exec(readFileSync(join(this.dir, file), 'utf8'));
        await tx.query('insert into inbox_schema_migrations (version) values ($1)', [version]);
        done.push(version);
      }
      return done;
    });
  }
}
