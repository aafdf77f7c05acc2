import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Taxonomy } from '../src/classifier/taxonomy';
import { AppConfig } from '../src/config/app-config';
import { PgSqlClient } from '../src/database/pg-sql.client';
import type { SqlClient } from '../src/database/sql-client.port';
import { SqlDbFunctions } from '../src/database/sql-db-functions';
import type { DocumentOutcome } from '../src/jobs/job.model';
import { SqlJobQueue } from '../src/jobs/sql-job.queue';
import { SqlJobStore } from '../src/jobs/sql-job.store';
import { DocumentPipeline } from '../src/worker/document-pipeline';
import { JobRunner } from '../src/worker/job-runner';
import { WorkerService } from '../src/worker/worker.service';
import { newJob } from '../test/support/fixtures';
import { NoopBlobStore, NoopClassifier, NoopExtractor } from './noop-providers';
import { ms, section, summary } from './stats';
import { MetricsRegistry } from '../src/metrics/metrics-registry';
import { WorkerMetrics } from '../src/metrics/worker-metrics';

const sleep = (n: number) => new Promise((r) => setTimeout(r, n));

const LEASE_SECONDS = 60;

/** Counts completions as they are written, so the bench needs no polling of its own. */
class CountingQueue extends SqlJobQueue {
  completed = 0;
  override async record(workerId: string, outcomes: DocumentOutcome[]): Promise<string[]> {
    const ids = await super.record(workerId, outcomes);
    this.completed += ids.length;
    return ids;
  }
}

function queueOn(sql: SqlClient, notify = true): CountingQueue {
  // Without LISTEN the worker finds jobs by polling only.
  return new CountingQueue(new SqlDbFunctions(sql), {
    leaseSeconds: LEASE_SECONDS,
    listen: notify ? sql.listen.bind(sql) : undefined,
  });
}

function workerConfig(env: Record<string, string>): AppConfig {
  return AppConfig.fromEnvironment({ DATABASE_URL: 'postgres://bench', LOG_LEVEL: 'silent', ...env });
}

function startWorker(queue: SqlJobQueue, config: AppConfig, extractor = new NoopExtractor()): WorkerService {
  const metrics = new WorkerMetrics(new MetricsRegistry());
  const pipeline = new DocumentPipeline(
    new NoopBlobStore(),
    extractor,
    new NoopClassifier(),
    new Taxonomy([]),
    config,
    metrics,
  );
  return new WorkerService(queue, new JobRunner(queue, pipeline, metrics), new SchedulerRegistry(), config);
}

async function enqueueNoopJobs(sql: SqlClient, count: number): Promise<void> {
  await sql.exec(`
    insert into inbox_jobs (id, total_files, total_documents)
      select gen_random_uuid(), 1, 1 from generate_series(1, ${count});
    insert into inbox_job_files (job_id, position, filename, content_type, size, sha256, blob_key)
      select id, 0, 'noop.txt', 'text/plain', 4, '', 'default/' || id || '/0' from inbox_jobs where status = 'pending';
    insert into inbox_job_documents (job_id, doc_index, file_position)
      select id, 0, 0 from inbox_jobs where status = 'pending';`);
}

/** Jobs/s for `workers` worker instances (each with its own connection pool) draining `jobs` no-op jobs. */
export async function queueThroughput(
  databaseUrl: string,
  workers: number,
  jobs: number,
  concurrency: number,
): Promise<number> {
  const admin = new PgSqlClient({ connectionString: databaseUrl, max: 2 });
  // Each case starts from the same table: the previous case's rows gone, not left dead for this
  // one's claims to step over, and a checkpoint behind it (as bench:queue does for each system).
  await admin.exec('delete from inbox_jobs; delete from inbox_job_events');
  await admin.exec('vacuum inbox_jobs, inbox_job_files, inbox_job_documents, inbox_job_events, inbox_pages');
  await admin.exec('checkpoint').catch(() => undefined);
  await enqueueNoopJobs(admin, jobs);
  const config = workerConfig({ WORKER_CONCURRENCY: String(concurrency), WORKER_POLL_INTERVAL_SECONDS: '0.05' });
  const clients = Array.from({ length: workers }, () => new PgSqlClient({ connectionString: databaseUrl, max: 4 }));
  const stores = clients.map((c) => queueOn(c));
  const services = stores.map((s) => startWorker(s, config));
  const started = performance.now();
  await Promise.all(services.map((s) => s.onApplicationBootstrap()));
  while (stores.reduce((n, s) => n + s.completed, 0) < jobs) await sleep(2);
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(services.map((s) => s.beforeApplicationShutdown()));
  const [{ done }] = await admin.query<{ done: number }>(
    `select count(*)::int as done from inbox_jobs where status = 'completed'`,
  );
  if (done !== jobs) throw new Error(`expected ${jobs} completed jobs, found ${done}`);
  await Promise.all(clients.map((c) => c.close()));
  await admin.close();
  return jobs / seconds;
}

/** Milliseconds from a job's insert to a worker starting on it. */
export async function pickupLatency(databaseUrl: string, notify: boolean, samples: number, pollSeconds: number) {
  const client = new PgSqlClient({ connectionString: databaseUrl, max: 4 });
  await client.exec('delete from inbox_jobs; delete from inbox_job_events');
  const store = queueOn(client, notify);
  const created = new Map<string, number>();
  const latencies: number[] = [];
  const extractor = new NoopExtractor((input) => latencies.push(performance.now() - created.get(input.filename)!));
  const worker = startWorker(store, workerConfig({ WORKER_POLL_INTERVAL_SECONDS: String(pollSeconds) }), extractor);
  await worker.onApplicationBootstrap();
  await sleep(100);
  const producerClient = new PgSqlClient({ connectionString: databaseUrl, max: 1 });
  const producer = new SqlJobStore(new SqlDbFunctions(producerClient));
  for (let i = 0; i < samples; i++) {
    const job = newJob(1);
    const name = `job-${i}.txt`;
    job.files[0].filename = name;
    created.set(name, performance.now());
    await producer.createJob(job);
    while (latencies.length <= i) await sleep(0.2);
    // Spread creations over the poll period so polling is not phase-locked to it.
    await sleep(notify ? 5 + Math.random() * 20 : Math.random() * pollSeconds * 1000);
  }
  await worker.beforeApplicationShutdown();
  await producerClient.close();
  await client.close();
  return summary(latencies);
}

export async function runQueueBench(databaseUrl: string): Promise<void> {
  Logger.overrideLogger(false);
  section('Queue throughput, no-op providers, PostgreSQL (5,000 jobs)');
  for (const workers of [1, 4]) {
    const rate = await queueThroughput(databaseUrl, workers, 5000, 128);
    console.log(`${workers} worker(s) x concurrency 128: ${rate.toFixed(0)} jobs/s`);
  }
  section('Pickup latency, creation to claim, PostgreSQL');
  const withNotify = await pickupLatency(databaseUrl, true, 200, 5);
  console.log(
    `NOTIFY (poll 5 s as fallback): p50 ${ms(withNotify.p50)}, p99 ${ms(withNotify.p99)} (n=${withNotify.n})`,
  );
  const polling = await pickupLatency(databaseUrl, false, 30, 1);
  console.log(`polling only, every 1 s:       p50 ${ms(polling.p50)}, p99 ${ms(polling.p99)} (n=${polling.n})`);
}
