import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, MIGRATIONS_DIR, readMigrationFiles } from '../../src/database/migrator';
import { PgliteSqlClient } from '../../src/database/pglite-sql.client';
import { PgSqlClient } from '../../src/database/pg-sql.client';
import type { SqlClient } from '../../src/database/sql-client.port';
import { createPostgresDatabase, openFreshPostgres, TEST_DATABASE_URL } from '../support/databases';
import { recordAsOldRelease } from '../support/legacy-migrations';

/** An empty database, not migrated: the migrator's starting point. */
interface EmptyDatabase {
  sql: SqlClient;
  url?: string;
  dispose(): Promise<void>;
}

const targets: Array<{ name: string; create(): Promise<EmptyDatabase> }> = [
  {
    name: 'pglite',
    async create() {
      const sql = await PgliteSqlClient.open();
      return { sql, dispose: () => sql.close() };
    },
  },
];
if (TEST_DATABASE_URL) {
  targets.push({
    name: 'postgres',
    create: () => openFreshPostgres(),
  });
} else {
  console.warn('[postgres] TEST_DATABASE_URL is not set: migrator suite runs on PGlite only');
}

const FILES = readdirSync(MIGRATIONS_DIR)
  .filter((f) => /^\d+_.*\.sql$/.test(f))
  .sort();
const STEMS = FILES.map((f) => f.replace(/\.sql$/, ''));

interface HistoryRow {
  version: string;
  name: string;
  statements: string[] | null;
}

const history = (sql: SqlClient) =>
  sql.query<HistoryRow>('select version, name, statements from supabase_migrations.schema_migrations order by version');

/** A copy of supabase/migrations to add files to. */
function migrationsCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'doc-inbox-migrations-'));
  for (const f of readdirSync(MIGRATIONS_DIR)) copyFileSync(join(MIGRATIONS_DIR, f), join(dir, f));
  return dir;
}

describe.each(targets)('Migrator on $name', (target) => {
  let db: EmptyDatabase;
  const dirs: string[] = [];
  beforeEach(async () => {
    db = await target.create();
  });
  afterEach(async () => {
    await db.dispose();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('applies every migration once, recorded as the Supabase CLI records them', async () => {
    expect(await new Migrator(db.sql).migrate()).toEqual(STEMS);
    const rows = await history(db.sql);
    expect(rows).toEqual(
      FILES.map((file) => {
        const [, version, name] = /^(\d+)_(.*)\.sql$/.exec(file)!;
        return { version, name, statements: [readFileSync(join(MIGRATIONS_DIR, file), 'utf8')] };
      }),
    );
    expect(await new Migrator(db.sql).migrate()).toEqual([]);
    expect(await history(db.sql)).toHaveLength(FILES.length);
    // The schema is there, not only the records.
    const [row] = await db.sql.query<{ t: string | null }>(`select to_regclass('inbox_jobs')::text as t`);
    expect(row.t).toBe('inbox_jobs');
  });

  it('reports what is pending without changing anything', async () => {
    const before = await new Migrator(db.sql).status();
    expect(before.pending.map((m) => m.file)).toEqual(FILES);
    expect(before).toMatchObject({ unknown: [], legacyRecords: false });
    const [schema] = await db.sql.query<{ n: number }>(
      `select count(*)::integer as n from pg_namespace where nspname = 'supabase_migrations'`,
    );
    expect(schema.n).toBe(0);
    await new Migrator(db.sql).migrate();
    expect(await new Migrator(db.sql).status()).toEqual({ pending: [], unknown: [], legacyRecords: false });
  });

  it('upgrades a database the previous release migrated (inbox_schema_migrations) without applying anything again', async () => {
    await recordAsOldRelease(db.sql, FILES.slice(0, -1));
    const status = await new Migrator(db.sql).status();
    expect(status.legacyRecords).toBe(true);
    expect(status.pending.map((m) => m.file)).toEqual(FILES);

    // Only the migration the old release had not applied runs; the rest are carried over.
    expect(await new Migrator(db.sql).migrate()).toEqual(STEMS.slice(-1));
    const rows = await history(db.sql);
    expect(rows.map((r) => `${r.version}_${r.name}`)).toEqual(STEMS);
    expect(rows[0].statements).toEqual([readFileSync(join(MIGRATIONS_DIR, FILES[0]), 'utf8')]);
    // Idempotent, and the old table stays for a rolled-back release.
    expect(await new Migrator(db.sql).migrate()).toEqual([]);
    expect(await history(db.sql)).toHaveLength(FILES.length);
    const legacy = await db.sql.query<{ version: string }>('select version from inbox_schema_migrations order by 1');
    expect(legacy.map((r) => r.version)).toEqual(STEMS.slice(0, -1));
    expect(await new Migrator(db.sql).status()).toEqual({ pending: [], unknown: [], legacyRecords: false });
  });

  it('applies a new migration alone, and a failing one leaves nothing behind', async () => {
    const dir = migrationsCopy();
    dirs.push(dir);
    await new Migrator(db.sql, dir).migrate();
    writeFileSync(join(dir, '20991231000000_add_note.sql'), 'alter table inbox_jobs add column note text;\n');
    writeFileSync(join(dir, '20991231000100_broken.sql'), 'create table inbox_half (id int);\nselect 1 / 0;\n');
    await expect(new Migrator(db.sql, dir).migrate()).rejects.toThrow(/division by zero/);
    // One transaction for the run: neither the good one nor the half of the broken one stayed.
    const [row] = await db.sql.query<{ note: number; half: string | null }>(
      `select (select count(*)::integer from information_schema.columns
                where table_name = 'inbox_jobs' and column_name = 'note') as note,
              to_regclass('inbox_half')::text as half`,
    );
    expect(row).toEqual({ note: 0, half: null });
    expect(await history(db.sql)).toHaveLength(FILES.length);

    rmSync(join(dir, '20991231000100_broken.sql'));
    expect(await new Migrator(db.sql, dir).migrate()).toEqual(['20991231000000_add_note']);
    expect((await history(db.sql)).at(-1)).toMatchObject({ version: '20991231000000', name: 'add_note' });
  });

  it('names versions it has no file for, as a newer release would leave them', async () => {
    await new Migrator(db.sql).migrate();
    await db.sql.query(
      `insert into supabase_migrations.schema_migrations (version, name) values ('20991231000000', 'from_the_future')`,
    );
    expect(await new Migrator(db.sql).status()).toMatchObject({ pending: [], unknown: ['20991231000000'] });
  });
});

describe('migration file names, by the Supabase CLI rule', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'doc-inbox-migrations-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('skips files not named <timestamp>_<name>.sql, as `supabase db push` does', () => {
    writeFileSync(join(dir, '20261201000000_first.sql'), 'select 1;');
    writeFileSync(join(dir, 'seed.sql'), 'select 2;');
    writeFileSync(join(dir, 'README.md'), 'not sql');
    const { migrations, skipped } = readMigrationFiles(dir);
    expect(migrations.map((m) => [m.version, m.name])).toEqual([['20261201000000', 'first']]);
    expect(skipped).toEqual(['seed.sql']);
  });

  it('refuses two files with one version: the history table keys on it', () => {
    writeFileSync(join(dir, '20261201000000_a.sql'), 'select 1;');
    writeFileSync(join(dir, '20261201000000_b.sql'), 'select 2;');
    expect(() => readMigrationFiles(dir)).toThrow(/share the version 20261201000000/);
  });
});

const describePostgres = TEST_DATABASE_URL ? describe : describe.skip;

describePostgres('Migrator with several processes booting at once (PostgreSQL)', () => {
  it('applies each migration exactly once: the others wait on the lock and find nothing to do', async () => {
    const db = await createPostgresDatabase();
    const clients = Array.from({ length: 4 }, () => new PgSqlClient({ connectionString: db.url, max: 2 }));
    try {
      const results = await Promise.all(clients.map((sql) => new Migrator(sql).migrate()));
      expect(results.filter((r) => r.length > 0)).toEqual([STEMS]);
      expect(results.filter((r) => r.length === 0)).toHaveLength(3);
      expect(await history(clients[0])).toHaveLength(FILES.length);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
      await db.drop();
    }
  });
});
