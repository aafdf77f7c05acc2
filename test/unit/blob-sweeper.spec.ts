import { SqlDbFunctions } from '../../src/database/sql-db-functions';
import { SqlJobStore } from '../../src/jobs/sql-job.store';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AppConfig } from '../../src/config/app-config';
import type { SqlClient } from '../../src/database/sql-client.port';
import { blobKeyFor } from '../../src/storage/blob-key';
import { BlobSweepSchedule } from '../../src/storage/blob-sweep.schedule';
import { BlobSweeper, type SweepResult } from '../../src/storage/blob-sweeper';
import { DatabaseBlobStore } from '../../src/storage/database.blob-store';
import { FilesystemBlobStore } from '../../src/storage/filesystem.blob-store';
import { databaseTargets, type TestDatabase } from '../support/databases';

const HOUR = 3600_000;

/**
 * A file row that references `blobKey`. Plain SQL on today's inbox_job_files; the one place to
 * adapt when the schema's file rows change.
 */
async function referenceBlob(sql: SqlClient, blobKey: string): Promise<void> {
  const jobId = randomUUID();
  await new SqlJobStore(new SqlDbFunctions(sql)).createJob({
    id: jobId,
    tenantId: 'default',
    files: [{ filename: 'a.pdf', contentType: 'application/pdf', size: 1, sha256: 'x', blobKey }],
    categories: null,
    maxAttempts: 3,
  });
}

describe.each(databaseTargets())('BlobSweeper on $name', (target) => {
  let db: TestDatabase;
  beforeEach(async () => {
    db = await target.create();
  });
  afterEach(() => db.dispose());

  it('deletes blobs over an hour old that no file row references, and stale half-written puts', async () => {
    const store = new DatabaseBlobStore(new SqlDbFunctions(db.sql));
    const job = randomUUID();
    const keys = {
      referencedOld: blobKeyFor('acme', job, 0),
      orphanOld: blobKeyFor('acme', job, 1),
      orphanNew: blobKeyFor('acme', job, 2),
      referencedNew: blobKeyFor('acme', job, 3),
    };
    for (const key of Object.values(keys)) await store.put(key, Readable.from([Buffer.from(key)]));
    const old = new Date(Date.now() - 2 * HOUR);
    await db.sql.query('update inbox_blobs set written_at = $1 where key = any($2::text[])', [
      old,
      [keys.referencedOld, keys.orphanOld],
    ]);
    await referenceBlob(db.sql, keys.referencedOld);
    await referenceBlob(db.sql, keys.referencedNew);
    // A put whose process was killed two hours ago, and one still running.
    const stale = randomUUID();
    const running = randomUUID();
    for (const upload of [stale, running]) {
      await db.sql.query('select inbox_blob_begin_upload($1)', [upload]);
      await db.sql.query('select inbox_blob_put_chunk($1, 0, $2)', [upload, Buffer.from('partial')]);
    }
    await db.sql.query('update inbox_blob_uploads set started_at = $2 where upload_id = $1', [stale, old]);

    const sweeper = new BlobSweeper(store, new SqlDbFunctions(db.sql));
    expect(await sweeper.sweepOnce()).toEqual<SweepResult>({ scanned: 2, deleted: 1, staleUploads: 1 });
    expect(await store.exists(keys.orphanOld)).toBe(false);
    for (const key of [keys.referencedOld, keys.orphanNew, keys.referencedNew])
      expect(await store.exists(key)).toBe(true);
    const chunks = await db.sql.query<{ upload_id: string }>('select upload_id from inbox_blob_chunks');
    expect(chunks.map((c) => c.upload_id)).not.toContain(stale);
    expect(chunks.map((c) => c.upload_id)).toContain(running);

    // Two hours on, the new orphan is old enough too; referenced blobs never go.
    const later = new Date(Date.now() + 2 * HOUR);
    expect(await sweeper.sweepOnce(later)).toMatchObject({ scanned: 3, deleted: 1 });
    expect(await store.exists(keys.orphanNew)).toBe(false);
    expect(await store.exists(keys.referencedOld)).toBe(true);
    expect(await store.exists(keys.referencedNew)).toBe(true);
  });

  it('sweeps another driver the same way, in batches, over more keys than one batch', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sweep-fs-'));
    try {
      const store = new FilesystemBlobStore(dir);
      const job = randomUUID();
      const old = new Date(Date.now() - 2 * HOUR);
      const keys = Array.from({ length: 1100 }, (_, i) => blobKeyFor('bulk', job, i));
      for (const key of keys) {
        await store.put(key, Readable.from([Buffer.from('x')]));
        await utimes(join(dir, key), old, old);
      }
      await referenceBlob(db.sql, keys[7]);
      await referenceBlob(db.sql, keys[1099]);
      const result = await new BlobSweeper(store, new SqlDbFunctions(db.sql)).sweepOnce();
      expect(result).toEqual<SweepResult>({ scanned: 1100, deleted: 1098, staleUploads: 0 });
      expect(await store.exists(keys[7])).toBe(true);
      expect(await store.exists(keys[1099])).toBe(true);
      expect(await store.exists(keys[8])).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('BlobSweepSchedule', () => {
  afterEach(() => jest.useRealTimers());

  class CountingSweeper {
    calls = 0;
    release?: () => void;
    sweepOnce(): Promise<SweepResult> {
      this.calls++;
      return new Promise((resolve) => (this.release = () => resolve({ scanned: 0, deleted: 0, staleUploads: 0 })));
    }
  }

  it('sweeps on its interval, one sweep at a time, and waits for a running one at shutdown', async () => {
    jest.useFakeTimers();
    const sweeper = new CountingSweeper();
    const config = AppConfig.fromEnvironment({ BLOB_SWEEP_INTERVAL_MINUTES: '10' });
    const schedule = new BlobSweepSchedule(sweeper as unknown as BlobSweeper, config);
    schedule.onApplicationBootstrap();
    expect(sweeper.calls).toBe(0);
    jest.advanceTimersByTime(10 * 60_000);
    expect(sweeper.calls).toBe(1);
    jest.advanceTimersByTime(10 * 60_000); // the first is still running: no second one
    expect(sweeper.calls).toBe(1);
    let stopped = false;
    const shutdown = schedule.onApplicationShutdown().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    sweeper.release?.();
    await shutdown;
    expect(stopped).toBe(true);
    jest.advanceTimersByTime(60 * 60_000);
    expect(sweeper.calls).toBe(1);
  });

  it('never sweeps when the interval is 0', () => {
    jest.useFakeTimers();
    const sweeper = new CountingSweeper();
    const schedule = new BlobSweepSchedule(
      sweeper as unknown as BlobSweeper,
      AppConfig.fromEnvironment({ BLOB_SWEEP_INTERVAL_MINUTES: '0' }),
    );
    schedule.onApplicationBootstrap();
    jest.advanceTimersByTime(24 * HOUR);
    expect(sweeper.calls).toBe(0);
  });
});
