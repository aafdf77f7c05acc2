import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator, MIGRATIONS_DIR } from '../../src/database/migrator';
import { PgSqlClient } from '../../src/database/pg-sql.client';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/databases';
import { assertBuilt, freePort, ROOT, spawnEntrypoint, type EntrypointProcess } from '../support/entrypoint-process';
import { recordAsOldRelease } from '../support/legacy-migrations';

/** The pinned Supabase CLI (devDependency `supabase`); its binary comes in @supabase/cli-<platform>. */
const CLI = join(ROOT, 'node_modules', '.bin', 'supabase');
const HOME = mkdtempSync(join(tmpdir(), 'doc-inbox-supabase-home-'));

function supabase(args: string[]): { status: number | null; stdout: string; output: string } {
  const run = spawnSync(CLI, args, {
    cwd: ROOT, // reads ./supabase/migrations, as a developer running it from the project would
    env: {
      PATH: process.env.PATH ?? '',
      HOME, // its telemetry and trace files, away from the real home
      SUPABASE_TELEMETRY_DISABLED: '1',
      DO_NOT_TRACK: '1',
    },
    input: '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, stdout: run.stdout, output: `${run.stdout}\n${run.stderr}` };
}

function cliVersion(): string | undefined {
  if (!existsSync(CLI)) return undefined;
  const run = supabase(['--version']);
  return run.status === 0 ? run.stdout.trim() : undefined;
}

const VERSION = TEST_DATABASE_URL ? cliVersion() : undefined;
if (!TEST_DATABASE_URL) console.warn('[postgres] TEST_DATABASE_URL is not set: Supabase CLI agreement tests skipped');
else if (!VERSION)
  console.warn(`[supabase] no working Supabase CLI at ${CLI} (npm ci installs it): CLI agreement tests skipped`);
const describeWithCli = TEST_DATABASE_URL && VERSION ? describe : describe.skip;

const FILES = readdirSync(MIGRATIONS_DIR)
  .filter((f) => /^\d+_.*\.sql$/.test(f))
  .sort();
const VERSIONS = FILES.map((f) => /^(\d+)_/.exec(f)![1]);

/** A local server has no TLS; the CLI insists on it unless told. */
const cliUrl = (url: string) => {
  const u = new URL(url);
  u.searchParams.set('sslmode', 'disable');
  return u.toString();
};

/** `supabase migration list` as {local, remote} pairs, from its JSON output. */
function migrationList(url: string): Array<{ local: string; remote: string }> {
  const run = supabase(['migration', 'list', '--db-url', cliUrl(url), '--output-format', 'json']);
  expect(run.status).toBe(0);
  const parsed = JSON.parse(run.stdout) as { migrations: Array<{ local: string; remote: string }> };
  return parsed.migrations.map(({ local, remote }) => ({ local, remote }));
}

const allApplied = VERSIONS.map((v) => ({ local: v, remote: v }));

describeWithCli('our migrator and the Supabase CLI agree (PostgreSQL)', () => {
  let db: { url: string; drop(): Promise<void> };
  let sql: PgSqlClient;
  const processes: EntrypointProcess[] = [];

  beforeAll(() => {
    assertBuilt();
    expect(VERSION).toBe('2.117.0');
  });
  beforeEach(async () => {
    db = await createPostgresDatabase();
    sql = new PgSqlClient({ connectionString: db.url, max: 2 });
  });
  afterEach(async () => {
    for (const p of processes.splice(0)) {
      if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
      await p.exited;
    }
    await sql.close();
    await db.drop();
  });
  afterAll(() => rmSync(HOME, { recursive: true, force: true }));

  it('after `supabase db push --db-url` our migrator applies nothing and the server boots', async () => {
    const push = supabase(['db', 'push', '--db-url', cliUrl(db.url), '--yes']);
    expect(push.status).toBe(0);
    for (const file of FILES) expect(push.output).toContain(`Applying migration ${file}`);
    expect(migrationList(db.url)).toEqual(allApplied);

    expect(await new Migrator(sql).status()).toEqual({ pending: [], unknown: [], legacyRecords: false });
    expect(await new Migrator(sql).migrate()).toEqual([]);

    // The server, leaving migrations to the CLI, finds the schema complete and is ready.
    const port = await freePort();
    const server = spawnEntrypoint('server', {
      DATABASE_URL: db.url,
      MIGRATE_ON_BOOT: 'false',
      PORT: String(port),
      DATA_DIR: HOME,
      LOG_LEVEL: 'info',
    });
    processes.push(server);
    await server.waitForLine(/^Doc Inbox listening/);
    expect(server.lines.map((l) => l.msg)).toContain('schema is up to date (MIGRATE_ON_BOOT=false: not migrating)');
    expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);
  }, 120_000);

  it('after `npm run migrate` the CLI lists every migration as applied and has nothing to push', async () => {
    const migrate = spawnEntrypoint('migrate', { DATABASE_URL: db.url, DATA_DIR: HOME, LOG_LEVEL: 'info' });
    processes.push(migrate);
    expect(await migrate.exited).toBe(0);
    expect(migrate.lines.map((l) => l.msg)).toContain(
      `applied migrations: ${FILES.map((f) => f.replace(/\.sql$/, '')).join(', ')}`,
    );

    expect(migrationList(db.url)).toEqual(allApplied);
    const push = supabase(['db', 'push', '--db-url', cliUrl(db.url), '--yes']);
    expect(push.status).toBe(0);
    expect(push.output).toContain('Remote database is up to date');
    expect(push.output).not.toContain('Applying migration');
  }, 120_000);

  it('a database the previous release migrated shows as applied in the CLI once we carried its records over', async () => {
    await recordAsOldRelease(sql, FILES);
    // Before the carry-over the CLI sees no history at all (and `db push` would apply everything again).
    expect(migrationList(db.url)).toEqual(VERSIONS.map((v) => ({ local: v, remote: '' })));

    expect(await new Migrator(sql).migrate()).toEqual([]);
    expect(migrationList(db.url)).toEqual(allApplied);
    const push = supabase(['db', 'push', '--db-url', cliUrl(db.url), '--yes']);
    expect(push.status).toBe(0);
    expect(push.output).toContain('Remote database is up to date');
  }, 120_000);
});
