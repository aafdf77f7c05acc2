import { SqlDbFunctions } from '../../src/database/sql-db-functions';
import { SqlJobQueue } from '../../src/jobs/sql-job.queue';
import { SqlJobStore } from '../../src/jobs/sql-job.store';
import { JobEventLog } from '../../src/live/job-event-log';
import { JobEventsWatcher } from '../../src/live/job-events.watcher';
import { JobFollower } from '../../src/live/job-follower';
import { databaseTargets, supabaseTarget, type DatabaseTarget, type TestDatabase } from '../support/databases';
import { done, newJob } from '../support/fixtures';

const targets: DatabaseTarget[] = [...databaseTargets(), ...[supabaseTarget()].filter((t) => t !== undefined)];

describe.each(targets)('job event log on $name', (target) => {
  let db: TestDatabase;
  let log: JobEventLog;
  let store: SqlJobStore;
  let queue: SqlJobQueue;

  beforeAll(async () => {
    db = await target.create();
    const functions = target.name === 'supabase' ? db.functions() : new SqlDbFunctions(db.sql);
    log = new JobEventLog(functions);
    store = new SqlJobStore(functions);
    queue = new SqlJobQueue(functions, { leaseSeconds: 60 });
  });
  afterAll(() => db.dispose());

  it("answers a tenant's job's events after an id, in pages, with its status and last event id", async () => {
    const job = newJob(2);
    await store.createJob(job);
    await queue.claim('w1', 10);
    await queue.record('w1', [done(job.id, 0), done(job.id, 1)]);

    const all = await log.after('default', job.id, '0', 100);
    expect(all?.status).toBe('completed');
    expect(all?.events.map((e) => e.type)).toEqual([
      'job.created',
      'job.started',
      'document.completed',
      'document.completed',
      'job.completed',
    ]);
    expect(all?.lastEventId).toBe(all?.events.at(-1)?.id);
    expect(all?.events[2]).toMatchObject({ payload: { index: 0, label: 'invoice' } });
    expect(new Date(all!.events[0].created_at).toISOString()).toBe(all!.events[0].created_at);

    const [first, second, third] = all!.events;
    const page = await log.after('default', job.id, second.id, 2);
    expect(page?.events.map((e) => e.id)).toEqual([third.id, all!.events[3].id]);
    expect((await log.after('default', job.id, all!.lastEventId!, 10))?.events).toEqual([]);
    expect((await log.after('default', job.id, first.id, 1))?.events.map((e) => e.id)).toEqual([second.id]);
  });

  it("is null for another tenant's job and for an unknown one", async () => {
    const job = newJob(1, { tenantId: 'acme' });
    await store.createJob(job);
    expect(await log.after('default', job.id, '0', 10)).toBeNull();
    expect(await log.after('acme', job.id, '0', 10)).toMatchObject({ status: 'pending' });
    expect(await log.after('default', '00000000-0000-4000-8000-000000000000', '0', 10)).toBeNull();
  });

  it('watches jobs for a while, renews a watch, and forgets the watches that ran out', async () => {
    const [a, b, c] = [newJob(1).id, newJob(1).id, newJob(1).id];
    await log.watch([a, b], -1); // already run out
    await log.watch([a], 60); // renewed
    await log.watch([c, c], 60);
    const rows = await db.sql.query<{ job_id: string; live: boolean }>(
      'select job_id, watched_until > now() as live from inbox_job_watches order by job_id',
    );
    expect(rows).toEqual([a, c].sort().map((job_id) => ({ job_id, live: true })));
    await log.watch([], 60); // nothing to do, no call
  });

  it('follows a job by polling where there is no LISTEN, to the end of its events', async () => {
    const watcher = new JobEventsWatcher({ pollIntervalMs: 20, safetyPollIntervalMs: 20 });
    const follower = new JobFollower(log, watcher);
    const job = newJob(1);
    await store.createJob(job);
    const stop = new AbortController();
    const feed = await follower.follow('default', job.id, '0', stop.signal);
    expect(feed?.finished).toBe(false);
    const seen: string[] = [];
    const reading = (async () => {
      for await (const batch of feed!.batches) {
        seen.push(...batch.map((e) => e.type));
        if (seen.length === 1) {
          await queue.claim('w2', 10);
          await queue.record('w2', [done(job.id, 0)]);
        }
      }
    })();
    await reading;
    expect(seen).toEqual(['job.created', 'job.started', 'document.completed', 'job.completed']);
    expect(watcher.subscriberCount()).toBe(0);
    await watcher.onModuleDestroy();
  });
});
