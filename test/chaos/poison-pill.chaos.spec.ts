import { assertBuilt, type EntrypointProcess } from '../support/entrypoint-process';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/databases';
import { completion, FakeOpenAIServer } from '../support/fake-openai.server';
import type { JobBody } from '../support/test-app';
import {
  INVOICE,
  readLedger,
  RECEIPT,
  report,
  startServer,
  startWorker,
  uploadText,
  waitFor,
  type ServerProcess,
} from './chaos-support';

const describePostgres = TEST_DATABASE_URL ? describe : describe.skip;
if (!TEST_DATABASE_URL) console.warn('[chaos] TEST_DATABASE_URL is not set: the poison-pill chaos case is skipped');

/**
 * The other side of case (a): one job that every worker dies on. It must end (failed, after five
 * crashes) with no document left pending, and the crashes must not be counted as attempts.
 */
describePostgres('chaos (a, poison pill): the same job kills its worker again and again', () => {
  let db: { url: string; drop(): Promise<void> };
  let server: ServerProcess;
  let openai: FakeOpenAIServer;
  const workers: EntrypointProcess[] = [];

  beforeAll(async () => {
    assertBuilt();
    db = await createPostgresDatabase();
    [server, openai] = await Promise.all([startServer(db.url), FakeOpenAIServer.start()]);
  }, 60_000);
  afterAll(async () => {
    for (const p of [...workers, ...(server ? [server] : [])]) p.proc.kill('SIGKILL');
    await Promise.all([...workers, ...(server ? [server] : [])].map((p) => p.exited));
    await openai?.close();
    await db?.drop();
  }, 60_000);

  it('fails the job after five crashes, ends its unfinished documents, and spends one attempt', async () => {
    // The first document is classified; the second hangs every worker that reaches it.
    openai.reply({ status: 200, body: completion(JSON.stringify({ label: 'invoice', confidence: 0.9, reasons: [] })) });
    openai.defaultReply = { hang: true };
    const id = await uploadText(server.url, [INVOICE, RECEIPT, `${RECEIPT}\nagain`]);
    const spawn = () => {
      const w = startWorker(db.url, {
        CLASSIFIER_PROVIDER: 'openai',
        OPENAI_API_KEY: 'sk-chaos',
        OPENAI_BASE_URL: openai.baseURL,
        CLASSIFIER_VISION: 'off',
        FILE_TIMEOUT_SECONDS: '600',
      });
      workers.push(w);
      return w;
    };
    let kills = 0;
    for (; kills < 5; kills++) {
      const w = spawn();
      await w.waitForLine(/^Processing job/, 60_000);
      // Mid-job: the worker is waiting on the hung call (the first also made document 0's call).
      const calls = kills + 2;
      await waitFor(
        'the hung call',
        async () => openai.requests.length,
        (n) => n >= calls,
        60_000,
        20,
      );
      w.proc.kill('SIGKILL');
      await w.exited;
    }
    // A sixth worker finds the job's fifth lease expired and gives up on it.
    const last = spawn();
    const getJob = async () => (await (await fetch(`${server.url}/job/${id}`)).json()) as JobBody;
    const job = await waitFor('the job to fail', getJob, (j) => j.status === 'failed', 60_000, 250);
    const ledger = await readLedger(db.url);

    report('poison pill: the same job killed its worker 5 times', [
      `a 3-document job; document 0 classified, document 1's classifier call hangs; SIGKILL each worker mid-call, ${kills} times`,
      `job ${job.status}: "${job.error}"; attempts ${job.attempts}, crashes ${job.crashes}`,
      `documents: ${job.result.documents.map((d) => `${d.status}${d.error ? ` (${d.error.code})` : ''}`).join(', ')}`,
      `documents left pending in ended jobs: ${ledger.pendingInEndedJobs}; the sixth worker is still running: ${last.proc.exitCode === null}`,
    ]);
    expect(job).toMatchObject({ status: 'failed', attempts: 1, crashes: 5 });
    expect(job.error).toMatch(/stopped 5 times/);
    expect(job.result.documents.map((d) => d.status)).toEqual(['completed', 'failed', 'failed']);
    expect(job.result.documents.slice(1).map((d) => d.error?.code)).toEqual(['job_failed', 'job_failed']);
    expect(job.events.map((e) => e.type)).toContain('job.failed');
    expect(ledger.pendingInEndedJobs).toBe(0);
    expect(last.proc.exitCode).toBeNull();
  }, 180_000);
});
