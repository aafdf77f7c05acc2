import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Migrator } from '../../src/database/migrator';
import { PgliteSqlClient } from '../../src/database/pglite-sql.client';
import { PgSqlClient } from '../../src/database/pg-sql.client';
import type { SqlClient } from '../../src/database/sql-client.port';

export interface TestDatabase {
  sql: SqlClient;
  /** Connection string of a real PostgreSQL database; undefined for PGlite. */
  url?: string;
  /** Closes the client and drops the database. */
  dispose(): Promise<void>;
}

export interface DatabaseTarget {
  name: 'pglite' | 'postgres';
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

const pglite: DatabaseTarget = {
  name: 'pglite',
  async create() {
    const sql = await PgliteSqlClient.open();
    await new Migrator(sql).migrate();
    return { sql, dispose: () => sql.close() };
  },
};

const postgres: DatabaseTarget = {
  name: 'postgres',
  async create() {
    const db = await createPostgresDatabase();
    const sql = new PgSqlClient({ connectionString: db.url, max: 10 });
    await new Migrator(sql).migrate();
    return {
      sql,
      url: db.url,
      async dispose() {
        await sql.close();
        await db.drop();
      },
    };
  },
};

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
