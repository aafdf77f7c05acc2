import { PgSqlClient } from '../../src/database/pg-sql.client';
import { freePort, spawnEntrypoint, type EntrypointProcess, type LogLine } from '../support/entrypoint-process';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A worker's log line about one document (JobRunner logs it after the outcome is recorded). */
export type WorkerLine = LogLine & { jobId?: string; document?: number; workerId?: string };

/** Settings every chaos process shares: nothing slow, nothing remote unless a case says so. */
export const QUIET_PROVIDERS = {
  OCR_PROVIDER: 'none',
  CLASSIFIER_PROVIDER: 'local',
  RATE_LIMIT_PER_MINUTE: '0',
  BLOB_SWEEP_INTERVAL_MINUTES: '0',
};

export interface ServerProcess extends EntrypointProcess {
  url: string;
}

/** `node dist/main.js` on the database, without a worker in it, listening on a free port. */
export async function startServer(databaseUrl: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  return startServerWith({ DATABASE_URL: databaseUrl, WORKER_IN_SERVER: 'false', ...env });
}

/** `node dist/main.js` on the embedded database in dataDir, running its jobs itself, as the default does. */
export async function startEmbeddedServer(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  return startServerWith({ DATA_DIR: dataDir, ...env });
}

async function startServerWith(env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const proc = spawnEntrypoint('server', { ...QUIET_PROVIDERS, PORT: String(port), LOG_LEVEL: 'warn', ...env });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(`${url}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return Object.assign(proc, { url });
    if (proc.proc.exitCode !== null) break;
    await sleep(100);
  }
  proc.proc.kill('SIGKILL');
  throw new Error(`server did not come up: ${proc.stderr()}`);
}

/** `node dist/worker.js` on the database. */
export function startWorker(databaseUrl: string, env: Record<string, string> = {}): EntrypointProcess {
  return spawnEntrypoint('worker', {
    ...QUIET_PROVIDERS,
    DATABASE_URL: databaseUrl,
    JOB_LEASE_SECONDS: '5',
    WORKER_POLL_INTERVAL_SECONDS: '0.5',
    WORKER_CONCURRENCY: '4',
    LOG_LEVEL: 'info',
    ...env,
  });
}

/** Uploads one job of small text files; answers its id. */
export async function uploadText(url: string, texts: string[], name = 'note'): Promise<string> {
  const form = new FormData();
  texts.forEach((t, i) => form.append('files', new Blob([t], { type: 'text/plain' }), `${name}-${i}.txt`));
  const res = await fetch(`${url}/classify-documents-async`, { method: 'POST', body: form });
  if (res.status !== 202) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { job_id: string }).job_id;
}

/** Uploads `count` jobs, `concurrency` requests at a time. */
export async function uploadMany(
  url: string,
  count: number,
  texts: (n: number) => string[],
  concurrency = 8,
): Promise<string[]> {
  const ids: string[] = new Array<string>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const n = next++;
        ids[n] = await uploadText(url, texts(n), `job${n}`);
      }
    }),
  );
  return ids;
}

export const RECEIPT = 'RECEIPT\nStore 42\nCASH PAID 12.50\nTOTAL 12.50\nTHANK YOU FOR SHOPPING';
export const INVOICE = 'INVOICE no. 2024-117\nBill to: ACME Ltd\nAmount due: 1,200.00 EUR\nPayment terms: 30 days';

/** Polls until `check` holds (no fixed sleeps); fails with `what` after timeoutMs. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 120_000,
  everyMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe().catch(() => undefined as T);
    if (last !== undefined && check(last)) return last;
    await sleep(everyMs);
  }
  throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)?.slice(0, 500)}`);
}

export interface Ledger {
  jobs: number;
  byStatus: Record<string, number>;
  /** Documents whose outcome was recorded more than once (document.completed/failed events). */
  documentsRecordedTwice: number;
  /** Jobs with more than one job.completed / job.failed event. */
  jobsEndedTwice: number;
  /** Documents still pending in a job that ended: the bug the issue reports. */
  pendingInEndedJobs: number;
  /** Documents whose recorded outcome count differs from 1, in ended jobs. */
  documentsWithoutOutcome: number;
  maxAttempts: number;
  maxCrashes: number;
  crashes: number;
  leaseExpiredEvents: number;
  releasedEvents: number;
  startedEvents: number;
}

/** What the database says happened to the jobs: read with plain SQL, once, after the run. */
export async function readLedger(databaseUrl: string): Promise<Ledger> {
  const sql = new PgSqlClient({ connectionString: databaseUrl, max: 1 });
  try {
    const [jobs] = await sql.query<{
      jobs: number;
      max_attempts: number;
      max_crashes: number;
      crashes: number;
      by_status: Record<string, number>;
    }>(
      `select count(*)::int as jobs, coalesce(max(attempts), 0)::int as max_attempts,
              coalesce(max(crashes), 0)::int as max_crashes, coalesce(sum(crashes), 0)::int as crashes,
              coalesce((select jsonb_object_agg(status, n) from
                 (select status, count(*)::int as n from inbox_jobs group by status) s), '{}'::jsonb) as by_status
       from inbox_jobs`,
    );
    const [docs] = await sql.query<{ twice: number; pending: number; missing: number }>(
      `with outcomes as (
         select job_id, (payload->>'index')::int as doc_index, count(*) as n from inbox_job_events
         where type in ('document.completed', 'document.failed') group by 1, 2)
       select
         (select count(*)::int from outcomes where n > 1) as twice,
         (select count(*)::int from inbox_job_documents d join inbox_jobs j on j.id = d.job_id
            where j.status in ('completed', 'failed', 'cancelled') and d.status = 'pending') as pending,
         (select count(*)::int from inbox_job_documents d join inbox_jobs j on j.id = d.job_id
            left join outcomes o on o.job_id = d.job_id and o.doc_index = d.doc_index
            where j.status = 'completed' and coalesce(o.n, 0) <> 1) as missing`,
    );
    const [events] = await sql.query<{ ended_twice: number; expired: number; released: number; started: number }>(
      `select
         (select count(*)::int from (select job_id from inbox_job_events where type in ('job.completed', 'job.failed')
            group by job_id having count(*) > 1) x) as ended_twice,
         (select count(*)::int from inbox_job_events where type = 'job.lease_expired') as expired,
         (select count(*)::int from inbox_job_events where type = 'job.released') as released,
         (select count(*)::int from inbox_job_events where type = 'job.started') as started`,
    );
    return {
      jobs: jobs.jobs,
      byStatus: jobs.by_status,
      documentsRecordedTwice: docs.twice,
      jobsEndedTwice: events.ended_twice,
      pendingInEndedJobs: docs.pending,
      documentsWithoutOutcome: docs.missing,
      maxAttempts: jobs.max_attempts,
      maxCrashes: jobs.max_crashes,
      crashes: jobs.crashes,
      leaseExpiredEvents: events.expired,
      releasedEvents: events.released,
      startedEvents: events.started,
    };
  } finally {
    await sql.close();
  }
}

/** "Document N done/failed" lines per (job, document), over every worker's log. */
export function documentLinesPerDocument(workers: EntrypointProcess[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of workers)
    for (const l of w.lines as WorkerLine[])
      if (l.jobId !== undefined && /^Document \d+ (done|failed)/.test(l.msg)) {
        const key = `${l.jobId}#${l.document}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
      }
  return counts;
}

/** Prints what a case did and what it checked, in one block. */
export function report(title: string, lines: string[]): void {
  console.log(`[chaos] ${title}\n${lines.map((l) => `  - ${l}`).join('\n')}`);
}
