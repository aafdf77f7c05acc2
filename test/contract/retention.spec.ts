import { Readable } from 'node:stream';
import { AppConfig } from '../../src/config/app-config';
import { SqlDbFunctions } from '../../src/database/sql-db-functions';
import { SqlJobQueue } from '../../src/jobs/sql-job.queue';
import { SqlJobStore } from '../../src/jobs/sql-job.store';
import { PURGE_BATCH, RetentionPurger } from '../../src/retention/retention-purger';
import { DatabaseBlobStore } from '../../src/storage/database.blob-store';
import { databaseTargets, type TestDatabase } from '../support/databases';
import { done, newJob } from '../support/fixtures';

const T = 'default';

/**
 * Retention through the real SQL functions and the database BlobStore, on PGlite and PostgreSQL:
 * jobs that ended "long ago" (completed_at set back in SQL) lose their bytes and page text and
 * keep their results, or go whole.
 */
describe.each(databaseTargets())('retention on $name', (target) => {
  let db: TestDatabase;
  let store: SqlJobStore;
  let queue: SqlJobQueue;
  let blobs: DatabaseBlobStore;

  beforeAll(async () => {
    db = await target.create();
    const fns = new SqlDbFunctions(db.sql);
    store = new SqlJobStore(fns);
    queue = new SqlJobQueue(fns, { leaseSeconds: 30 });
    blobs = new DatabaseBlobStore(fns);
  }, 60_000);
  afterAll(() => db.dispose());
  beforeEach(() => db.sql.exec('delete from inbox_jobs; delete from inbox_job_events'));

  const purger = (env: Record<string, string>) =>
    new RetentionPurger(new SqlDbFunctions(db.sql), blobs, AppConfig.fromEnvironment(env));

  /** A job with its files' bytes in the store, run to the end by a worker, ended `daysAgo` days ago. */
  async function finishedJob(daysAgo: number, files = 2, outcome: 'completed' | 'failed' = 'completed') {
    // One attempt: a job-level failure then fails the job for good.
    const job = newJob(files, { maxAttempts: outcome === 'failed' ? 1 : 3 });
    for (const f of job.files) await blobs.put(f.blobKey, Readable.from([Buffer.from(`bytes of ${f.filename}`)]));
    await store.createJob(job);
    const claimed = await queue.claim('w1', 10);
    expect(claimed.map((c) => c.id)).toContain(job.id);
    if (outcome === 'completed') {
      await queue.record(
        'w1',
        job.files.map((_, i) => done(job.id, i, `page text ${i}`)),
      );
    } else {
      await queue.fail('w1', job.id, 'gave up');
    }
    await db.sql.query(`update inbox_jobs set completed_at = now() - make_interval(days => $2) where id = $1`, [
      job.id,
      daysAgo,
    ]);
    return job;
  }

  const pageCount = async (jobId: string) =>
    Number((await db.sql.query<{ n: string }>('select count(*) n from inbox_pages where job_id = $1', [jobId]))[0]!.n);

  it('purges the bytes and page text of jobs past RETENTION_FILES_DAYS and keeps their results', async () => {
    const old = await finishedJob(31);
    const recent = await finishedJob(29);
    expect(await pageCount(old.id)).toBe(2);

    const result = await purger({ RETENTION_FILES_DAYS: '30' }).purgeOnce();
    expect(result).toEqual({ filesPurgedJobs: 1, filesPurged: 2, jobsDeleted: 0, blobsDeleted: 2 });

    const purged = (await store.getJob(T, old.id))!;
    expect(purged.status).toBe('completed');
    expect(purged.documents.map((d) => [d.status, d.result?.document_type])).toEqual([
      ['completed', 'invoice'],
      ['completed', 'invoice'],
    ]);
    expect(purged.files.every((f) => f.purgedAt instanceof Date && f.blobKey === null)).toBe(true);
    expect(purged.events.map((e) => e.type)).toContain('job.files_purged');
    expect(await pageCount(old.id)).toBe(0);
    for (const f of old.files) expect(await blobs.exists(f.blobKey)).toBe(false);
    expect((await store.getDocument(T, old.id, 0))!.text).toBeNull();
    const file = (await store.getFile(T, old.id, 0))!.file!;
    expect(file.purgedAt).toBeInstanceOf(Date);

    // The recent job is untouched.
    const kept = (await store.getJob(T, recent.id))!;
    expect(kept.files.every((f) => f.purgedAt === null && f.blobKey !== null)).toBe(true);
    expect(await pageCount(recent.id)).toBe(2);
    for (const f of recent.files) expect(await blobs.exists(f.blobKey)).toBe(true);

    // A second run finds nothing more to do.
    expect(await purger({ RETENTION_FILES_DAYS: '30' }).purgeOnce()).toEqual({
      filesPurgedJobs: 0,
      filesPurged: 0,
      jobsDeleted: 0,
      blobsDeleted: 0,
    });
  });

  it('deletes whole jobs past RETENTION_JOBS_DAYS, with their blobs, pages and events', async () => {
    const ancient = await finishedJob(91);
    const old = await finishedJob(31);
    const result = await purger({ RETENTION_FILES_DAYS: '30', RETENTION_JOBS_DAYS: '90' }).purgeOnce();
    expect(result).toEqual({ filesPurgedJobs: 1, filesPurged: 2, jobsDeleted: 1, blobsDeleted: 4 });
    expect(await store.getJob(T, ancient.id)).toBeNull();
    const rows = await db.sql.query<{ n: string }>(
      `select (select count(*) from inbox_job_events where job_id = $1)
            + (select count(*) from inbox_job_files where job_id = $1)
            + (select count(*) from inbox_job_documents where job_id = $1)
            + (select count(*) from inbox_pages where job_id = $1) as n`,
      [ancient.id],
    );
    expect(Number(rows[0]!.n)).toBe(0);
    for (const f of [...ancient.files, ...old.files]) expect(await blobs.exists(f.blobKey)).toBe(false);
    expect((await store.getJob(T, old.id))!.documents[0]!.result?.document_type).toBe('invoice');
  });

  it('leaves unfinished jobs alone, however old', async () => {
    const job = newJob(1);
    await blobs.put(job.files[0]!.blobKey, Readable.from([Buffer.from('bytes')]));
    await store.createJob(job);
    await db.sql.query(`update inbox_jobs set created_at = now() - interval '400 days' where id = $1`, [job.id]);
    const result = await purger({ RETENTION_FILES_DAYS: '1', RETENTION_JOBS_DAYS: '1' }).purgeOnce();
    expect(result.jobsDeleted + result.filesPurgedJobs).toBe(0);
    expect(await blobs.exists(job.files[0]!.blobKey)).toBe(true);
  });

  it('refuses to retry a failed job whose files were purged', async () => {
    const job = await finishedJob(31, 1, 'failed');
    expect((await store.getJob(T, job.id))!.status).toBe('failed');
    await purger({ RETENTION_FILES_DAYS: '30' }).purgeOnce();
    const answer = (await store.retryJob(T, job.id))!;
    expect(answer).toMatchObject({ retried: false, purged: true });
    expect(answer.job.status).toBe('failed');
  });

  it('purges in batches, and two purgers side by side purge each job once', async () => {
    const count = PURGE_BATCH + 20;
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const job = newJob(1);
      await store.createJob(job);
      ids.push(job.id);
    }
    // Finished long ago, without going through a worker (the claim path is covered above).
    await db.sql.query(
      `update inbox_jobs set status = 'completed', completed_at = now() - interval '40 days' where id = any ($1::uuid[])`,
      [ids],
    );
    const env = { RETENTION_FILES_DAYS: '30' };
    const [a, b] = await Promise.all([purger(env).purgeOnce(), purger(env).purgeOnce()]);
    expect(a.filesPurgedJobs + b.filesPurgedJobs).toBe(count);
    const events = await db.sql.query<{ n: string }>(
      `select count(*) n from inbox_job_events where type = 'job.files_purged'`,
    );
    expect(Number(events[0]!.n)).toBe(count);
  });
});
