import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Migrator } from '../../src/database/migrator';
import { PgliteSqlClient } from '../../src/database/pglite-sql.client';
import { PgSqlClient } from '../../src/database/pg-sql.client';
import type { SqlClient } from '../../src/database/sql-client.port';
import type { DbFunctions } from '../../src/database/db-functions.port';
import { SqlDbFunctions } from '../../src/database/sql-db-functions';
import { createSupabaseClient } from '../../src/supabase/supabase-client';
import { SupabaseDbFunctions } from '../../src/supabase/supabase-db-functions';
import { ensureSupabaseRoles, FakeSupabaseServer } from './fake-supabase.server';

export interface TestDatabase {
  sql: SqlClient;
  /** Connection string of a real PostgreSQL database; undefined for PGlite. */
  url?: string;
  /**
   * A new DbFunctions with a transport of its own (for racing workers): over `sql`, or through
   * supabase-js and the loopback Supabase for the supabase target.
   */
  functions(): DbFunctions;
  /** The loopback Supabase in front of the database (supabase target only); no LISTEN there. */
  supabase?: FakeSupabaseServer;
  /** Closes the client and drops the database. */
  dispose(): Promise<void>;
}

export interface DatabaseTarget {
  name: 'pglite' | 'postgres' | 'supabase';
  /** A new, migrated, empty database. */
  create(): Promise<TestDatabase>;
}

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;

/** A fresh database on the TEST_DATABASE_URL server, so test files never share state. */
export async function createPostgresDatabase(
  adminUrl = TEST_DATABASE_URL,
): Promise<{ url: string; drop(): Promise<void> }> {
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `inbox_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** A PgSqlClient on a fresh, empty (unmigrated) database of the TEST_DATABASE_URL server. */
export async function openFreshPostgres(max = 4): Promise<{ sql: PgSqlClient; url: string; dispose(): Promise<void> }> {
  const db = await createPostgresDatabase();
  const sql = new PgSqlClient({ connectionString: db.url, max });
  return {
    sql,
    url: db.url,
    async dispose() {
      await sql.close();
      await db.drop();
    },
  };
}

const pglite: DatabaseTarget = {
  name: 'pglite',
  async create() {
    const sql = await PgliteSqlClient.open();
    await new Migrator(sql).migrate();
    return { sql, functions: () => new SqlDbFunctions(sql), dispose: () => sql.close() };
  },
};

const postgres: DatabaseTarget = {
  name: 'postgres',
  async create() {
    const db = await openFreshPostgres(10);
    await new Migrator(db.sql).migrate();
    return { ...db, functions: () => new SqlDbFunctions(db.sql) };
  },
};

/**
 * A PostgreSQL database with Supabase's roles, migrated (so the security migration's grants
 * apply), behind the loopback Supabase: `functions()` go through the real supabase-js client with
 * the service role key; `sql` stays for tests' own set-up and checks.
 */
const supabase: DatabaseTarget = {
  name: 'supabase',
  async create() {
    if (!TEST_DATABASE_URL) throw new Error('TEST_DATABASE_URL is not set');
    await ensureSupabaseRoles(TEST_DATABASE_URL);
    const db = await createPostgresDatabase();
    const sql = new PgSqlClient({ connectionString: db.url, max: 4 });
    await new Migrator(sql).migrate();
    const server = new FakeSupabaseServer(db.url);
    const url = await server.start();
    return {
      sql,
      url: db.url,
      supabase: server,
      functions: () =>
        new SupabaseDbFunctions(
          createSupabaseClient({ url, serviceRoleKey: server.serviceRoleKey, requestTimeoutMs: 30_000 }),
          { initialDelayMs: 10 },
        ),
      async dispose() {
        await server.stop();
        await sql.close();
        await db.drop();
      },
    };
  },
};

/** PostgreSQL behind the loopback Supabase (supabase-js RPC), when TEST_DATABASE_URL is set. */
export function supabaseTarget(): DatabaseTarget | undefined {
  if (!TEST_DATABASE_URL) {
    console.warn('[supabase] TEST_DATABASE_URL is not set: the loopback Supabase suites are skipped');
    return undefined;
  }
  return supabase;
}

export function postgresTarget(): DatabaseTarget {
  return postgres;
}

/** PGlite always; PostgreSQL when TEST_DATABASE_URL is set (CI sets it). */
export function databaseTargets(): DatabaseTarget[] {
  if (!TEST_DATABASE_URL) {
    console.warn('[postgres] TEST_DATABASE_URL is not set: PostgreSQL store suites skipped, PGlite only');
    return [pglite];
  }
  return [pglite, postgres];
}
