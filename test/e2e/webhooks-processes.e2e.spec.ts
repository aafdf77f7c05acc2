import type { WebhookDeliveryDto } from '../../src/http/dto/webhooks.dto';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/databases';
import { assertBuilt, spawnEntrypoint, type EntrypointProcess } from '../support/entrypoint-process';
import { startTestApp, type TestApp } from '../support/test-app';
import { WebhookReceiver } from '../support/webhook-receiver';

// Databases, apps and processes start slower on a busy machine than jest's 5 s default allows.
jest.setTimeout(60_000);

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

const describePostgres = TEST_DATABASE_URL ? describe : describe.skip;
if (!TEST_DATABASE_URL) console.warn('[postgres] TEST_DATABASE_URL is not set: webhook worker process tests skipped');

describePostgres('webhooks from worker processes on PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let server: TestApp;
  let receiver: WebhookReceiver;
  let url: string;
  const workers: EntrypointProcess[] = [];

  const spawnWorker = () => {
    const w = spawnEntrypoint('worker', {
      DATABASE_URL: db.url,
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_SECRET: SECRET,
      // An attempt's lease is its timeout + 5 s: a killed worker's claim comes back after that.
      WEBHOOK_TIMEOUT_SECONDS: '5',
      WORKER_POLL_INTERVAL_SECONDS: '0.5',
      WORKER_CONCURRENCY: '1',
      OCR_PROVIDER: 'none',
    });
    workers.push(w);
    return w;
  };

  beforeAll(async () => {
    assertBuilt();
    db = await createPostgresDatabase();
    receiver = new WebhookReceiver(SECRET);
    url = await receiver.start();
    server = await startTestApp({
      env: { DATABASE_URL: db.url, WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_SECRET: SECRET },
      roles: { http: true, worker: false },
    });
  });
  afterAll(async () => {
    for (const w of workers) w.proc.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await server?.close();
    await receiver?.stop();
    await db?.drop();
  });

  it('delivers once when the worker sending it is killed mid-request: another worker sends it after the lease', async () => {
    // The first request is held open (the worker is killed while it waits); later ones are answered.
    receiver.respond = (n) => (n === 0 ? 'hold' : 200);
    const res = await server.http
      .post('/classify-documents-async')
      .field('callback_url', `${url}/hooks/kill`)
      .attach('files', Buffer.from('INVOICE\nInvoice number 12\nTotal due EUR 50.00'), 'invoice.txt')
      .expect(202);
    const jobId = res.body.job_id as string;

    const first = spawnWorker();
    await receiver.waitFor((r) => r.length === 1, 90_000);
    const webhookId = receiver.received[0]!.id;
    expect(receiver.received[0]!.verifyError).toBeNull();
    first.proc.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    await receiver.waitFor((r) => r[0]!.aborted);

    const second = spawnWorker();
    let deliveries: WebhookDeliveryDto[] = [];
    const end = Date.now() + 90_000;
    while (deliveries[0]?.status !== 'delivered') {
      if (Date.now() > end) throw new Error(`not delivered: ${JSON.stringify(deliveries)}\n${second.stderr()}`);
      await new Promise((r) => setTimeout(r, 200));
      deliveries = (await server.http.get(`/job/${jobId}/webhooks`).expect(200)).body.deliveries;
    }

    const forId = receiver.received.filter((w) => w.id === webhookId);
    expect(forId.map((w) => [w.answered, w.aborted, w.verifyError])).toEqual([
      [null, true, null],
      [200, false, null],
    ]);
    const verifiedCompleted = forId.filter(
      (w) => w.answered === 200 && (w.verified as { type?: string } | null)?.type === 'job.completed',
    );
    expect(verifiedCompleted).toHaveLength(1);
    expect(receiver.received).toHaveLength(2);
    expect(deliveries).toEqual([
      expect.objectContaining({
        id: webhookId,
        status: 'delivered',
        attempts: [
          expect.objectContaining({
            attempt: 1,
            status_code: null,
            error: expect.stringMatching(/stopped before the lease ran out/),
          }),
          expect.objectContaining({ attempt: 2, status_code: 200, error: null }),
        ],
      }),
    ]);
    await second.waitForLine(/^Webhook job\.completed attempt 2: 200 -> delivered/);

    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe('SIGTERM');
  }, 240_000);
});
