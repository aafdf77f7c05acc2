import { assertBuilt, type EntrypointProcess } from '../support/entrypoint-process';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/databases';
import {
  documentLinesPerDocument,
  INVOICE,
  readLedger,
  RECEIPT,
  report,
  sleep,
  startServer,
  startWorker,
  uploadMany,
  waitFor,
  type ServerProcess,
  type WorkerLine,
} from './chaos-support';

const JOBS = 1000;
const KILLS = 7;
const WORKERS = 3;

const describePostgres = TEST_DATABASE_URL ? describe : describe.skip;
if (!TEST_DATABASE_URL) console.warn('[chaos] TEST_DATABASE_URL is not set: the worker-kill chaos case is skipped');

/** Jobs a worker has logged starting and not yet finishing: what a kill right now would crash. */
function jobsInFlight(w: EntrypointProcess): string[] {
  const open = new Set<string>();
  for (const l of w.lines as WorkerLine[]) {
    if (!l.jobId) continue;
    if (l.msg.startsWith('Processing job')) open.add(l.jobId);
    else if (l.msg === 'Job completed' || /^Job (failed|pending|lost)/.test(l.msg)) open.delete(l.jobId);
  }
  return [...open];
}

describePostgres('chaos (a): SIGKILL workers again and again while 1,000 jobs run', () => {
  let db: { url: string; drop(): Promise<void> };
  let server: ServerProcess;
  const everyWorker: EntrypointProcess[] = [];

  beforeAll(async () => {
    assertBuilt();
    db = await createPostgresDatabase();
    server = await startServer(db.url);
  }, 60_000);
  afterAll(async () => {
    for (const w of everyWorker) w.proc.kill('SIGKILL');
    server?.proc.kill('SIGKILL');
    await Promise.all([...everyWorker, ...(server ? [server] : [])].map((p) => p.exited));
    await db?.drop();
  }, 60_000);

  it('completes every job, records no document twice, and spends no attempt on a kill', async () => {
    const live: EntrypointProcess[] = [];
    const spawn = () => {
      const w = startWorker(db.url);
      everyWorker.push(w);
      live.push(w);
      return w;
    };
    for (let i = 0; i < WORKERS; i++) spawn();

    // Uploads and kills overlap: jobs keep arriving while workers die.
    const uploads = uploadMany(server.url, JOBS, (n) => [n % 2 ? RECEIPT : INVOICE, `${RECEIPT}\nref ${n}`]);
    const crashedByKill: string[] = [];
    let kills = 0;
    while (kills < KILLS) {
      // A worker in the middle of a job, so the kill lands mid-job.
      const victim = await waitFor(
        'a worker with a job in flight',
        async () => live.find((w) => w.proc.exitCode === null && jobsInFlight(w).length > 0),
        (w) => w !== undefined,
        60_000,
        20,
      );
      crashedByKill.push(...jobsInFlight(victim!));
      victim!.proc.kill('SIGKILL');
      await victim!.exited;
      live.splice(live.indexOf(victim!), 1);
      kills++;
      spawn();
      // Let the replacement boot and the others make progress before the next kill.
      await sleep(400 + Math.floor(Math.random() * 800));
    }
    const jobIds = await uploads;

    const ledger = await waitFor(
      `${JOBS} jobs to end`,
      () => readLedger(db.url),
      (l) => (l.byStatus.completed ?? 0) + (l.byStatus.failed ?? 0) + (l.byStatus.cancelled ?? 0) === JOBS,
      180_000,
      500,
    );
    const perDocument = documentLinesPerDocument(everyWorker);
    const loggedTwice = [...perDocument.values()].filter((n) => n > 1).length;

    report('SIGKILL workers mid-job while 1,000 jobs run', [
      `${JOBS} jobs of 2 text files uploaded over HTTP to a server process; ${WORKERS} worker processes (concurrency 4, lease 5 s)`,
      `killed a worker mid-job ${kills} times (${crashedByKill.length} jobs in flight at the kills), a new worker started after each`,
      `statuses: ${JSON.stringify(ledger.byStatus)} (${jobIds.length} uploads answered 202)`,
      `crashes recorded: ${ledger.crashes} (job.lease_expired events: ${ledger.leaseExpiredEvents}), most on one job: ${ledger.maxCrashes}`,
      `attempts: at most ${ledger.maxAttempts} per job (a crash is not an attempt)`,
      `documents recorded twice (document.* events per document): ${ledger.documentsRecordedTwice}; jobs ended twice: ${ledger.jobsEndedTwice}`,
      `"Document N done" log lines for the same document across all ${everyWorker.length} worker processes: ${loggedTwice} doubled`,
      `documents left pending in ended jobs: ${ledger.pendingInEndedJobs}; completed jobs' documents without exactly one outcome: ${ledger.documentsWithoutOutcome}`,
    ]);

    expect(ledger.jobs).toBe(JOBS);
    expect(ledger.byStatus).toEqual({ completed: JOBS });
    expect(ledger.maxAttempts).toBe(1);
    expect(ledger.crashes).toBeGreaterThan(0);
    expect(ledger.crashes).toBe(ledger.leaseExpiredEvents);
    expect(ledger.documentsRecordedTwice).toBe(0);
    expect(ledger.jobsEndedTwice).toBe(0);
    expect(ledger.pendingInEndedJobs).toBe(0);
    expect(ledger.documentsWithoutOutcome).toBe(0);
    expect(loggedTwice).toBe(0);
    // Every job the kills caught in flight was finished by another worker.
    expect(crashedByKill.length).toBeGreaterThan(0);
  }, 300_000);
});
