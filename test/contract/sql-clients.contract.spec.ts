import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgliteSqlClient } from '../../src/database/pglite-sql.client';
import type { SqlClient } from '../../src/database/sql-client.port';
import { ThreadedPgliteSqlClient } from '../../src/database/threaded-pglite-sql.client';
import { openFreshPostgres, TEST_DATABASE_URL } from '../support/databases';

interface Opened {
  sql: SqlClient;
  dispose(): Promise<void>;
}

/** Every SqlClient the app can run on, each opened fresh. */
const clients: Array<[string, () => Promise<Opened>]> = [
  [
    'PGlite, in memory, on this thread',
    async () => {
      const sql = await PgliteSqlClient.open();
      return { sql, dispose: () => sql.close() };
    },
  ],
  [
    'PGlite on disk, in its own thread (the embedded default)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'doc-inbox-threaded-'));
      const sql = await ThreadedPgliteSqlClient.open(join(dir, 'data'));
      return {
        sql,
        async dispose() {
          await sql.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  ],
];
if (TEST_DATABASE_URL) {
  clients.push(['PostgreSQL (node-postgres)', () => openFreshPostgres()]);
} else {
  console.warn('[postgres] TEST_DATABASE_URL is not set: the SqlClient contract runs on PGlite only');
}

// One contract for every transport: what the stores rely on of a SqlClient.
describe.each(clients)('SqlClient contract: %s', (_name, open) => {
  let opened: Opened;
  let sql: SqlClient;

  beforeAll(async () => {
    opened = await open();
    sql = opened.sql;
    await sql.exec('create table t (id integer primary key, bytes bytea, at timestamptz, doc jsonb)');
  });
  afterAll(() => opened.dispose());
  beforeEach(() => sql.query('delete from t'));

  it('binds parameters and returns bytea as a Buffer, timestamps as Dates, jsonb as objects', async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 254]);
    const at = new Date('2026-12-06T10:00:00.123Z');
    await sql.query('insert into t values ($1, $2, $3, $4::jsonb)', [1, bytes, at, JSON.stringify({ a: [1, 'x'] })]);
    const [row] = await sql.query<{ id: number; bytes: Buffer; at: Date; doc: unknown }>('select * from t');
    expect(Buffer.isBuffer(row.bytes)).toBe(true);
    expect(row.bytes.equals(bytes)).toBe(true);
    expect(row.at).toEqual(at);
    expect(row).toMatchObject({ id: 1, doc: { a: [1, 'x'] } });
  });

  it("rejects with the database's error: its message, SQLSTATE and fields", async () => {
    await sql.query('insert into t (id) values (1)');
    const err = await sql.query('insert into t (id) values (1)').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: '23505', constraint: 't_pkey' });
    expect((err as Error).message).toMatch(/duplicate key value violates unique constraint "t_pkey"/);
    // The client is still usable after an error.
    expect(await sql.query('select count(*)::integer as n from t')).toEqual([{ n: 1 }]);
  });

  it('commits a transaction as one, and rolls it back whole when its function throws', async () => {
    const answer = await sql.transaction(async (tx) => {
      await tx.query('insert into t (id) values (1)');
      await tx.query('insert into t (id) values (2)');
      return 'done';
    });
    expect(answer).toBe('done');
    const failure = await sql
      .transaction(async (tx) => {
        await tx.query('insert into t (id) values (3)');
        throw new Error('changed my mind');
      })
      .catch((e: unknown) => e);
    expect(failure).toEqual(new Error('changed my mind'));
    const failedStatement = await sql
      .transaction(async (tx) => {
        await tx.query('insert into t (id) values (4)');
        await tx.query('insert into t (id) values (1)');
      })
      .catch((e: unknown) => e);
    expect(failedStatement).toMatchObject({ code: '23505' });
    expect(await sql.query('select id from t order by id')).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('runs scripts of several statements', async () => {
    await sql.exec('insert into t (id) values (7); insert into t (id) values (8);');
    expect(await sql.query('select count(*)::integer as n from t')).toEqual([{ n: 2 }]);
  });

  it('delivers NOTIFY payloads to a listener until it stops listening', async () => {
    const heard: string[] = [];
    // node-postgres also calls with '' once connected: a nudge for what came before (listeners poll).
    const stop = await sql.listen('contract_channel', (payload) => payload !== '' && heard.push(payload));
    await sql.query(`select pg_notify('contract_channel', 'one')`);
    await waitFor(() => heard.length === 1);
    await stop();
    await sql.query(`select pg_notify('contract_channel', 'two')`);
    await sql.query('select 1'); // a round trip after the NOTIFY: it would have arrived by now
    await new Promise((r) => setTimeout(r, 100));
    expect(heard).toEqual(['one']);
  });
});

describe('the embedded database in its own thread', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'doc-inbox-threaded-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the event loop running while a statement runs (on this thread it stops)', async () => {
    // Some hundreds of milliseconds of PostgreSQL work; timers here should keep firing meanwhile.
    const slow = 'select sum(x)::bigint as s from generate_series(1, 1000000) as x';
    const ticksDuring = async (sql: SqlClient): Promise<number> => {
      await sql.query('select 1');
      let ticks = 0;
      const timer = setInterval(() => ticks++, 5);
      try {
        await sql.query(slow);
      } finally {
        clearInterval(timer);
      }
      return ticks;
    };
    const threaded = await ThreadedPgliteSqlClient.open(join(dir, 'threaded'));
    const direct = await PgliteSqlClient.open(join(dir, 'direct'));
    try {
      expect(await ticksDuring(threaded)).toBeGreaterThanOrEqual(5);
      expect(await ticksDuring(direct)).toBe(0);
    } finally {
      await threaded.close();
      await direct.close();
    }
  });

  it('is durable as the direct client is (fsync on), and keeps its data across a reopen', async () => {
    const data = join(dir, 'data');
    const first = await ThreadedPgliteSqlClient.open(data);
    expect(
      await first.query(`select current_setting('fsync') as fsync, current_setting('wal_sync_method') as method`),
    ).toEqual([{ fsync: 'on', method: 'fsync' }]);
    await first.exec('create table kept (x integer); insert into kept values (42);');
    await first.close();
    await expect(first.query('select 1')).rejects.toThrow('the embedded database is closed');

    const again = await ThreadedPgliteSqlClient.open(data);
    try {
      expect(await again.query('select x from kept')).toEqual([{ x: 42 }]);
    } finally {
      await again.close();
    }
  });

  it("fails to open with the thread's error, its code and message kept", async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const err = await ThreadedPgliteSqlClient.open(join(file, 'data')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ code: 'ENOTDIR', message: expect.stringContaining(join(file, 'data')) as string });
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setTimeout(r, 20));
  expect(condition()).toBe(true);
}
