import pg from 'pg';
import { Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { Taxonomy } from '../src/classifier/taxonomy';
import { AppConfig } from '../src/config/app-config';
import { PgSqlClient } from '../src/database/pg-sql.client';
import { SqlDbFunctions } from '../src/database/sql-db-functions';
import { SqlJobQueue } from '../src/jobs/sql-job.queue';
import { DocumentPipeline } from '../src/worker/document-pipeline';
import { JobRunner } from '../src/worker/job-runner';
import { WorkerService } from '../src/worker/worker.service';
import { MetricsRegistry } from '../src/metrics/metrics-registry';
import { WorkerMetrics } from '../src/metrics/worker-metrics';
import { NoopBlobStore, NoopClassifier, NoopExtractor } from './noop-providers';
import type { PeerSystem, ToParent, ToWorker } from './queue-peer-protocol';

/**
 * One worker process of the side-by-side queue benchmark (bench/queue-peers.ts forks four per
 * system). Every job does nothing; the process counts the statements its pg clients send (round
 * trips) and reports each trickle job's pickup time: from the producer's clock (in the job) to
 * the handler starting, on CLOCK_MONOTONIC, which all processes of the machine share.
 */
const [system, databaseUrl, concurrencyText] = process.argv.slice(2) as [PeerSystem, string, string];
const concurrency = Number(concurrencyText);

let roundTrips = 0;
type QueryFn = (...args: unknown[]) => unknown;
const proto = pg.Client.prototype as unknown as { query: QueryFn };
const originalQuery = proto.query;
proto.query = function (this: unknown, ...args: unknown[]) {
  roundTrips++;
  return originalQuery.apply(this, args);
};

let handled = 0;
const calls: Record<string, number> = {};
let firstHandledNs: bigint | undefined;
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};
const send = (message: ToParent) => process.send?.(message);

/** A job's payload carries the producer's hrtime (ns, as text) when pickup is to be timed. */
function onJob(createdNs: string | undefined): void {
  handled++;
  firstHandledNs ??= process.hrtime.bigint();
  if (createdNs) send({ type: 'pickup', ms: Number(process.hrtime.bigint() - BigInt(createdNs)) / 1e6 });
}

async function startDocInbox(): Promise<() => Promise<void>> {
  Logger.overrideLogger(false);
  const sql = new PgSqlClient({ connectionString: databaseUrl, max: 10, application_name: 'bench-docinbox' });
  const queue = new SqlJobQueue(new SqlDbFunctions(sql), { leaseSeconds: 60, listen: sql.listen.bind(sql) });
  // How the loop batches: calls of each kind, and the jobs (outcomes) they carried.
  const claim = queue.claim.bind(queue);
  queue.claim = async (workerId, limit) => {
    const jobs = await claim(workerId, limit);
    calls.claim = (calls.claim ?? 0) + 1;
    calls.claimed = (calls.claimed ?? 0) + jobs.length;
    return jobs;
  };
  const record = queue.record.bind(queue);
  queue.record = (workerId, outcomes) => {
    calls.record = (calls.record ?? 0) + 1;
    calls.recorded = (calls.recorded ?? 0) + outcomes.length;
    return record(workerId, outcomes);
  };
  const config = AppConfig.fromEnvironment({
    DATABASE_URL: 'postgres://bench',
    LOG_LEVEL: 'silent',
    WORKER_CONCURRENCY: String(concurrency),
  });
  // The trickle's files are named t-<ns>.txt; the backlog's are not timed.
  const extractor = new NoopExtractor((input) => onJob(/^t-(\d+)\./.exec(input.filename)?.[1]));
  const metrics = new WorkerMetrics(new MetricsRegistry());
  const pipeline = new DocumentPipeline(
    new NoopBlobStore(),
    extractor,
    new NoopClassifier(),
    new Taxonomy([]),
    config,
    metrics,
  );
  const worker = new WorkerService(queue, new JobRunner(queue, pipeline, metrics), new SchedulerRegistry(), config);
  await worker.onApplicationBootstrap();
  return async () => {
    await worker.beforeApplicationShutdown();
    await sql.close();
  };
}

async function startGraphile(): Promise<() => Promise<void>> {
  const { run, Logger: GraphileLogger } = await import('graphile-worker');
  const runner = await run({
    connectionString: databaseUrl,
    concurrency,
    noHandleSignals: true,
    logger: new GraphileLogger(() => () => undefined),
    // Throughput settings from graphile-worker's performance docs: a local queue that locks a
    // batch of jobs ahead, and completions batched into one statement.
    preset: { worker: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    taskList: {
      noop: async (payload) => onJob((payload as { t?: string } | null)?.t),
    },
  });
  return () => runner.stop();
}

async function startPgBoss(): Promise<() => Promise<void>> {
  const { PgBoss } = await import('pg-boss');
  const boss = new PgBoss({ connectionString: databaseUrl, useListenNotify: true, supervise: false, schedule: false });
  boss.on('error', () => undefined);
  await boss.start();
  // pg-boss's throughput advice: fetch in batches (250 here) and keep fetching while they come back full.
  await boss.work<{ t?: string }>('noop', { batchSize: 250, burstWhenBatchFull: true }, async (jobs) => {
    for (const job of jobs) onJob(job.data?.t);
  });
  return () => boss.stop({ graceful: true });
}

async function main(): Promise<void> {
  const start = { docinbox: startDocInbox, graphile: startGraphile, pgboss: startPgBoss }[system];
  const stop = await start();
  const progress = setInterval(() => send({ type: 'progress', handled }), 20);
  process.on('message', (message: ToWorker) => {
    if (message.type === 'stats') {
      send({
        type: 'stats',
        handled,
        roundTrips,
        calls,
        cpuMs: cpuMs(),
        firstHandledNs: firstHandledNs?.toString() ?? null,
      });
      firstHandledNs = undefined;
    }
    if (message.type === 'stop') {
      clearInterval(progress);
      void stop().finally(() => {
        send({ type: 'stopped' });
        process.exit(0);
      });
    }
  });
  send({ type: 'ready' });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
