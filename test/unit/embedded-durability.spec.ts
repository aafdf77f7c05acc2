import { fsyncSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PgliteSqlClient } from '../../src/database/pglite-sql.client';

// The embedded database on disk: PostgreSQL's fsyncs reach the real files (PGlite alone starts
// with fsync off and has no fsync in its file layer). What this proves: the syncs PostgreSQL asks
// for happen, on the files it names. What it cannot: a real power cut.
describe('the embedded database on disk is crash-durable', () => {
  let parent: string;
  let dir: string;
  let synced: string[];
  const recordSync = (fd: number): void => {
    synced.push(readlinkSync(`/proc/self/fd/${fd}`));
    fsyncSync(fd);
  };

  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'doc-inbox-durable-'));
    dir = join(parent, 'data');
    synced = [];
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('fsyncs the WAL before a commit returns, and the data files at a checkpoint', async () => {
    const sql = await PgliteSqlClient.open(dir, { syncDescriptor: recordSync });
    try {
      expect(
        await sql.query(`select current_setting('fsync') as fsync, current_setting('wal_sync_method') as method`),
      ).toEqual([{ fsync: 'on', method: 'fsync' }]);
      await sql.exec('create table t (x integer)');

      synced = [];
      await sql.query('insert into t values (1)');
      expect(synced.some((p) => p.startsWith(join(dir, 'pg_wal') + '/'))).toBe(true);

      // A commit PostgreSQL need not flush is not flushed: the syncs are PostgreSQL's own.
      synced = [];
      await sql.transaction(async (tx) => {
        await tx.query('set local synchronous_commit = off');
        await tx.query('insert into t values (2)');
      });
      expect(synced.filter((p) => p.includes('pg_wal'))).toEqual([]);

      synced = [];
      await sql.exec('checkpoint');
      expect(synced.some((p) => p.startsWith(join(dir, 'base') + '/'))).toBe(true);
    } finally {
      await sql.close();
    }
  });

  it('syncs a data folder it creates once, whole, with its entry in the parent; not again on reopen', async () => {
    const created = await PgliteSqlClient.open(dir, { syncDescriptor: recordSync });
    await created.close();
    expect(synced).toEqual(expect.arrayContaining([join(dir, 'PG_VERSION'), join(dir, 'base'), dir, dirname(dir)]));

    synced = [];
    const reopened = await PgliteSqlClient.open(dir, { syncDescriptor: recordSync });
    await reopened.close();
    expect(synced).not.toContain(join(dir, 'PG_VERSION'));
    expect(synced).not.toContain(dirname(dir));
  });
});
