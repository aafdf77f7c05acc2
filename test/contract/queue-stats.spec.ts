import { MetricsRegistry } from '../../src/metrics/metrics-registry';
import { QueueStatsCollector, type QueueStats } from '../../src/metrics/queue-stats.collector';
import { DbFunctions, type FunctionArgs } from '../../src/database/db-functions.port';
import { SqlJobQueue } from '../../src/jobs/sql-job.queue';
import { SqlJobStore } from '../../src/jobs/sql-job.store';
import { databaseTargets, supabaseTarget, type TestDatabase } from '../support/databases';
import { newJob } from '../support/fixtures';
import { sample } from '../support/metrics-text';

jest.setTimeout(60_000);

/** Counts the calls it passes on. */
class CountingDbFunctions extends DbFunctions {
  calls = 0;
  constructor(private readonly inner: DbFunctions) {
    super();
  }
  call<T>(fn: string, args: FunctionArgs): Promise<T> {
    this.calls++;
    return this.inner.call<T>(fn, args);
  }
}

// Over every transport: pg, PGlite, and supabase-js RPC through the loopback Supabase.
const targets = [...databaseTargets(), ...[supabaseTarget()].filter((t) => t !== undefined)];

describe.each(targets)('queue stats on $name', (target) => {
  let db: TestDatabase;
  let store: SqlJobStore;
  let queue: SqlJobQueue;

  beforeAll(async () => {
    db = await target.create();
    const functions = db.functions();
    store = new SqlJobStore(functions);
    queue = new SqlJobQueue(functions, { leaseSeconds: 30 });
  });
  afterAll(() => db.dispose());
  beforeEach(() => db.sql.exec('delete from inbox_jobs'));

  function scrapeWith(clock = () => 0) {
    const registry = new MetricsRegistry();
    const functions = new CountingDbFunctions(db.functions());
    const collector = new QueueStatsCollector(registry, functions, 2000, clock);
    return { registry, functions, collector };
  }

  it('an empty queue: every depth 0 and no age', async () => {
    const { registry } = scrapeWith();
    const text = await registry.metrics();
    expect(sample(text, 'docinbox_queue_stats_up')).toBe(1);
    expect(sample(text, 'docinbox_queue_depth', { status: 'pending' })).toBe(0);
    expect(sample(text, 'docinbox_queue_depth', { status: 'processing' })).toBe(0);
    expect(sample(text, 'docinbox_queue_oldest_pending_age_seconds')).toBe(0);
  });

  it('counts pending, runnable and processing jobs and ages the oldest runnable one', async () => {
    for (let i = 0; i < 3; i++) await store.createJob(newJob());
    // The oldest runnable job waited since its run_at: make that an hour ago.
    await db.sql.exec(
      "update inbox_jobs set run_at = now() - interval '1 hour' where id = (select id from inbox_jobs order by created_at limit 1)",
    );
    const [first, second] = await queue.claim('w1', 2);
    // One claimed job fails with attempts left: pending again, but behind a backoff (not runnable).
    expect(await queue.fail('w1', second.id, 'provider down')).toBe('pending');

    const stats = await db.functions().call<QueueStats>('inbox_queue_stats', {});
    expect(stats).toMatchObject({ pending: 2, runnable: 1, processing: 1, expired_leases: 0 });

    const text = await scrapeWith().registry.metrics();
    expect(sample(text, 'docinbox_queue_depth', { status: 'pending' })).toBe(2);
    expect(sample(text, 'docinbox_queue_depth', { status: 'processing' })).toBe(1);
    expect(sample(text, 'docinbox_queue_runnable_jobs')).toBe(1);
    // The job an hour old was claimed first; the one left runnable is seconds old.
    expect(first.runAt.getTime()).toBeLessThan(Date.now() - 3_500_000);
    const age = sample(text, 'docinbox_queue_oldest_pending_age_seconds')!;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(3000);
  });

  it('the oldest runnable job is aged from its run_at', async () => {
    await store.createJob(newJob());
    await db.sql.exec("update inbox_jobs set run_at = now() - interval '10 minutes'");
    const text = await scrapeWith().registry.metrics();
    const age = sample(text, 'docinbox_queue_oldest_pending_age_seconds')!;
    expect(age).toBeGreaterThanOrEqual(600);
    expect(age).toBeLessThan(3600);
  });

  it('an expired lease is counted apart', async () => {
    await store.createJob(newJob());
    await queue.claim('w1', 1);
    await db.sql.exec("update inbox_jobs set locked_until = now() - interval '1 second'");
    const text = await scrapeWith().registry.metrics();
    expect(sample(text, 'docinbox_queue_expired_leases')).toBe(1);
    expect(sample(text, 'docinbox_queue_depth', { status: 'processing' })).toBe(1);
  });

  it('a claim answers when the job was created, runnable and claimed, by the database clock', async () => {
    const { job } = await store.createJob(newJob());
    const [claimed] = await queue.claim('w1', 1);
    expect(claimed.fromPending).toBe(true);
    expect(claimed.createdAt.getTime()).toBe(job.createdAt.getTime());
    expect(claimed.runAt.getTime()).toBe(job.runAt.getTime());
    expect(claimed.claimedAt.getTime()).toBeGreaterThanOrEqual(claimed.runAt.getTime());
    // A takeover after the lease ran out did not wait in the queue.
    await db.sql.exec("update inbox_jobs set locked_until = now() - interval '1 second'");
    const [taken] = await queue.claim('w2', 1);
    expect(taken.id).toBe(job.id);
    expect(taken.fromPending).toBe(false);
  });

  it('scrapes within the cache time share one query; a later one reads again', async () => {
    let now = 0;
    const { registry, functions } = scrapeWith(() => now);
    await Promise.all([registry.metrics(), registry.metrics(), registry.metrics()]);
    expect(functions.calls).toBe(1);
    now = 1999;
    await registry.metrics();
    expect(functions.calls).toBe(1);
    await store.createJob(newJob());
    now = 2000;
    const text = await registry.metrics();
    expect(functions.calls).toBe(2);
    expect(sample(text, 'docinbox_queue_depth', { status: 'pending' })).toBe(1);
  });
});

it('a database that does not answer: the scrape succeeds, without the gauges, and says so', async () => {
  class Down extends DbFunctions {
    call<T>(): Promise<T> {
      return Promise.reject(new Error('connect ECONNREFUSED'));
    }
  }
  const registry = new MetricsRegistry();
  new QueueStatsCollector(registry, new Down());
  const text = await registry.metrics();
  expect(sample(text, 'docinbox_queue_stats_up')).toBe(0);
  expect(sample(text, 'docinbox_queue_depth', { status: 'pending' })).toBeUndefined();
  expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
});
