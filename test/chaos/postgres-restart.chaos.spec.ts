import { assertBuilt, type EntrypointProcess } from '../support/entrypoint-process';
import { ThrowawayPostgres, throwawayPostgresUnavailable } from '../support/throwaway-postgres';
import {
  documentLinesPerDocument,
  INVOICE,
  readLedger,
  RECEIPT,
  report,
  startServer,
  startWorker,
  uploadMany,
  uploadText,
  waitFor,
  type ServerProcess,
  type WorkerLine,
} from './chaos-support';

const JOBS = 300;

const title = throwawayPostgresUnavailable
  ? `chaos (b): PostgreSQL restarted mid-run (skipped: ${throwawayPostgresUnavailable})`
  : 'chaos (b): PostgreSQL restarted mid-run, on a throwaway cluster';
const describeCluster = throwawayPostgresUnavailable ? describe.skip : describe;
if (throwawayPostgresUnavailable) console.warn(`[chaos] ${title}`);

describeCluster(title, () => {
  let pg: ThrowawayPostgres;
  let server: ServerProcess;
  const workers: EntrypointProcess[] = [];

  beforeAll(async () => {
    assertBuilt();
    pg = await ThrowawayPostgres.create();
    server = await startServer(pg.url);
  }, 60_000);
  afterAll(async () => {
    for (const p of [...workers, ...(server ? [server] : [])]) p.proc.kill('SIGKILL');
    await Promise.all([...workers, ...(server ? [server] : [])].map((p) => p.exited));
    pg?.destroy();
  }, 60_000);

  it('answers 503 while the database is down, then recovers; workers reconnect; nothing lost or doubled', async () => {
    const before = await uploadMany(server.url, JOBS, (n) => [n % 2 ? RECEIPT : INVOICE, `${RECEIPT}\nref ${n}`]);
    for (let i = 0; i < 2; i++) workers.push(startWorker(pg.url));
    // Stop it while the workers are busy: some jobs done, others in their hands or still queued.
    const atStop = await waitFor(
      'some jobs to complete',
      () => readLedger(pg.url),
      (l) => (l.byStatus.completed ?? 0) >= 20,
      60_000,
      50,
    );
    pg.stop();
    const stoppedAt = workers.map((w) => w.lines.length);

    const ready = await waitFor(
      'readiness to answer 503',
      () => fetch(`${server.url}/health/ready`),
      (r) => r.status === 503,
      30_000,
    );
    const get = await fetch(`${server.url}/job/${before[0]}`);
    const list = await fetch(`${server.url}/jobs`);
    const form = new FormData();
    form.append('files', new Blob([RECEIPT], { type: 'text/plain' }), 'during-outage.txt');
    const upload = await fetch(`${server.url}/classify-documents-async`, { method: 'POST', body: form });
    const uploadBody = (await upload.json()) as { message: string };
    const live = await fetch(`${server.url}/health`);
    expect(ready.status).toBe(503);
    expect(get.status).toBe(503);
    expect(list.status).toBe(503);
    expect(upload.status).toBe(503);
    expect(uploadBody.message).toMatch(/database/);
    expect(live.status).toBe(200);
    // Nobody exits over an outage.
    expect([server, ...workers].map((p) => p.proc.exitCode)).toEqual([null, null, null]);

    pg.start();
    await waitFor(
      'readiness to answer 200 again',
      () => fetch(`${server.url}/health/ready`),
      (r) => r.ok,
      60_000,
    );
    const after = await uploadMany(server.url, 20, (n) => [`${INVOICE}\nafter ${n}`]);
    const total = JOBS + after.length;
    const ledger = await waitFor(
      `${total} jobs to complete`,
      () => readLedger(pg.url),
      (l) => (l.byStatus.completed ?? 0) === total,
      120_000,
      500,
    );
    const resumed = workers.map(
      (w, i) => w.lines.slice(stoppedAt[i]).filter((l: WorkerLine) => /^Document \d+ done/.test(l.msg)).length,
    );
    const loggedTwice = [...documentLinesPerDocument(workers).values()].filter((n) => n > 1).length;
    await uploadText(server.url, [RECEIPT]);

    report('PostgreSQL restarted mid-run (pg_ctl stop -m immediate, then start)', [
      `throwaway cluster on 127.0.0.1:${pg.port} (initdb + pg_ctl), a server and 2 worker processes, ${JOBS} jobs of 2 files`,
      `stopped with ${atStop.byStatus.completed} jobs completed, ${atStop.byStatus.processing ?? 0} processing, ${atStop.byStatus.pending ?? 0} pending`,
      `while it was down: /health/ready ${ready.status}, GET /job ${get.status}, GET /jobs ${list.status}, upload ${upload.status} ("${uploadBody.message}"), /health ${live.status}; no process exited`,
      `after the restart: documents each worker recorded: ${resumed.join(', ')} (same processes: they reconnected)`,
      `statuses: ${JSON.stringify(ledger.byStatus)} of ${total} (${after.length} uploaded after the restart)`,
      `released on the outage: ${ledger.releasedEvents}, lease expiries: ${ledger.leaseExpiredEvents}, attempts at most ${ledger.maxAttempts}`,
      `documents recorded twice: ${ledger.documentsRecordedTwice}; doubled "Document N done" lines: ${loggedTwice}; pending in ended jobs: ${ledger.pendingInEndedJobs}`,
    ]);
    expect(atStop.byStatus.completed).toBeLessThan(JOBS);
    expect(ledger.byStatus).toEqual({ completed: total });
    expect(ledger.maxAttempts).toBe(1);
    expect(ledger.documentsRecordedTwice).toBe(0);
    expect(ledger.jobsEndedTwice).toBe(0);
    expect(ledger.documentsWithoutOutcome).toBe(0);
    expect(loggedTwice).toBe(0);
    expect(resumed.every((n) => n > 0)).toBe(true);
    expect(workers.every((w) => w.proc.exitCode === null)).toBe(true);
  }, 240_000);
});
