import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SqlClient, SqlExecutor } from './sql-client.port';

/** supabase/migrations at the project root, found from src/, dist/ or dist-bench/src/ alike. */
export const MIGRATIONS_DIR = findUp(join('supabase', 'migrations'));

function findUp(relative: string): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, relative);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) throw new Error(`${relative} not found above ${__dirname}`);
  }
}

/** The Supabase CLI's history table: `supabase db push` and `supabase migration list` read and write it. */
export const HISTORY_TABLE = 'supabase_migrations.schema_migrations';
/** Where releases before 2026-12 recorded migrations, one row per file stem (`20261128000000_jobs`). */
export const LEGACY_HISTORY_TABLE = 'inbox_schema_migrations';
/**
 * The lock every migrating process takes. The key is the one older releases used, so an old and a
 * new process booting together during a rolling upgrade still take turns.
 */
const LOCK = `select pg_advisory_xact_lock(hashtext('inbox_schema_migrations'))`;

/** The CLI's rule for a migration file name: `<timestamp>_<name>.sql`; other files are skipped. */
const FILE_NAME = /^([0-9]+)_(.*)\.sql$/;

export interface MigrationFile {
  /** The timestamp prefix: the CLI's `version`, the history table's key. */
  version: string;
  /** The rest of the stem: the CLI's `name`. */
  name: string;
  /** `<version>_<name>.sql` */
  file: string;
  /** The SQL script. */
  sql: string;
}

export interface MigrationStatus {
  /** Files not recorded in the history table, in the order they would be applied. */
  pending: MigrationFile[];
  /** Versions recorded in the history table with no file here (a newer release migrated this database?). */
  unknown: string[];
  /** inbox_schema_migrations holds records not yet carried over to the history table. */
  legacyRecords: boolean;
}

/** Reads a migrations directory as the Supabase CLI does: names must match, versions must be unique. */
export function readMigrationFiles(dir: string): { migrations: MigrationFile[]; skipped: string[] } {
  const migrations: MigrationFile[] = [];
  const skipped: string[] = [];
  const seen = new Map<string, string>();
  for (const file of readdirSync(dir).sort()) {
    const match = FILE_NAME.exec(file);
    if (!match) {
      if (file.endsWith('.sql')) skipped.push(file);
      continue;
    }
    const [, version, name] = match;
    const other = seen.get(version);
    if (other) throw new Error(`migrations ${other} and ${file} share the version ${version}`);
    seen.set(version, file);
    migrations.push({ version, name, file, sql: readFileSync(join(dir, file), 'utf8') });
  }
  return { migrations, skipped };
}

/**
 * Applies supabase/migrations in file-name order, each once, recorded in the Supabase CLI's
 * history table exactly as `supabase db push` records them (version = the timestamp prefix,
 * name = the rest of the stem, statements = the script), so either tool sees what the other
 * applied. Safe when several processes start at once: the whole run is one transaction holding
 * an advisory lock, so the others wait and then find nothing left to do; a failing migration
 * leaves nothing applied.
 */
export class Migrator {
  constructor(
    private readonly sql: SqlClient,
    private readonly dir: string = MIGRATIONS_DIR,
  ) {}

  /** Applies what is missing; resolves to the applied file stems (`20261128000000_jobs`). */
  async migrate(): Promise<string[]> {
    const { migrations } = readMigrationFiles(this.dir);
    return this.sql.transaction(async (tx) => {
      await tx.query(LOCK);
      await ensureHistoryTable(tx);
      await carryOverLegacyRecords(tx, migrations);
      const applied = await recordedVersions(tx);
      const done: string[] = [];
      for (const m of migrations) {
        if (applied.has(m.version)) continue;
        await tx.exec(m.sql);
        await tx.query(`insert into ${HISTORY_TABLE} (version, name, statements) values ($1, $2, $3)`, [
          m.version,
          m.name,
          [m.sql],
        ]);
        done.push(`${m.version}_${m.name}`);
      }
      return done;
    });
  }

  /** What migrate() would do, read-only (MIGRATE_ON_BOOT=false checks this at boot). */
  async status(): Promise<MigrationStatus> {
    const { migrations } = readMigrationFiles(this.dir);
    const recorded = (await tableExists(this.sql, HISTORY_TABLE))
      ? await recordedVersions(this.sql)
      : new Set<string>();
    const local = new Set(migrations.map((m) => m.version));
    const legacy = (await tableExists(this.sql, LEGACY_HISTORY_TABLE)) ? await legacyVersions(this.sql) : [];
    return {
      pending: migrations.filter((m) => !recorded.has(m.version)),
      unknown: [...recorded].filter((v) => !local.has(v)).sort(),
      legacyRecords: legacy.some((r) => !recorded.has(r.version)),
    };
  }

  /** Files in the directory that the CLI's naming rule skips (they are never applied). */
  skippedFiles(): string[] {
    return readMigrationFiles(this.dir).skipped;
  }
}

async function tableExists(tx: SqlExecutor, table: string): Promise<boolean> {
  const [row] = await tx.query<{ exists: boolean }>('select to_regclass($1) is not null as exists', [table]);
  return row.exists;
}

/** The CLI's own DDL (create if missing, then the columns later CLI versions added). */
async function ensureHistoryTable(tx: SqlExecutor): Promise<void> {
  // Skipped when the table is there: CREATE SCHEMA checks the CREATE privilege even when the
  // schema exists, and a database migrated by the CLI needs nothing from us.
  const [row] = await tx.query<{ columns: number }>(
    `select count(*)::integer as columns from information_schema.columns
     where table_schema = 'supabase_migrations' and table_name = 'schema_migrations'
       and column_name in ('version', 'name', 'statements')`,
  );
  if (row.columns === 3) return;
  await tx.exec(`
    create schema if not exists supabase_migrations;
    create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
    alter table supabase_migrations.schema_migrations add column if not exists statements text[];
    alter table supabase_migrations.schema_migrations add column if not exists name text;`);
}

async function recordedVersions(tx: SqlExecutor): Promise<Set<string>> {
  const rows = await tx.query<{ version: string }>(`select version from ${HISTORY_TABLE}`);
  return new Set(rows.map((r) => r.version));
}

async function legacyVersions(tx: SqlExecutor): Promise<Array<{ version: string; name: string }>> {
  const rows = await tx.query<{ version: string }>(`select version from ${LEGACY_HISTORY_TABLE}`);
  return rows.flatMap((r) => {
    const match = /^([0-9]+)_(.*)$/.exec(r.version);
    return match ? [{ version: match[1], name: match[2] }] : [];
  });
}

/**
 * Copies an older release's records (file stems in inbox_schema_migrations) into the history
 * table, so nothing is applied twice. Idempotent; the old table stays, so that release can
 * still boot on this database if a deploy is rolled back.
 */
async function carryOverLegacyRecords(tx: SqlExecutor, migrations: MigrationFile[]): Promise<void> {
  if (!(await tableExists(tx, LEGACY_HISTORY_TABLE))) return;
  const byVersion = new Map(migrations.map((m) => [m.version, m]));
  for (const { version, name } of await legacyVersions(tx)) {
    const file = byVersion.get(version);
    await tx.query(
      `insert into ${HISTORY_TABLE} (version, name, statements) values ($1, $2, $3) on conflict (version) do nothing`,
      [version, name, file ? [file.sql] : null],
    );
  }
}
