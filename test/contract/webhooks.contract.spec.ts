import type { DbFunctions } from '../../src/database/db-functions.port';
import { SqlDbFunctions } from '../../src/database/sql-db-functions';
import { SqlJobQueue } from '../../src/jobs/sql-job.queue';
import { SqlJobStore } from '../../src/jobs/sql-job.store';
import { TenantStore } from '../../src/tenants/tenant-store';
import { WebhookStore, type ClaimedDelivery } from '../../src/webhooks/webhook-store';
import { databaseTargets, supabaseTarget, type TestDatabase } from '../support/databases';
import { done, newJob } from '../support/fixtures';

// Databases, apps and processes start slower on a busy machine than jest's 5 s default allows.
jest.setTimeout(60_000);

const supabase = supabaseTarget();
const targets = [...databaseTargets(), ...(supabase ? [supabase] : [])];
const HOOK = 'https://hooks.example.com/inbox';
const result = (statusCode: number | null, error: string | null = null) => ({
  statusCode,
  error,
  durationMs: 12,
  body: '{"type":"job.completed"}',
});

describe.each(targets)('webhook deliveries contract on $name', (target) => {
  let db: TestDatabase;
  let fns: DbFunctions;
  let jobs: SqlJobStore;
  let queue: SqlJobQueue;
  let webhooks: WebhookStore;
  let tenants: TenantStore;

  beforeAll(async () => {
    db = await target.create();
    fns = db.supabase ? db.functions() : new SqlDbFunctions(db.sql);
    jobs = new SqlJobStore(fns);
    queue = new SqlJobQueue(fns, { leaseSeconds: 30 });
    webhooks = new WebhookStore(fns);
    tenants = new TenantStore(fns);
  });
  afterAll(() => db.dispose());
  beforeEach(async () => {
    await db.sql.exec(
      "delete from inbox_jobs; delete from inbox_job_events; update inbox_tenants set callback_url = null; delete from inbox_tenants where tenant_id <> 'default'",
    );
  });

  async function createJob(files = 1, overrides: Parameters<typeof newJob>[1] = {}): Promise<string> {
    const answer = await jobs.createJob(newJob(files, overrides));
    return answer.job.id;
  }

  /** Runs a one-document job to completion through the queue, as a worker does. */
  async function complete(jobId: string): Promise<void> {
    const [claimed] = await queue.claim('w-jobs', 1);
    expect(claimed?.id).toBe(jobId);
    expect(await queue.record('w-jobs', [done(jobId, 0)])).toEqual([jobId]);
  }

  const deliveries = (jobId: string) =>
    db.sql.query<{ id: string; event_id: string; event_type: string; url: string; status: string }>(
      'select id, event_id::text, event_type, url, status from inbox_webhook_deliveries where job_id = $1 order by event_id',
      [jobId],
    );

  async function claimOne(worker = 'w1', lease = 30): Promise<ClaimedDelivery> {
    const claimed = await webhooks.claim(worker, 10, lease);
    expect(claimed).toHaveLength(1);
    return claimed[0]!;
  }

  const dueNow = (id: string) =>
    db.sql.query('update inbox_webhook_deliveries set next_attempt_at = now() where id = $1', [id]);

  it('has one inbox_create_job, which stores the callback_url and still takes the calls made before it', async () => {
    const [{ n }] = await db.sql.query<{ n: number }>(
      "select count(*)::int as n from pg_proc where proname = 'inbox_create_job'",
    );
    expect(n).toBe(1);
    const withUrl = await createJob(1, { callbackUrl: HOOK });
    const without = (
      await fns.call<{ job: { id: string } }>('inbox_create_job', {
        p_tenant: 'default',
        p_id: newJob().id,
        p_files: newJob().files,
        p_categories: null,
        p_max_attempts: 3,
      })
    ).job.id;
    const rows = await db.sql.query<{ id: string; callback_url: string | null }>(
      'select id, callback_url from inbox_jobs where id = any($1::uuid[])',
      [[withUrl, without]],
    );
    expect(Object.fromEntries(rows.map((r) => [r.id, r.callback_url]))).toEqual({ [withUrl]: HOOK, [without]: null });
  });

  it('makes one delivery with the terminal event, to the job URL, else the tenant default, else none', async () => {
    const own = await createJob(1, { callbackUrl: HOOK });
    expect(await deliveries(own)).toEqual([]);
    await complete(own);
    const [completed] = await db.sql.query<{ id: string }>(
      "select id::text from inbox_job_events where job_id = $1 and type = 'job.completed'",
      [own],
    );
    expect(await deliveries(own)).toEqual([
      expect.objectContaining({ event_id: completed!.id, event_type: 'job.completed', url: HOOK, status: 'pending' }),
    ]);

    const none = await createJob();
    await jobs.cancelJob('default', none);
    expect(await deliveries(none)).toEqual([]);

    await tenants.update('default', { callback_url: 'https://tenant.example.com/hook' });
    const byTenant = await createJob();
    await jobs.cancelJob('default', byTenant);
    expect(await deliveries(byTenant)).toEqual([
      expect.objectContaining({ event_type: 'job.cancelled', url: 'https://tenant.example.com/hook' }),
    ]);
    const ownWins = await createJob(1, { callbackUrl: HOOK });
    await jobs.cancelJob('default', ownWins);
    expect((await deliveries(ownWins)).map((d) => d.url)).toEqual([HOOK]);
  });

  it('makes a delivery for each failure of a retried job, and only for terminal events', async () => {
    const id = await createJob(1, { callbackUrl: HOOK, maxAttempts: 1 });
    await queue.claim('w-jobs', 1);
    expect(await queue.fail('w-jobs', id, 'provider down')).toBe('failed');
    await jobs.retryJob('default', id);
    await queue.claim('w-jobs', 1);
    expect(await queue.fail('w-jobs', id, 'provider down again')).toBe('failed');
    expect((await deliveries(id)).map((d) => d.event_type)).toEqual(['job.failed', 'job.failed']);
  });

  it('makes no delivery when the transaction that wrote the event rolls back', async () => {
    const id = await createJob(1, { callbackUrl: HOOK });
    await expect(
      db.sql.transaction(async (tx) => {
        await tx.query("select inbox_cancel_job('default', $1)", [id]);
        expect((await tx.query('select 1 from inbox_webhook_deliveries where job_id = $1', [id])).length).toBe(1);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await deliveries(id)).toEqual([]);
  });

  it('claims under a lease with the job, the secret and no body yet; a second claim gets nothing', async () => {
    await tenants.update('default', { webhook_secret: 'whsec_Zm9vYmFyYmF6cXV4cXV1eA==' });
    const id = await createJob(1, { callbackUrl: HOOK });
    await complete(id);
    const d = await claimOne();
    expect(d).toMatchObject({
      job_id: id,
      tenant_id: 'default',
      event_type: 'job.completed',
      url: HOOK,
      attempt: 1,
      body: null,
      webhook_secret: 'whsec_Zm9vYmFyYmF6cXV4cXV1eA==',
      job: expect.objectContaining({
        id,
        status: 'completed',
        documents: [expect.objectContaining({ status: 'completed' })],
      }),
    });
    expect(d.job).not.toHaveProperty('events');
    expect(await webhooks.claim('w2', 10, 30)).toEqual([]);
  });

  it('retries a failed attempt with exponential backoff and jitter, then delivers with the same body', async () => {
    const id = await createJob(1, { callbackUrl: HOOK });
    await jobs.cancelJob('default', id);
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const d = await claimOne();
      expect(d.attempt).toBe(attempt);
      if (attempt > 1) expect(d.body).toBe('{"type":"job.completed"}');
      const after = await webhooks.recordAttempt('w1', d, result(500, 'HTTP 500'), { baseSeconds: 100 });
      expect(after).toMatchObject({ status: 'pending', attempts: attempt, last_status_code: 500 });
      const [{ delay }] = await db.sql.query<{ delay: number }>(
        'select extract(epoch from next_attempt_at - now())::float8 as delay from inbox_webhook_deliveries where id = $1',
        [d.id],
      );
      delays.push(delay);
      expect(await webhooks.claim('w1', 10, 30)).toEqual([]); // not due yet
      await dueNow(d.id);
    }
    // 100 s, 200 s, 400 s, each +-25%.
    expect(delays[0]).toBeGreaterThan(70);
    expect(delays[0]).toBeLessThan(126);
    expect(delays[1]).toBeGreaterThan(145);
    expect(delays[1]).toBeLessThan(251);
    expect(delays[2]).toBeGreaterThan(295);
    expect(delays[2]).toBeLessThan(501);

    const last = await claimOne();
    expect(await webhooks.recordAttempt('w1', last, result(204), { baseSeconds: 100 })).toMatchObject({
      status: 'delivered',
      attempts: 4,
      next_attempt_at: null,
    });
    await dueNow(last.id);
    expect(await webhooks.claim('w1', 10, 30)).toEqual([]);
    const [log] = (await webhooks.forJob('default', id))!;
    expect(log!.attempt_log.map((a) => [a.attempt, a.status_code, a.error, a.duration_ms])).toEqual([
      [1, 500, 'HTTP 500', 12],
      [2, 500, 'HTTP 500', 12],
      [3, 500, 'HTTP 500', 12],
      [4, 204, null, 12],
    ]);
  });

  it('stops at 410 Gone, and gives up after the deadline', async () => {
    const gone = await createJob(1, { callbackUrl: HOOK });
    await jobs.cancelJob('default', gone);
    const d = await claimOne();
    expect(await webhooks.recordAttempt('w1', d, result(410, 'HTTP 410'), { baseSeconds: 1 })).toMatchObject({
      status: 'gone',
      next_attempt_at: null,
    });
    await dueNow(d.id);
    expect(await webhooks.claim('w1', 10, 30)).toEqual([]);

    const late = await createJob(1, { callbackUrl: HOOK });
    await jobs.cancelJob('default', late);
    const e = await claimOne();
    const noAnswer = { statusCode: null, error: 'ECONNREFUSED', durationMs: 1, body: '{}' };
    expect(await webhooks.recordAttempt('w1', e, noAnswer, { baseSeconds: 1, giveUpSeconds: 0 })).toMatchObject({
      status: 'failed',
      last_error: 'ECONNREFUSED',
    });
    expect(await webhooks.claim('w1', 10, 30)).toEqual([]);
  });

  it("gives a dead worker's delivery back after its lease, recording that attempt as unanswered", async () => {
    const id = await createJob(1, { callbackUrl: HOOK });
    await jobs.cancelJob('default', id);
    const first = await claimOne('dead-worker', 1);
    let again: ClaimedDelivery[] = [];
    for (let i = 0; i < 100 && again.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      again = await webhooks.claim('w2', 10, 30);
    }
    expect(again).toEqual([expect.objectContaining({ id: first.id, attempt: 2 })]);
    // The dead worker's late answer is not recorded over the new claim.
    expect(await webhooks.recordAttempt('dead-worker', first, result(200), { baseSeconds: 1 })).toBeNull();
    expect(await webhooks.recordAttempt('w2', again[0]!, result(200), { baseSeconds: 1 })).toMatchObject({
      status: 'delivered',
    });
    const [log] = (await webhooks.forJob('default', id))!;
    expect(log!.attempt_log).toEqual([
      expect.objectContaining({ attempt: 1, status_code: null, error: expect.stringMatching(/dead-worker.*stopped/) }),
      expect.objectContaining({ attempt: 2, status_code: 200, error: null }),
    ]);
  });

  it('never hands one delivery to two workers claiming at once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await createJob(1, { callbackUrl: HOOK }));
    for (const id of ids) await jobs.cancelJob('default', id);
    const other = db.supabase ? db.functions() : new SqlDbFunctions(db.sql);
    const [a, b] = await Promise.all([webhooks.claim('wa', 8, 30), new WebhookStore(other).claim('wb', 8, 30)]);
    const claimed = [...a, ...b].map((d) => d.id);
    expect(claimed).toHaveLength(12);
    expect(new Set(claimed).size).toBe(12);
  });

  it("answers a job's deliveries to its tenant only", async () => {
    const id = await createJob(1, { callbackUrl: HOOK, tenantId: 'acme' });
    await jobs.cancelJob('acme', id);
    expect(await webhooks.forJob('acme', id)).toEqual([
      expect.objectContaining({ event_type: 'job.cancelled', status: 'pending', attempt_log: [] }),
    ]);
    expect(await webhooks.forJob('default', id)).toBeNull();
    const quiet = await createJob();
    expect(await webhooks.forJob('default', quiet)).toEqual([]);
  });
});
