import { Client } from 'pg';
import { PgSqlClient } from '../../src/database/pg-sql.client';
import type { SqlClient } from '../../src/database/sql-client.port';
import { SqlDbFunctions } from '../../src/database/sql-db-functions';
import type { DocumentOutcome } from '../../src/jobs/job.model';
import { SqlJobQueue } from '../../src/jobs/sql-job.queue';
import { SqlJobStore } from '../../src/jobs/sql-job.store';
import type { DbFunctions } from '../../src/database/db-functions.port';
import {
  databaseTargets,
  postgresTarget,
  supabaseTarget,
  TEST_DATABASE_URL,
  type TestDatabase,
} from '../support/databases';
import { documentResult, done, failed, newJob } from '../support/fixtures';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const T = 'default';

/**
 * The two ports over one database: the API's store and a worker's queue with its lease. With
 * `functions` (supabase-js RPC) the calls go through it, and there is no LISTEN.
 */
function ports(sql: SqlClient, leaseSeconds = 30, functions?: DbFunctions) {
  const db = functions ?? new SqlDbFunctions(sql);
  const listen = functions ? undefined : sql.listen.bind(sql);
  return {
    store: new SqlJobStore(db),
    queue: (lease = leaseSeconds) => new SqlJobQueue(db, { leaseSeconds: lease, listen }),
  };
}

/** Over the loopback Supabase, every call goes through supabase-js (a client of its own each time). */
const overRpc = (db: TestDatabase) => (db.supabase ? db.functions() : undefined);
const supabase = supabaseTarget();
const targets = [...databaseTargets(), ...(supabase ? [supabase] : [])];

async function created(store: SqlJobStore, ...args: Parameters<typeof newJob>) {
  const answer = await store.createJob(newJob(...args));
  if (answer.outcome !== 'created') throw new Error('expected a new job');
  return answer.job;
}

describe.each(targets)('job store and queue contract on $name', (target) => {
  let db: TestDatabase;
  let store: SqlJobStore;
  let queue: SqlJobQueue;
  let shortLease: SqlJobQueue;

  beforeAll(async () => {
    db = await target.create();
    const p = ports(db.sql, 30, overRpc(db));
    store = p.store;
    queue = p.queue();
    shortLease = p.queue(1);
  });
  afterAll(() => db.dispose());
  beforeEach(() => db.sql.exec('delete from inbox_jobs; delete from inbox_job_events'));

  const events = async (jobId: string) => (await store.getJob(T, jobId))!.events.map((e) => e.type);

  it('records a job with its files, one document per file and a created event, in one call', async () => {
    const input = newJob(3, { categories: ['invoice'] });
    const answer = await store.createJob(input);
    expect(answer).toMatchObject({
      outcome: 'created',
      job: { id: input.id, tenantId: T, status: 'pending', totalFiles: 3, totalDocuments: 3, attempts: 0 },
    });
    const job = (await store.getJob(T, input.id))!;
    expect(job.categories).toEqual(['invoice']);
    expect(job.files.map((f) => [f.position, f.filename, f.blobKey])).toEqual(
      input.files.map((f, i) => [i, f.filename, f.blobKey]),
    );
    expect(job.documents.map((d) => [d.index, d.filePosition, d.pageFrom, d.pageTo, d.status])).toEqual([
      [0, 0, 1, null, 'pending'],
      [1, 1, 1, null, 'pending'],
      [2, 2, 1, null, 'pending'],
    ]);
    expect(job.events).toEqual([expect.objectContaining({ type: 'job.created', payload: { files: 3 } })]);
    // Bytes live in the BlobStore: the file rows have no column for them.
    const columns = await db.sql.query<{ column_name: string }>(
      `select column_name from information_schema.columns where table_name = 'inbox_job_files'`,
    );
    expect(columns.map((c) => c.column_name)).not.toContain('bytes');
  });

  it('records nothing when one file row cannot be written', async () => {
    const input = newJob(2);
    input.files[1].filename = 'bad\u0000name.txt'; // PostgreSQL text refuses NUL
    await expect(store.createJob(input)).rejects.toThrow();
    const [{ n }] = await db.sql.query<{ n: number }>(
      `select (select count(*) from inbox_jobs) + (select count(*) from inbox_job_files)
         + (select count(*) from inbox_job_documents) + (select count(*) from inbox_job_events) as n`,
    );
    expect(Number(n)).toBe(0);
  });

  it('answers a reused Idempotency-Key with the job it made, telling a retry from another upload', async () => {
    const first = newJob(1, { idempotencyKey: 'mail-4711', fingerprint: 'upload-a' });
    await store.createJob(first);
    const retry = await store.createJob(newJob(1, { idempotencyKey: 'mail-4711', fingerprint: 'upload-a' }));
    expect(retry).toMatchObject({ outcome: 'existing', sameUpload: true, job: { id: first.id } });
    const other = await store.createJob(newJob(1, { idempotencyKey: 'mail-4711', fingerprint: 'upload-b' }));
    expect(other).toMatchObject({ outcome: 'existing', sameUpload: false, job: { id: first.id } });
    // Keys belong to their tenant: another tenant's same key makes a new job.
    const elsewhere = await store.createJob(
      newJob(1, { tenantId: 'acme', idempotencyKey: 'mail-4711', fingerprint: 'upload-a' }),
    );
    expect(elsewhere.outcome).toBe('created');
    const [{ n }] = await db.sql.query<{ n: number }>('select count(*)::int as n from inbox_jobs');
    expect(n).toBe(2);
  });

  it("keeps one tenant's jobs from another everywhere", async () => {
    const mine = await created(store, 1, { tenantId: 'acme' });
    expect(await store.getJob('globex', mine.id)).toBeNull();
    expect((await store.listJobs('globex', { limit: 10 })).jobs).toEqual([]);
    expect(await store.cancelJob('globex', mine.id)).toBeNull();
    expect(await store.retryJob('globex', mine.id)).toBeNull();
    expect(await store.deleteJob('globex', mine.id)).toBeNull();
    expect(await store.getDocument('globex', mine.id, 0)).toBeNull();
    expect((await store.getJob('acme', mine.id))?.status).toBe('pending');
    expect((await store.listJobs('acme', { limit: 10 })).jobs.map((j) => j.id)).toEqual([mine.id]);
  });

  it('claims the oldest runnable jobs once, under the lease, counting the attempt', async () => {
    const first = await created(store, 2);
    const second = await created(store, 1);
    const claimed = await queue.claim('w1', 1);
    expect(claimed).toEqual([
      expect.objectContaining({
        id: first.id,
        tenantId: T,
        attempts: 1,
        documents: [
          expect.objectContaining({ index: 0, filePosition: 0, blobKey: `${T}/${first.id}/0`, filename: 'doc-0.txt' }),
          expect.objectContaining({ index: 1, filePosition: 1 }),
        ],
      }),
    ]);
    expect((await queue.claim('w2', 10)).map((j) => j.id)).toEqual([second.id]);
    expect(await queue.claim('w3', 10)).toEqual([]);
    const [row] = await db.sql.query<{ status: string; locked_by: string; lease: number }>(
      `select status, locked_by, extract(epoch from locked_until - now())::float as lease from inbox_jobs where id = $1`,
      [first.id],
    );
    expect(row).toMatchObject({ status: 'processing', locked_by: 'w1' });
    expect(row.lease).toBeGreaterThan(25);
    expect(await events(first.id)).toEqual(['job.created', 'job.started']);
    expect((await store.getJob(T, first.id))!.events[1].payload).toEqual({ attempt: 1, worker: 'w1' });
  });

  it('moves progress document by document, keeps page text, and completes the job with its last document', async () => {
    const job = await created(store, 3);
    await queue.claim('w1', 1);
    expect(await queue.record('w1', [done(job.id, 0, 'Invoice no. 7')])).toEqual([]);
    expect(await store.getJob(T, job.id)).toMatchObject({ status: 'processing', progress: 33, processedDocuments: 1 });
    expect(await queue.record('w1', [done(job.id, 1), failed(job.id, 2)])).toEqual([job.id]);
    const read = (await store.getJob(T, job.id))!;
    expect(read).toMatchObject({
      status: 'completed',
      progress: 100,
      processedDocuments: 3,
      failedDocuments: 1,
      lockedBy: null,
    });
    expect(read.completedAt).toBeInstanceOf(Date);
    expect(read.documents[2]).toMatchObject({ status: 'failed', error: { code: 'corrupt_pdf', message: 'broken' } });
    expect(read.documents[0]).toMatchObject({ status: 'completed', result: { document_type: 'invoice' } });
    expect(read.files[0].pageCount).toBe(1);
    // The timeline in order: each document, then the job.
    expect(read.events.map((e) => e.type)).toEqual([
      'job.created',
      'job.started',
      'document.completed',
      'document.completed',
      'document.failed',
      'job.completed',
    ]);
    expect(read.events[5].payload).toEqual({ documents: 3, completed: 2, failed: 1 });
    expect(await store.getDocument(T, job.id, 0)).toEqual({
      jobId: job.id,
      index: 0,
      filename: 'doc-0.txt',
      status: 'completed',
      text: 'Invoice no. 7',
      label: 'invoice',
    });
    expect(await store.getDocument(T, job.id, 9)).toBeNull();
  });

  it("keeps each page's text with its source and confidence, and joins a document's pages for corrections", async () => {
    const job = await created(store, 1);
    await queue.claim('w1', 1);
    const outcome: DocumentOutcome = {
      ...done(job.id, 0),
      pages: [
        { number: 1, text: 'Page one', source: 'text-layer', confidence: null },
        { number: 2, text: 'Page two', source: 'tesseract', confidence: 0.8 },
      ],
      pageCount: 2,
    };
    await queue.record('w1', [outcome]);
    const pages = await db.sql.query<{ page_number: number; source: string; confidence: number | null }>(
      'select page_number, source, confidence from inbox_pages where job_id = $1 order by page_number',
      [job.id],
    );
    expect(pages).toEqual([
      { page_number: 1, source: 'text-layer', confidence: null },
      { page_number: 2, source: 'tesseract', confidence: expect.closeTo(0.8, 5) },
    ]);
    expect((await store.getDocument(T, job.id, 0))?.text).toBe('--- page 1 ---\nPage one\n\n--- page 2 ---\nPage two');
    expect((await store.getJob(T, job.id))!.files[0].pageCount).toBe(2);
  });

  it('ignores outcomes from a worker that does not hold the job, and never writes a document twice', async () => {
    const job = await created(store, 2);
    await queue.claim('w1', 1);
    expect(await queue.record('intruder', [done(job.id, 0)])).toEqual([]);
    await queue.record('w1', [done(job.id, 0, 'first')]);
    await queue.record('w1', [done(job.id, 0, 'second')]);
    expect((await store.getDocument(T, job.id, 0))?.text).toBe('first');
    expect(await store.getJob(T, job.id)).toMatchObject({ processedDocuments: 1, status: 'processing' });
  });

  it('gives a job whose worker died to another as a crash, not an attempt, resuming at its first unfinished document', async () => {
    const job = await created(store, 3);
    await shortLease.claim('dead', 1);
    await shortLease.record('dead', [done(job.id, 0)]);
    expect(await queue.claim('w2', 1)).toEqual([]); // lease still held
    await sleep(1300);
    const [reclaimed] = await queue.claim('w2', 1);
    expect(reclaimed).toMatchObject({ id: job.id, attempts: 1 });
    expect(reclaimed.documents.map((d) => d.index)).toEqual([1, 2]);
    expect(await store.getJob(T, job.id)).toMatchObject({ attempts: 1, crashes: 1 });
    const expired = (await store.getJob(T, job.id))!.events.find((e) => e.type === 'job.lease_expired');
    expect(expired?.payload).toEqual({ worker: 'dead', crashes: 1 });
    // The dead worker's late heartbeat and results are refused.
    expect(await shortLease.heartbeat('dead', [job.id])).toEqual([]);
    expect(await shortLease.record('dead', [done(job.id, 1)])).toEqual([]);
    expect(await queue.heartbeat('w2', [job.id])).toEqual([job.id]);
  });

  it('fails a job after five crashes, ending its unfinished documents, so a poison document still ends', async () => {
    const job = await created(store, 2, { maxAttempts: 1 });
    await shortLease.claim('w0', 1);
    await shortLease.record('w0', [done(job.id, 0)]);
    // Four crashes are taken over (the attempt is not spent: maxAttempts is 1)...
    for (let crash = 1; crash <= 4; crash++) {
      await db.sql.query(`update inbox_jobs set locked_until = now() - interval '1 second' where id = $1`, [job.id]);
      expect((await shortLease.claim(`w${crash}`, 1)).map((j) => j.id)).toEqual([job.id]);
    }
    // ...the fifth ends it.
    await db.sql.query(`update inbox_jobs set locked_until = now() - interval '1 second' where id = $1`, [job.id]);
    expect(await shortLease.claim('w5', 1)).toEqual([]);
    const read = (await store.getJob(T, job.id))!;
    expect(read).toMatchObject({ status: 'failed', attempts: 1, crashes: 5 });
    expect(read.error).toMatch(/stopped 5 times \(lease expired\)/);
    expect(read.documents.map((d) => [d.status, d.error?.code ?? null])).toEqual([
      ['completed', null],
      ['failed', 'job_failed'],
    ]);
    expect(read.events.slice(-2).map((e) => e.type)).toEqual(['job.lease_expired', 'job.failed']);
  });

  it('retries a failed job later with backoff, then fails it with the last error kept and its documents ended', async () => {
    const job = await created(store, 2, { maxAttempts: 2 });
    await queue.claim('w1', 1);
    expect(await queue.fail('w1', job.id, 'provider down')).toBe('pending');
    const [row] = await db.sql.query<{ delay: number }>(
      'select extract(epoch from run_at - now())::float as delay from inbox_jobs where id = $1',
      [job.id],
    );
    expect(row.delay).toBeGreaterThan(0.5); // 2^1 s * jitter(0.75..1.25)
    expect(row.delay).toBeLessThan(3);
    const scheduled = (await store.getJob(T, job.id))!.events.at(-1)!;
    expect(scheduled).toMatchObject({ type: 'job.retry_scheduled', payload: { error: 'provider down', attempt: 1 } });
    expect(scheduled.payload.run_at).toEqual(expect.any(String));
    expect(await queue.claim('w1', 1)).toEqual([]); // not runnable yet
    await db.sql.query(`update inbox_jobs set run_at = now() where id = $1`, [job.id]);
    await queue.claim('w1', 1);
    expect(await queue.fail('w1', job.id, 'provider still down')).toBe('failed');
    const read = (await store.getJob(T, job.id))!;
    expect(read).toMatchObject({ status: 'failed', attempts: 2, error: 'provider still down' });
    expect(read.documents.every((d) => d.status === 'failed' && d.error?.code === 'job_failed')).toBe(true);
    expect(read.events.at(-1)?.type).toBe('job.failed');
    expect(await queue.fail('w1', job.id, 'again')).toBeNull();
  });

  it('releases held jobs at once without spending an attempt', async () => {
    const job = await created(store, 1);
    await queue.claim('w1', 1);
    await queue.release('w1', [job.id]);
    const [again] = await queue.claim('w2', 1);
    expect(again).toMatchObject({ id: job.id, attempts: 1 });
    expect(await events(job.id)).toEqual(['job.created', 'job.started', 'job.released', 'job.started']);
  });

  it('gives back on release only the attempt its claim took (none after a takeover)', async () => {
    const job = await created(store, 1);
    await shortLease.claim('dead', 1);
    await db.sql.query(`update inbox_jobs set locked_until = now() - interval '1 second' where id = $1`, [job.id]);
    await queue.claim('w2', 1); // a takeover: a crash, no attempt
    await queue.release('w2', [job.id]);
    expect(await store.getJob(T, job.id)).toMatchObject({ status: 'pending', attempts: 1, crashes: 1 });
  });

  it('cancels pending and running jobs, skipping their unfinished documents; the worker loses its lease', async () => {
    const pending = await created(store, 1);
    expect((await store.cancelJob(T, pending.id))?.status).toBe('cancelled');
    const running = await created(store, 2);
    await queue.claim('w1', 1);
    await queue.record('w1', [done(running.id, 0)]);
    expect((await store.cancelJob(T, running.id))?.status).toBe('cancelled');
    expect(await queue.heartbeat('w1', [running.id])).toEqual([]);
    expect(await queue.record('w1', [done(running.id, 1)])).toEqual([]);
    const read = (await store.getJob(T, running.id))!;
    expect(read.documents.map((d) => [d.status, d.error?.code ?? null])).toEqual([
      ['completed', null],
      ['skipped', 'job_cancelled'],
    ]);
    expect(read.events.at(-1)?.type).toBe('job.cancelled');
    const finished = await created(store, 1);
    await queue.claim('w1', 1);
    await queue.record('w1', [done(finished.id, 0)]);
    expect((await store.cancelJob(T, finished.id))?.status).toBe('completed');
    expect(await store.cancelJob(T, '00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('runs a failed or cancelled job again from its first unfinished document', async () => {
    const job = await created(store, 3, { maxAttempts: 1 });
    await queue.claim('w1', 1);
    await queue.record('w1', [done(job.id, 0), failed(job.id, 1, 'encrypted_pdf')]);
    expect(await queue.fail('w1', job.id, 'provider down')).toBe('failed');
    const answer = await store.retryJob(T, job.id);
    expect(answer).toMatchObject({
      retried: true,
      job: { status: 'pending', attempts: 0, processedDocuments: 2, failedDocuments: 1, error: null },
    });
    // The document that failed on its own stays failed; the one the job's failure ended runs.
    const [claimed] = await queue.claim('w2', 1);
    expect(claimed.documents.map((d) => d.index)).toEqual([2]);
    expect(await queue.record('w2', [done(job.id, 2)])).toEqual([job.id]);
    expect(await store.getJob(T, job.id)).toMatchObject({ status: 'completed', processedDocuments: 3 });
    expect(await store.retryJob(T, job.id)).toMatchObject({ retried: false, job: { status: 'completed' } });

    const cancelled = await created(store, 1);
    await store.cancelJob(T, cancelled.id);
    expect((await store.retryJob(T, cancelled.id))?.retried).toBe(true);
    expect((await queue.claim('w3', 1))[0].documents.map((d) => d.index)).toEqual([0]);
    expect(await store.retryJob(T, '00000000-0000-4000-8000-000000000000')).toBeNull();
  });

  it('deletes a job with everything it had, answering its blob keys', async () => {
    const job = await created(store, 2);
    await queue.claim('w1', 1);
    await queue.record('w1', [done(job.id, 0)]);
    expect(await store.deleteJob(T, job.id)).toEqual([`${T}/${job.id}/0`, `${T}/${job.id}/1`]);
    expect(await store.getJob(T, job.id)).toBeNull();
    const [{ n }] = await db.sql.query<{ n: number }>(
      `select (select count(*) from inbox_job_files where job_id = $1) + (select count(*) from inbox_pages where job_id = $1)
         + (select count(*) from inbox_job_documents where job_id = $1) + (select count(*) from inbox_job_events where job_id = $1) as n`,
      [job.id],
    );
    expect(Number(n)).toBe(0);
    expect(await store.deleteJob(T, job.id)).toBeNull();
  });

  it('lists jobs newest first, filtered by status, with a cursor', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await created(store, 1)).id);
      // PGlite's clock has millisecond resolution: jobs created in the same millisecond tie on
      // created_at and are listed by id, so space them out to make creation order observable.
      await sleep(3);
    }
    await store.cancelJob(T, ids[1]);
    const first = await store.listJobs(T, { limit: 2 });
    expect(first.jobs.map((j) => j.id)).toEqual([ids[4], ids[3]]);
    const second = await store.listJobs(T, { limit: 2, cursor: first.nextCursor! });
    expect(second.jobs.map((j) => j.id)).toEqual([ids[2], ids[1]]);
    const third = await store.listJobs(T, { limit: 2, cursor: second.nextCursor! });
    expect(third).toEqual({ jobs: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    const cancelled = await store.listJobs(T, { limit: 10, status: 'cancelled' });
    expect(cancelled.jobs.map((j) => j.id)).toEqual([ids[1]]);
  });

  it('stores text with NULs and lone surrogates (PDF text layers have them) instead of refusing the batch', async () => {
    const job = await created(store, 2);
    await queue.claim('w1', 1);
    const broken: DocumentOutcome = {
      ...done(job.id, 0, 'x\ud835 \udc65 y\u0000'),
      result: documentResult({ reasons: ['word \ud835'] }),
    };
    await queue.record('w1', [broken, done(job.id, 1)]);
    expect((await store.getDocument(T, job.id, 0))?.text).toBe('x\ufffd \ufffd y');
    expect(await store.getJob(T, job.id)).toMatchObject({ status: 'completed', processedDocuments: 2 });
  });

  it('writes a few dozen events for a 20-file job, not hundreds', async () => {
    const job = await created(store, 20);
    await queue.claim('w1', 1);
    for (let i = 0; i < 20; i += 5) {
      await queue.record(
        'w1',
        Array.from({ length: 5 }, (_, k) => done(job.id, i + k)),
      );
    }
    expect((await store.getJob(T, job.id))?.events).toHaveLength(23); // created, started, 20 documents, completed
  });

  it('tells subscribers at once of jobs to run and of cancelled ones', async () => {
    if (db.supabase) {
      // No LISTEN over RPC: the worker polls, and says why.
      await expect(queue.subscribe({ onRunnable: () => undefined, onCancelled: () => undefined })).rejects.toThrow(
        /no LISTEN over Supabase's RPC/,
      );
      return;
    }
    let runnable = 0;
    const cancelled: string[] = [];
    const stop = await queue.subscribe({ onRunnable: () => runnable++, onCancelled: (id) => cancelled.push(id) });
    try {
      const before = runnable; // a listener is nudged once when it connects
      const job = await created(store, 1);
      for (let i = 0; i < 50 && runnable === before; i++) await sleep(20);
      expect(runnable).toBeGreaterThan(before);
      await queue.claim('w1', 1);
      await store.cancelJob(T, job.id);
      for (let i = 0; i < 50 && cancelled.length === 0; i++) await sleep(20);
      expect(cancelled).toEqual([job.id]);
    } finally {
      await stop();
    }
  });

  it('lets 4 concurrent workers drain 300 jobs with each job claimed and each document written exactly once', async () => {
    const jobs = 300;
    for (let i = 0; i < jobs; i += 50) {
      await Promise.all(Array.from({ length: 50 }, () => store.createJob(newJob(2))));
    }
    // Separate connection pools (or supabase-js clients) for a real server: the workers really race.
    const clients: SqlClient[] = db.url
      ? Array.from({ length: 4 }, () => new PgSqlClient({ connectionString: db.url, max: 2 }))
      : [db.sql];
    const claims = new Map<string, number>();
    const worker = async (n: number) => {
      const own = ports(clients[n % clients.length], 30, overRpc(db)).queue();
      for (let idle = 0; idle < 3;) {
        const batch = await own.claim(`w${n}`, 8);
        if (batch.length === 0) {
          idle++;
          await sleep(5);
          continue;
        }
        for (const job of batch) claims.set(job.id, (claims.get(job.id) ?? 0) + 1);
        await own.record(
          `w${n}`,
          batch.flatMap((job) => job.documents.map((d) => done(job.id, d.index))),
        );
      }
    };
    await Promise.all([0, 1, 2, 3].map(worker));
    if (db.url) await Promise.all(clients.map((c) => c.close()));
    expect(claims.size).toBe(jobs);
    expect([...claims.values()].every((n) => n === 1)).toBe(true);
    const [row] = await db.sql.query<{ completed: number; documents: number; attempts: number }>(
      `select count(*) filter (where status = 'completed')::int as completed,
              sum(processed_documents)::int as documents, max(attempts)::int as attempts from inbox_jobs`,
    );
    expect(row).toEqual({ completed: jobs, documents: jobs * 2, attempts: 1 });
  }, 60_000);
});

/** Races that need a second session holding a transaction open: PostgreSQL only. */
(TEST_DATABASE_URL ? describe : describe.skip)('job queue races on PostgreSQL', () => {
  let db: TestDatabase;
  let store: SqlJobStore;
  let queue: SqlJobQueue;
  let shortLease: SqlJobQueue;

  beforeAll(async () => {
    db = await postgresTarget().create();
    if (!db.url) throw new Error('a PostgreSQL target has a url');
    const p = ports(db.sql);
    store = p.store;
    queue = p.queue();
    shortLease = p.queue(1);
  });
  afterAll(() => db.dispose());

  /** Runs `statement` in an open transaction, starts `contender`, lets it block, then commits. */
  async function commitWhileWaiting<R>(statement: string, params: unknown[], contender: () => Promise<R>) {
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

  it('a cancel that commits first wins over the last document outcome', async () => {
    const job = await created(store, 1);
    await queue.claim('w1', 1);
    const completed = await commitWhileWaiting(`select inbox_cancel_job($1, $2)`, [T, job.id], () =>
      queue.record('w1', [done(job.id, 0)]),
    );
    expect(completed).toEqual([]);
    expect(await store.getJob(T, job.id)).toMatchObject({ status: 'cancelled', processedDocuments: 0 });
  });

  it('ignores an outcome from a worker whose expired lease another worker is taking', async () => {
    const job = await created(store, 2);
    await shortLease.claim('slow', 1);
    await sleep(1300);
    await commitWhileWaiting(`select inbox_claim_jobs('fresh', 1, 30)`, [], () =>
      shortLease.record('slow', [done(job.id, 0)]),
    );
    await queue.record('fresh', [done(job.id, 1)]);
    expect(await store.getJob(T, job.id)).toMatchObject({ status: 'processing', processedDocuments: 1 });
    await queue.record('fresh', [done(job.id, 0)]);
    expect(await store.getJob(T, job.id)).toMatchObject({ status: 'completed', processedDocuments: 2, progress: 100 });
  });

  it('keeps listening after its connection is killed and cannot reconnect for a while', async () => {
    let nudges = 0;
    const stop = await queue.subscribe({ onRunnable: () => nudges++, onCancelled: () => undefined });
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
  }, 20_000);
});
