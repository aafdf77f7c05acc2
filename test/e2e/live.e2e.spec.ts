import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { DbFunctions } from '../../src/database/db-functions.port';
import { SqlClient } from '../../src/database/sql-client.port';
import { SqlJobQueue } from '../../src/jobs/sql-job.queue';
import { SqlJobStore } from '../../src/jobs/sql-job.store';
import { JOB_EVENTS_CHANNEL, JobEventsWatcher } from '../../src/live/job-events.watcher';
import { LiveSettings } from '../../src/live/live-settings';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/databases';
import { done, newJob } from '../support/fixtures';
import { SseStream, type SseEvent } from '../support/sse-client';
import { startTestApp, type JobBody, type TestApp } from '../support/test-app';

jest.setTimeout(30_000);

/**
 * Short polls, and a safety poll so slow that on a SQL transport every wake-up the tests see came
 * from NOTIFY.
 */
function testSettings(overrides: Partial<LiveSettings> = {}): LiveSettings {
  return Object.assign(new LiveSettings(), {
    pollIntervalMs: 50,
    safetyPollIntervalMs: 600_000,
    heartbeatIntervalMs: 600_000,
    ...overrides,
  });
}

interface Harness {
  t: TestApp;
  base: string;
  store: SqlJobStore;
  queue: SqlJobQueue;
  watcher: JobEventsWatcher;
  close(): Promise<void>;
}

/** The API alone (no worker: the tests move jobs along themselves), listening on a loopback port. */
async function startApi(databaseUrl: string | undefined, settings: LiveSettings, listen = true): Promise<Harness> {
  const t = await startTestApp({
    env: databaseUrl ? { DATABASE_URL: databaseUrl } : {},
    roles: { http: true, worker: false },
    override: (b) => {
      b.overrideProvider(LiveSettings).useValue(settings);
      if (!listen) {
        b.overrideProvider(JobEventsWatcher).useFactory({
          factory: () =>
            new JobEventsWatcher({ pollIntervalMs: settings.pollIntervalMs, safetyPollIntervalMs: 600_000 }),
        });
      }
      return b;
    },
  });
  await t.app.listen(0, '127.0.0.1');
  const { port } = t.app.getHttpServer().address() as AddressInfo;
  const db = t.app.get(DbFunctions);
  return {
    t,
    base: `http://127.0.0.1:${port}`,
    store: new SqlJobStore(db),
    queue: new SqlJobQueue(db, { leaseSeconds: 60 }),
    watcher: t.app.get(JobEventsWatcher),
    close: () => t.close(),
  };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Claims every runnable job (what earlier tests left pending too); the job must be among them. */
async function claim(h: Harness, jobId: string): Promise<void> {
  const claimed = await h.queue.claim('w1', 100);
  expect(claimed.map((j) => j.id)).toContain(jobId);
}

async function createJob(h: Harness, files = 2): Promise<string> {
  const job = newJob(files);
  await h.store.createJob(job);
  return job.id;
}

/** The job's timeline as GET /job/{id} answers it. */
async function timeline(h: Harness, jobId: string): Promise<Array<{ id: string; type: string }>> {
  const res = await h.t.http.get(`/job/${jobId}`).expect(200);
  return (res.body as JobBody).events.map((e) => ({ id: e.id, type: e.type }));
}

const asPair = (e: SseEvent) => ({ id: e.id!, type: e.event! });

const targets: Array<{ name: string; url: () => Promise<{ url?: string; drop(): Promise<void> }> }> = [
  { name: 'pglite', url: async () => ({ drop: async () => undefined }) },
];
if (TEST_DATABASE_URL) targets.push({ name: 'postgres', url: () => createPostgresDatabase() });
else console.warn('[postgres] TEST_DATABASE_URL is not set: the live progress suite runs on PGlite only');

describe.each(targets)('live progress on $name', (target) => {
  let h: Harness;
  let db: { url?: string; drop(): Promise<void> };

  beforeAll(async () => {
    db = await target.url();
    h = await startApi(db.url, testSettings());
  });
  afterAll(async () => {
    await h?.close();
    await db?.drop();
  });

  it('streams a job as it runs and ends the stream after its last event', async () => {
    const jobId = await createJob(h);
    const stream = await SseStream.open(`${h.base}/job/${jobId}/events`);
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);

    const created = await stream.next();
    expect(created).toMatchObject({ event: 'job.created' });
    expect(JSON.parse(created!.data)).toMatchObject({ id: created!.id, job_id: jobId, type: 'job.created' });

    // Each step is read off the open stream before the next is taken: live, not a replay.
    await claim(h, jobId);
    const started = await stream.next();
    expect(started).toMatchObject({ event: 'job.started' });
    await h.queue.record('w1', [done(jobId, 0)]);
    const first = await stream.next();
    expect(first).toMatchObject({ event: 'document.completed' });
    expect(JSON.parse(first!.data).payload).toMatchObject({ index: 0, label: 'invoice' });
    await h.queue.record('w1', [done(jobId, 1)]);
    const rest = await stream.rest();
    expect(rest.map((e) => e.event)).toEqual(['document.completed', 'job.completed']);

    const streamed = [created!, started!, first!, ...rest].map(asPair);
    expect(streamed).toEqual(await timeline(h, jobId));
    expect(streamed.map((e) => e.type)).toEqual([
      'job.created',
      'job.started',
      'document.completed',
      'document.completed',
      'job.completed',
    ]);
    await until(() => h.watcher.subscriberCount() === 0, 'the stream to unsubscribe');
  });

  it('resumes a dropped stream after Last-Event-ID with exactly the events it missed', async () => {
    const jobId = await createJob(h);
    const first = await SseStream.open(`${h.base}/job/${jobId}/events`);
    const seen = [await first.next()];
    await claim(h, jobId);
    seen.push(await first.next());
    expect(seen.map((e) => e?.event)).toEqual(['job.created', 'job.started']);
    first.close();
    await until(() => h.watcher.subscriberCount() === 0, 'the dropped stream to unsubscribe');

    // The job moves on while nobody is listening.
    await h.queue.record('w1', [done(jobId, 0)]);
    await h.queue.record('w1', [done(jobId, 1)]);

    const lastSeen = seen[1]!.id!;
    const resumed = await SseStream.open(`${h.base}/job/${jobId}/events`, { 'Last-Event-ID': lastSeen });
    const missed = await resumed.rest();
    expect(missed.map((e) => e.event)).toEqual(['document.completed', 'document.completed', 'job.completed']);

    const all = [...seen.map((e) => asPair(e!)), ...missed.map(asPair)];
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    expect(all).toEqual(await timeline(h, jobId));

    // ?after= does what the header does, for clients that cannot set headers.
    const byQuery = await SseStream.open(`${h.base}/job/${jobId}/events?after=${lastSeen}`);
    expect((await byQuery.rest()).map(asPair)).toEqual(missed.map(asPair));

    // Resuming after the last event of a finished job: 204, which stops an EventSource reconnecting.
    const after = await fetch(`${h.base}/job/${jobId}/events`, { headers: { 'Last-Event-ID': all.at(-1)!.id } });
    expect(after.status).toBe(204);
  });

  it('ends the subscription when the client disconnects mid-job', async () => {
    const jobId = await createJob(h, 1);
    const streams = await Promise.all([1, 2, 3].map(() => SseStream.open(`${h.base}/job/${jobId}/events`)));
    for (const s of streams) expect((await s.next())?.event).toBe('job.created');
    expect(h.watcher.subscriberCount()).toBe(3);
    for (const s of streams) s.close();
    await until(() => h.watcher.subscriberCount() === 0, 'every dropped stream to unsubscribe');
  });

  it('answers ?wait when the job changes, with the change', async () => {
    const jobId = await createJob(h, 1);
    const [created] = await timeline(h, jobId);
    const waiting = h.t.http.get(`/job/${jobId}?wait=30&since_event=${created.id}`);
    const answered = waiting.then((res) => res);
    await until(() => h.watcher.subscriberCount() === 1, 'the long poll to subscribe');
    await claim(h, jobId);
    const res = await answered;
    expect(res.status).toBe(200);
    expect((res.body as JobBody).status).toBe('processing');
    expect((res.body as JobBody).events.map((e) => e.type)).toEqual(['job.created', 'job.started']);
    await until(() => h.watcher.subscriberCount() === 0, 'the long poll to unsubscribe');
  });

  it('answers ?wait at once when the job already moved past since_event, or is finished', async () => {
    const jobId = await createJob(h, 1);
    await claim(h, jobId);
    const [created] = await timeline(h, jobId);
    // Were either of these to wait, the 60 s would outlast the test's timeout.
    const behind = await h.t.http.get(`/job/${jobId}?wait=60&since_event=${created.id}`).expect(200);
    expect((behind.body as JobBody).events.map((e) => e.type)).toEqual(['job.created', 'job.started']);
    await h.queue.record('w1', [done(jobId, 0)]);
    const finished = await h.t.http.get(`/job/${jobId}?wait=60`).expect(200);
    expect((finished.body as JobBody).status).toBe('completed');
  });

  it('answers ?wait after N seconds with the job unchanged when nothing happens', async () => {
    const jobId = await createJob(h, 1);
    const before = await timeline(h, jobId);
    const res = await h.t.http.get(`/job/${jobId}?wait=1`).expect(200);
    expect((res.body as JobBody).status).toBe('pending');
    expect((res.body as JobBody).events.map((e) => ({ id: e.id, type: e.type }))).toEqual(before);
  });

  it('refuses bad wait, after and Last-Event-ID values, and answers 404 for an unknown job', async () => {
    const jobId = await createJob(h, 1);
    const wait = await h.t.http.get(`/job/${jobId}?wait=61`).expect(400);
    expect(wait.body.message).toMatch(/wait must be an integer from 0 to 60/);
    await h.t.http.get(`/job/${jobId}?wait=abc`).expect(400);
    const since = await h.t.http.get(`/job/${jobId}?wait=1&since_event=-1`).expect(400);
    expect(since.body.message).toMatch(/since_event must be an integer from 0/);
    const header = await fetch(`${h.base}/job/${jobId}/events`, { headers: { 'Last-Event-ID': 'abc' } });
    expect(header.status).toBe(400);
    expect(((await header.json()) as { message: string }).message).toMatch(/Last-Event-ID must be an integer/);
    expect((await fetch(`${h.base}/job/${jobId}/events?after=x`)).status).toBe(400);

    const unknown = '00000000-0000-4000-8000-000000000000';
    const missing = await fetch(`${h.base}/job/${unknown}/events`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { message: string }).message).toBe(`job ${unknown} not found`);
    expect((await fetch(`${h.base}/job/not-a-job/events`)).status).toBe(404);
    await h.t.http.get(`/job/${unknown}?wait=5`).expect(404);
    expect(h.watcher.subscriberCount()).toBe(0);
  });

  it('notifies once per statement that logs events of watched jobs, with the jobs it touched', async () => {
    const sql = h.t.app.get(SqlClient);
    const db = h.t.app.get(DbFunctions);
    const heard: string[] = [];
    const stop = await sql.listen(JOB_EVENTS_CHANNEL, (payload) => heard.push(payload));
    try {
      await h.queue.claim('w0', 100); // what earlier tests left pending
      const a = await createJob(h, 1);
      const b = await createJob(h, 1);
      const unwatched = await createJob(h, 1);
      await db.call('inbox_watch_jobs', { p_jobs: [a, b], p_seconds: 60 });
      heard.length = 0;
      // Claiming the three logs three job.started events in one statement: one notification,
      // naming the two watched jobs only.
      const claimed = await h.queue.claim('w2', 10);
      expect(claimed.map((j) => j.id).sort()).toEqual([a, b, unwatched].sort());
      await until(() => heard.length > 0, 'the claim to notify');
      expect(heard).toHaveLength(1);
      expect(heard[0].split(',').sort()).toEqual([a, b].sort());

      // An unwatched job's event notifies nothing: the watched one committed after it is the first heard.
      heard.length = 0;
      await h.queue.record('w2', [done(unwatched, 0)]);
      await h.queue.record('w2', [done(a, 0)]);
      await until(() => heard.length > 0, 'the watched job to notify');
      expect(heard).toEqual([a]);

      // Too many jobs for NOTIFY's 8000 bytes: an empty payload, meaning "anything changed".
      const many = Array.from({ length: 250 }, () => randomUUID());
      await db.call('inbox_watch_jobs', { p_jobs: many, p_seconds: 60 });
      heard.length = 0;
      await sql.query(
        `insert into inbox_job_events (tenant_id, job_id, type)
         select 'default', id, 'test.bulk' from unnest($1::uuid[]) id`,
        [many],
      );
      await until(() => heard.length > 0, 'the bulk insert to notify');
      expect(heard).toEqual(['']);
    } finally {
      await stop();
    }
  });
});

describe('live progress without LISTEN (as over Supabase RPC): polling', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startApi(undefined, testSettings({ heartbeatIntervalMs: 30 }), false);
  });
  afterAll(() => h?.close());

  it('streams a job to completion, with heartbeats while it is idle', async () => {
    const jobId = await createJob(h, 1);
    const stream = await SseStream.open(`${h.base}/job/${jobId}/events`);
    expect((await stream.next())?.event).toBe('job.created');
    await stream.waitForComment('keep-alive');
    await claim(h, jobId);
    await h.queue.record('w1', [done(jobId, 0)]);
    const rest = await stream.rest();
    expect(rest.map((e) => e.event)).toEqual(['job.started', 'document.completed', 'job.completed']);
    await until(() => h.watcher.subscriberCount() === 0, 'the stream to unsubscribe');
  });
});

describe('live progress at shutdown', () => {
  it('ends open streams and long polls so the server can close', async () => {
    const h = await startApi(undefined, testSettings());
    const jobId = await createJob(h, 1);
    const stream = await SseStream.open(`${h.base}/job/${jobId}/events`);
    expect((await stream.next())?.event).toBe('job.created');
    const poll = fetch(`${h.base}/job/${jobId}?wait=60`);
    await until(() => h.watcher.subscriberCount() === 2, 'the stream and the long poll to subscribe');
    // Were they left open, closing would wait for them (60 s, and for ever for the stream).
    await h.close();
    expect(await stream.rest()).toEqual([]);
    const answered = await poll;
    expect(answered.status).toBe(200);
    expect(((await answered.json()) as JobBody).status).toBe('pending');
  });
});
