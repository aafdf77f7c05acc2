import { SqlJobStore } from '../../src/jobs/sql-job.store';
import { PgSqlClient } from '../../src/database/pg-sql.client';
import type { SqlClient } from '../../src/database/sql-client.port';
import type { FileOutcome } from '../../src/jobs/job.model';
import { Client } from 'pg';
import { databaseTargets, postgresTarget, TEST_DATABASE_URL, type TestDatabase } from '../support/databases';
import { documentResult, newJob, textFile } from '../support/fixtures';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const done = (jobId: string, position: number, text = 'x'): FileOutcome => ({
  jobId,
  position,
  status: 'completed',
  result: documentResult(),
  text,
});

describe.each(databaseTargets())('JobStore contract on $name', (target) => {
  let db: TestDatabase;
  let store: SqlJobStore;

  beforeAll(async () => {
    db = await target.create();
    store = new SqlJobStore(db.sql);
  });
  afterAll(() => db.dispose());
  beforeEach(() => db.sql.exec('delete from inbox_jobs'));

  it('stores a job and all its files in one transaction', async () => {
    const job = await store.createJob(newJob(3, { categories: ['invoice'] }));
    expect(job).toMatchObject({ status: 'pending', totalFiles: 3, progress: 0, attempts: 0, categories: ['invoice'] });
    const rows = await db.sql.query<{ position: number; size: number; bytes: Uint8Array }>(
      'select position, size, bytes from inbox_job_files where job_id = $1 order by position',
      [job.id],
    );
    expect(rows.map((r) => r.position)).toEqual([0, 1, 2]);
    expect(Buffer.from(rows[1].bytes).toString()).toBe('document 1');
    const read = await store.getJob(job.id);
    expect(read?.files.map((f) => [f.filename, f.status])).toEqual([
      ['doc-0.txt', 'pending'],
      ['doc-1.txt', 'pending'],
      ['doc-2.txt', 'pending'],
    ]);
  });

  it('stores nothing when one file cannot be written', async () => {
    const bad = textFile('bad\u0000name.txt', 'x'); // PostgreSQL text refuses NUL
    await expect(store.createJob(newJob(1, { files: [textFile('ok.txt', 'ok'), bad] }))).rejects.toThrow();
    const [{ n }] = await db.sql.query<{ n: number }>('select count(*)::int as n from inbox_jobs');
    const [{ m }] = await db.sql.query<{ m: number }>('select count(*)::int as m from inbox_job_files');
    expect([n, m]).toEqual([0, 0]);
  });

  it('claims the oldest runnable jobs once, under a lease, counting the attempt', async () => {
    const first = await store.createJob(newJob(2));
    const second = await store.createJob(newJob(1));
    const claimed = await store.claimJobs('w1', 1, 30);
    expect(claimed).toEqual([
      expect.objectContaining({
        id: first.id,
        attempts: 1,
        pendingFiles: [expect.objectContaining({ position: 0 }), expect.objectContaining({ position: 1 })],
      }),
    ]);
    // Small files come with the claim, so a worker needs no query per file for them.
    expect(claimed[0].pendingFiles.map((f) => f.bytes?.toString())).toEqual(['document 0', 'document 1']);
    const again = await store.claimJobs('w2', 10, 30);
    expect(again.map((j) => j.id)).toEqual([second.id]);
    expect(await store.claimJobs('w3', 10, 30)).toEqual([]);
    const [row] = await db.sql.query<{ status: string; locked_by: string; lease: number }>(
      `select status, locked_by, extract(epoch from locked_until - now())::float as lease from inbox_jobs where id = $1`,
      [first.id],
    );
    expect(row.status).toBe('processing');
    expect(row.locked_by).toBe('w1');
    expect(row.lease).toBeGreaterThan(25);
  });

  it('moves progress file by file and completes the job with its last file', async () => {
    const job = await store.createJob(newJob(3));
    await store.claimJobs('w1', 1, 30);
    expect(await store.recordFileOutcomes('w1', [done(job.id, 0)])).toEqual([]);
    expect(await store.getJob(job.id)).toMatchObject({ status: 'processing', progress: 33, processedFiles: 1 });
    const completed = await store.recordFileOutcomes('w1', [
      done(job.id, 1),
      { jobId: job.id, position: 2, status: 'failed', error: { code: 'corrupt_pdf', message: 'broken' } },
    ]);
    expect(completed).toEqual([job.id]);
    const read = await store.getJob(job.id);
    expect(read).toMatchObject({
      status: 'completed',
      progress: 100,
      processedFiles: 3,
      failedFiles: 1,
      lockedBy: null,
    });
    expect(read?.completedAt).toBeInstanceOf(Date);
    expect(read?.files[2]).toMatchObject({ status: 'failed', error: { code: 'corrupt_pdf', message: 'broken' } });
    expect(read?.files[0].result?.document_type).toBe('invoice');
  });

  it('ignores outcomes from a worker that no longer holds the job, and never writes a file twice', async () => {
    const job = await store.createJob(newJob(2));
    await store.claimJobs('w1', 1, 30);
    expect(await store.recordFileOutcomes('intruder', [done(job.id, 0)])).toEqual([]);
    await store.recordFileOutcomes('w1', [done(job.id, 0, 'first')]);
    await store.recordFileOutcomes('w1', [done(job.id, 0, 'second')]);
    const [row] = await db.sql.query<{ text: string }>(
      'select text from inbox_job_files where job_id = $1 and position = 0',
      [job.id],
    );
    expect(row.text).toBe('first');
    expect(await store.getJob(job.id)).toMatchObject({ processedFiles: 1, status: 'processing' });
  });

  it('gives a job whose lease expired to another worker, which resumes at the first unfinished file', async () => {
    const job = await store.createJob(newJob(3));
    await store.claimJobs('dead', 1, 1);
    await store.recordFileOutcomes('dead', [done(job.id, 0)]);
    expect(await store.claimJobs('w2', 1, 30)).toEqual([]); // lease still held
    await sleep(1300);
    const [reclaimed] = await store.claimJobs('w2', 1, 30);
    expect(reclaimed.id).toBe(job.id);
    expect(reclaimed.attempts).toBe(2);
    expect(reclaimed.pendingFiles.map((f) => f.position)).toEqual([1, 2]);
    // The dead worker's late heartbeat and results are refused.
    expect(await store.heartbeat('dead', [job.id], 30)).toEqual([]);
    expect(await store.recordFileOutcomes('dead', [done(job.id, 1)])).toEqual([]);
    expect(await store.heartbeat('w2', [job.id], 30)).toEqual([job.id]);
  });

  it('fails a job whose lease expired on its last attempt instead of running it again', async () => {
    const job = await store.createJob(newJob(1, { maxAttempts: 1 }));
    await store.claimJobs('dead', 1, 1);
    await sleep(1300);
    expect(await store.claimJobs('w2', 1, 30)).toEqual([]);
    const read = await store.getJob(job.id);
    expect(read?.status).toBe('failed');
    expect(read?.error).toMatch(/lease expired/);
  });

  it('retries a failed job later with backoff, then fails it with the last error kept', async () => {
    const job = await store.createJob(newJob(1, { maxAttempts: 2 }));
    await store.claimJobs('w1', 1, 30);
    expect(await store.failJob('w1', job.id, 'provider down')).toBe('pending');
    const [row] = await db.sql.query<{ delay: number }>(
      'select extract(epoch from run_at - now())::float as delay from inbox_jobs where id = $1',
      [job.id],
    );
    expect(row.delay).toBeGreaterThan(0.5); // 2^1 s * jitter(0.75..1.25)
    expect(row.delay).toBeLessThan(3);
    expect(await store.claimJobs('w1', 1, 30)).toEqual([]); // not runnable yet
    await db.sql.query(`update inbox_jobs set run_at = now() where id = $1`, [job.id]);
    await store.claimJobs('w1', 1, 30);
    expect(await store.failJob('w1', job.id, 'provider still down')).toBe('failed');
    expect(await store.getJob(job.id)).toMatchObject({ status: 'failed', attempts: 2, error: 'provider still down' });
    expect(await store.failJob('w1', job.id, 'again')).toBeNull();
  });

  it('releases held jobs at once without spending an attempt', async () => {
    const job = await store.createJob(newJob(1));
    await store.claimJobs('w1', 1, 30);
    await store.releaseJobs('w1', [job.id]);
    const [again] = await store.claimJobs('w2', 1, 30);
    expect(again).toMatchObject({ id: job.id, attempts: 1 });
  });

  it('cancels pending and running jobs, leaves finished ones, and the worker loses its lease', async () => {
    const pending = await store.createJob(newJob(1));
    expect((await store.cancelJob(pending.id))?.status).toBe('cancelled');
    const running = await store.createJob(newJob(2));
    await store.claimJobs('w1', 1, 30);
    expect((await store.cancelJob(running.id))?.status).toBe('cancelled');
    expect(await store.heartbeat('w1', [running.id], 30)).toEqual([]);
    expect(await store.recordFileOutcomes('w1', [done(running.id, 0)])).toEqual([]);
    const finished = await store.createJob(newJob(1));
    await store.claimJobs('w1', 1, 30);
    await store.recordFileOutcomes('w1', [done(finished.id, 0)]);
    expect((await store.cancelJob(finished.id))?.status).toBe('completed');
    expect(await store.cancelJob('00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('lists jobs newest first, filtered by status, with a cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await store.createJob(newJob(1))).id);
      // PGlite's clock has millisecond resolution: jobs created in the same millisecond tie on
      // created_at and are listed by id, so space them out to make creation order observable.
      await new Promise((r) => setTimeout(r, 3));
    }
    await store.cancelJob(ids[1]);
    const first = await store.listJobs({ limit: 2 });
    expect(first.jobs.map((j) => j.id)).toEqual([ids[4], ids[3]]);
    const second = await store.listJobs({ limit: 2, cursor: first.nextCursor! });
    expect(second.jobs.map((j) => j.id)).toEqual([ids[2], ids[1]]);
    const third = await store.listJobs({ limit: 2, cursor: second.nextCursor! });
    expect(third).toEqual({ jobs: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    const cancelled = await store.listJobs({ limit: 10, status: 'cancelled' });
    expect(cancelled.jobs.map((j) => j.id)).toEqual([ids[1]]);
  });

  it('keeps the extracted text of a done file for corrections', async () => {
    const job = await store.createJob(newJob(1));
    await store.claimJobs('w1', 1, 30);
    await store.recordFileOutcomes('w1', [done(job.id, 0, 'Invoice no. 7\u0000')]);
    expect(await store.getDocument(job.id, 0)).toEqual({
      jobId: job.id,
      position: 0,
      filename: 'doc-0.txt',
      status: 'completed',
      text: 'Invoice no. 7',
      label: 'invoice',
    });
    expect(await store.getDocument(job.id, 9)).toBeNull();
  });

  it('stores text with lone surrogates (PDF text layers have them) instead of refusing the batch', async () => {
    const job = await store.createJob(newJob(2));
    await store.claimJobs('w1', 1, 30);
    const broken: FileOutcome = {
      jobId: job.id,
      position: 0,
      status: 'completed',
      text: 'x\ud835 \udc65 y',
      result: documentResult({ reasons: ['word \ud835'] }),
    };
    await store.recordFileOutcomes('w1', [broken, done(job.id, 1)]);
    expect((await store.getDocument(job.id, 0))?.text).toBe('x\ufffd \ufffd y');
    expect(await store.getJob(job.id)).toMatchObject({ status: 'completed', processedFiles: 2 });
  });

  it('notifies listeners when a job is created', async () => {
    let calls = 0;
    const stop = await store.onJobCreated(() => calls++);
    const before = calls; // a listener is nudged once when it connects
    await store.createJob(newJob(1));
    for (let i = 0; i < 50 && calls === before; i++) await sleep(20);
    await stop();
    expect(calls).toBeGreaterThan(before);
  });

  it('lets 4 concurrent workers drain 300 jobs with each job claimed and each file written exactly once', async () => {
    const jobs = 300;
    for (let i = 0; i < jobs; i += 50) {
      await Promise.all(Array.from({ length: 50 }, () => store.createJob(newJob(2))));
    }
    // Separate connection pools for a real server: the workers really race.
    const clients: SqlClient[] = db.url
      ? Array.from({ length: 4 }, () => new PgSqlClient({ connectionString: db.url, max: 2 }))
      : [db.sql];
    const claims = new Map<string, number>();
    const worker = async (n: number) => {
      const own = new SqlJobStore(clients[n % clients.length]);
      for (let idle = 0; idle < 3;) {
        const batch = await own.claimJobs(`w${n}`, 8, 30);
        if (batch.length === 0) {
          idle++;
          await sleep(5);
          continue;
        }
        for (const job of batch) claims.set(job.id, (claims.get(job.id) ?? 0) + 1);
        await own.recordFileOutcomes(
          `w${n}`,
          batch.flatMap((job) => job.pendingFiles.map((f) => done(job.id, f.position))),
        );
      }
    };
    await Promise.all([0, 1, 2, 3].map(worker));
    if (db.url) await Promise.all(clients.map((c) => c.close()));
    expect(claims.size).toBe(jobs);
    expect([...claims.values()].every((n) => n === 1)).toBe(true);
    const [row] = await db.sql.query<{ completed: number; files: number; attempts: number }>(
      `select count(*) filter (where status = 'completed')::int as completed,
              sum(processed_files)::int as files, max(attempts)::int as attempts from inbox_jobs`,
    );
    expect(row).toEqual({ completed: jobs, files: jobs * 2, attempts: 1 });
  }, 60_000);
});

/** Races that need a second session holding a transaction open: PostgreSQL only. */
(TEST_DATABASE_URL ? describe : describe.skip)('JobStore races on PostgreSQL', () => {
  let db: TestDatabase;
  let store: SqlJobStore;

  beforeAll(async () => {
    db = await postgresTarget().create();
    if (!db.url) throw new Error('a PostgreSQL target has a url');
    store = new SqlJobStore(db.sql);
  });
  afterAll(() => db.dispose());

  /** Runs `statement` in an open transaction, starts `contender`, lets it block, then commits. */
  async function commitWhileWaiting<T>(statement: string, params: unknown[], contender: () => Promise<T>) {
    const other = new Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query('begin');
      await other.query(statement, params);
      const result = contender();
      // Commit only once the contender is blocked on the job row, so the race is really run.
      const { pid } = (await other.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0];
      const blocked = async () =>
        (await other.query('select 1 from pg_stat_activity where $1 = any(pg_blocking_pids(pid))', [pid])).rowCount! >
        0;
      for (let i = 0; i < 100 && !(await blocked()); i++) await sleep(50);
      expect(await blocked()).toBe(true);
      await other.query('commit');
      return await result;
    } finally {
      await other.end();
    }
  }

  it('a cancel that commits first wins over the last file outcome', async () => {
    const job = await store.createJob(newJob(1));
    await store.claimJobs('w1', 1, 30);
    const completed = await commitWhileWaiting('select inbox_cancel_job($1)', [job.id], () =>
      store.recordFileOutcomes('w1', [done(job.id, 0)]),
    );
    expect(completed).toEqual([]);
    expect(await store.getJob(job.id)).toMatchObject({ status: 'cancelled', processedFiles: 0 });
  });

  it('ignores an outcome from a worker whose expired lease another worker is taking', async () => {
    const job = await store.createJob(newJob(2));
    await store.claimJobs('slow', 1, 1);
    await sleep(1300);
    await commitWhileWaiting('select * from inbox_claim_jobs($1, 1, 30)', ['fresh'], () =>
      store.recordFileOutcomes('slow', [done(job.id, 0)]),
    );
    await store.recordFileOutcomes('fresh', [done(job.id, 1)]);
    expect(await store.getJob(job.id)).toMatchObject({ status: 'processing', processedFiles: 1 });
    await store.recordFileOutcomes('fresh', [done(job.id, 0)]);
    expect(await store.getJob(job.id)).toMatchObject({ status: 'completed', processedFiles: 2, progress: 100 });
  });

  it('keeps listening after its connection is killed and cannot reconnect for a while', async () => {
    let nudges = 0;
    const stop = await store.onJobCreated(() => nudges++);
    const admin = new Client({ connectionString: TEST_DATABASE_URL }); // another database
    await admin.connect();
    const dbName = new URL(db.url as string).pathname.slice(1);
    try {
      await admin.query(`alter database ${dbName} with allow_connections false`);
      await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and query ilike 'listen%'`,
        [dbName],
      );
      await sleep(2500); // at least one reconnect attempt fails meanwhile
      await admin.query(`alter database ${dbName} with allow_connections true`);
      await sleep(3000); // the next attempt (2 s after the failed one) succeeds
      const before = nudges;
      await store.createJob(newJob(1));
      for (let i = 0; i < 50 && nudges === before; i++) await sleep(100);
      expect(nudges).toBeGreaterThan(before);
    } finally {
      await admin.query(`alter database ${dbName} with allow_connections true`);
      await admin.end();
      await stop();
    }
  }, 30_000);
});
