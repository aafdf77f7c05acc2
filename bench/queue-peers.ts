import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeBarPlot } from './bar-plot';
import { Client } from 'pg';
import { Logger } from '@nestjs/common';
import { Migrator } from '../src/database/migrator';
import { PgSqlClient } from '../src/database/pg-sql.client';
import { SqlDbFunctions } from '../src/database/sql-db-functions';
import { SqlJobStore } from '../src/jobs/sql-job.store';
import { newJob } from '../test/support/fixtures';
import { createPostgresDatabase } from '../test/support/databases';
import type { BenchSystem, PeerSystem, ToParent, ToWorker } from './queue-peer-protocol';
import { median, percentile } from './stats';
import { docInboxBacklogSql } from './docinbox-backlog';

/**
 * `npm run bench:queue`: Doc Inbox's worker loop against graphile-worker and pg-boss, side by
 * side, in one invocation, each on a fresh database of the local server with the same workload:
 * a backlog of no-op jobs queued ahead and drained by worker processes, then a trickle of jobs
 * 10 ms apart for pickup latency. Prints a table per round, the medians with their spread, and as
 * its last line one JSON object. Prints figures, asserts nothing.
 *
 * Options: --rounds N (3), --jobs N (20000), --trickle N (200), --workers N (4),
 * --concurrency N (24), --systems docinbox,graphile,pgboss, --no-live-trigger, and
 * --baseline DIR: Doc Inbox as built in another checkout (its dist-bench, its migrations) as one
 * more system, for a before/after in the same invocation.
 */

interface Options {
  rounds: number;
  jobs: number;
  trickle: number;
  workers: number;
  concurrency: number;
  systems: BenchSystem[];
  liveTrigger: boolean;
  baseline?: string;
}

interface RoundResult {
  jobsPerS: number;
  pickup: { p50: number; p95: number; p99: number; n: number };
  roundTripsPerJob: number;
  pgCpuMsPerJob: number;
  /** The worker processes' own CPU (user and system). */
  workerCpuMsPerJob: number;
  walBytesPerJob: number;
  /** Doc Inbox only: how the backlog was batched. */
  jobsPerClaim: number;
  outcomesPerRecord: number;
}

/** How a system's producer enqueues, and how the bench sees what is left to do. */
interface Producer {
  enqueueBacklog(count: number): Promise<void>;
  /** One job whose payload carries the producer's clock, for pickup latency. */
  enqueueTimed(createdNs: bigint): Promise<void>;
  /** Jobs not yet completed (durably, as the system records completion). */
  remaining(): Promise<number>;
  close(): Promise<void>;
}

const PRODUCER_APP = 'bench-producer';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CLOCK_TICKS_PER_S = 100;

function parseOptions(argv: string[]): Options {
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, fallback: number) => Number(value(name) ?? fallback);
  return {
    rounds: num('rounds', 3),
    jobs: num('jobs', 20_000),
    trickle: num('trickle', 200),
    workers: num('workers', 4),
    concurrency: num('concurrency', 24),
    systems: [
      ...((value('systems') ?? 'docinbox,graphile,pgboss').split(',') as PeerSystem[]),
      ...(value('baseline') ? (['baseline'] as const) : []),
    ],
    liveTrigger: !argv.includes('--no-live-trigger'),
    baseline: value('baseline'),
  };
}

function withAppName(url: string, name: string): string {
  const u = new URL(url);
  u.searchParams.set('application_name', name);
  return u.toString();
}

/**
 * For a baseline checkout older than the live trigger (20261202000300_job_events_notify.sql): a
 * NOTIFY per statement that inserts events, so both builds pay for one. This checkout's migrations
 * have the real trigger (it notifies only for followed jobs).
 */
const LIVE_TRIGGER = `
  create or replace function inbox_bench_notify_events() returns trigger language plpgsql as $$
  begin perform pg_notify('inbox_job_events', ''); return null; end $$;
  create trigger inbox_job_events_notify after insert on inbox_job_events
    referencing new table as n for each statement execute function inbox_bench_notify_events();`;

async function docInboxProducer(url: string, liveTrigger: boolean, checkout?: string): Promise<Producer> {
  const sql = new PgSqlClient({ connectionString: url, max: 2, application_name: PRODUCER_APP });
  // Another checkout's Migrator applies that checkout's migrations.
  const migrator: typeof Migrator = checkout
    ? // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known only at run time
      (require(join(checkout, 'dist-bench/src/database/migrator.js')) as { Migrator: typeof Migrator }).Migrator
    : Migrator;
  await new migrator(sql).migrate();
  if (liveTrigger && checkout) await sql.exec(LIVE_TRIGGER);
  const store = new SqlJobStore(new SqlDbFunctions(sql));
  return {
    async enqueueBacklog(count) {
      await sql.exec(docInboxBacklogSql(count));
    },
    async enqueueTimed(createdNs) {
      const job = newJob(1);
      job.files[0].filename = `t-${createdNs}.txt`;
      await store.createJob(job);
    },
    async remaining() {
      const [row] = await sql.query<{ n: number }>(
        `select count(*)::int as n from inbox_jobs where status <> 'completed'`,
      );
      return row.n;
    },
    close: () => sql.close(),
  };
}

async function graphileProducer(url: string): Promise<Producer> {
  const { makeWorkerUtils } = await import('graphile-worker');
  const utils = await makeWorkerUtils({ connectionString: withAppName(url, PRODUCER_APP) });
  await utils.migrate();
  const admin = new Client({ connectionString: withAppName(url, PRODUCER_APP) });
  await admin.connect();
  return {
    async enqueueBacklog(count) {
      await utils.addJobs(Array.from({ length: count }, () => ({ identifier: 'noop', payload: {} })));
    },
    async enqueueTimed(createdNs) {
      await utils.addJob('noop', { t: String(createdNs) });
    },
    async remaining() {
      // Graphile deletes a job once it completes.
      const { rows } = await admin.query<{ n: number }>('select count(*)::int as n from graphile_worker._private_jobs');
      return rows[0].n;
    },
    async close() {
      await admin.end();
      await utils.release();
    },
  };
}

async function pgBossProducer(url: string): Promise<Producer> {
  const { PgBoss } = await import('pg-boss');
  const boss = new PgBoss({ connectionString: url, application_name: PRODUCER_APP, supervise: false, schedule: false });
  boss.on('error', () => undefined);
  await boss.start();
  await boss.createQueue('noop', { notify: true });
  const admin = new Client({ connectionString: withAppName(url, PRODUCER_APP) });
  await admin.connect();
  return {
    async enqueueBacklog(count) {
      await boss.insert(
        'noop',
        Array.from({ length: count }, () => ({ data: {} })),
      );
    },
    async enqueueTimed(createdNs) {
      await boss.send('noop', { t: String(createdNs) });
    },
    async remaining() {
      const { rows } = await admin.query<{ n: number }>(
        `select count(*)::int as n from pgboss.job where state <> 'completed'`,
      );
      return rows[0].n;
    },
    async close() {
      await admin.end();
      await boss.stop({ graceful: false });
    },
  };
}

/** The CPU time of the database's worker backends, read from /proc (the server is on this machine). */
class BackendCpu {
  private base = new Map<number, number>();
  private last = new Map<number, number>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly admin: Client,
    private readonly database: string,
  ) {}

  private async pids(): Promise<number[]> {
    const { rows } = await this.admin.query<{ pid: number }>(
      `select pid from pg_stat_activity
       where datname = $1 and backend_type = 'client backend' and pid <> pg_backend_pid()
         and coalesce(application_name, '') <> $2`,
      [this.database, PRODUCER_APP],
    );
    return rows.map((r) => r.pid);
  }

  private static ticks(pid: number): number | undefined {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[11]) + Number(fields[12]);
    } catch {
      return undefined;
    }
  }

  private async sample(): Promise<void> {
    for (const pid of await this.pids()) {
      const t = BackendCpu.ticks(pid);
      if (t !== undefined) this.last.set(pid, t);
    }
  }

  async begin(): Promise<void> {
    this.last.clear();
    await this.sample();
    this.base = new Map(this.last);
    // Backends a pool closes mid-run keep their last sample.
    this.timer = setInterval(() => void this.sample().catch(() => undefined), 100);
  }

  /** Milliseconds of backend CPU since begin(). */
  async end(): Promise<number> {
    clearInterval(this.timer);
    await this.sample();
    let ticks = 0;
    for (const [pid, t] of this.last) ticks += t - (this.base.get(pid) ?? 0);
    return (ticks * 1000) / CLOCK_TICKS_PER_S;
  }
}

class WorkerProcesses {
  private readonly children: ChildProcess[] = [];
  private readonly handled = new Map<ChildProcess, number>();
  readonly pickups: number[] = [];

  static async start(system: BenchSystem, url: string, options: Options): Promise<WorkerProcesses> {
    const w = new WorkerProcesses();
    const script =
      system === 'baseline'
        ? join(options.baseline!, 'dist-bench/bench/queue-peer-worker.js')
        : join(__dirname, 'queue-peer-worker.js');
    const peer: PeerSystem = system === 'baseline' ? 'docinbox' : system;
    await Promise.all(
      Array.from({ length: options.workers }, () => {
        const child = fork(script, [peer, url, String(options.concurrency)], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        w.children.push(child);
        w.handled.set(child, 0);
        child.on('message', (m: ToParent) => {
          if (m.type === 'progress') w.handled.set(child, m.handled);
          if (m.type === 'pickup') w.pickups.push(m.ms);
        });
        return new Promise<void>((resolve, reject) => {
          child.on('message', (m: ToParent) => m.type === 'ready' && resolve());
          child.once('exit', (code) => reject(new Error(`${system} worker exited with ${code}`)));
        });
      }),
    );
    return w;
  }

  get totalHandled(): number {
    return [...this.handled.values()].reduce((a, b) => a + b, 0);
  }

  private ask<T extends ToParent['type']>(
    child: ChildProcess,
    message: ToWorker,
    answer: T,
  ): Promise<Extract<ToParent, { type: T }>> {
    return new Promise((resolve) => {
      const on = (m: ToParent) => {
        if (m.type !== answer) return;
        child.off('message', on);
        resolve(m as Extract<ToParent, { type: T }>);
      };
      child.on('message', on);
      child.send(message);
    });
  }

  /** Round trips so far, and the hrtime of the first job handled since the previous call. */
  async stats(): Promise<{
    roundTrips: number;
    cpuMs: number;
    calls: Record<string, number>;
    firstHandledNs: bigint | undefined;
  }> {
    const stats = await Promise.all(this.children.map((c) => this.ask(c, { type: 'stats' }, 'stats')));
    const firsts = stats.flatMap((s) => (s.firstHandledNs ? [BigInt(s.firstHandledNs)] : []));
    return {
      roundTrips: stats.reduce((n, s) => n + s.roundTrips, 0),
      cpuMs: stats.reduce((n, s) => n + s.cpuMs, 0),
      calls: stats.reduce<Record<string, number>>((sum, s) => {
        for (const [k, v] of Object.entries(s.calls)) sum[k] = (sum[k] ?? 0) + v;
        return sum;
      }, {}),
      firstHandledNs: firsts.length ? firsts.reduce((a, b) => (a < b ? a : b)) : undefined,
    };
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            const kill = setTimeout(() => c.kill('SIGKILL'), 15_000);
            c.once('exit', () => {
              clearTimeout(kill);
              resolve();
            });
            c.send({ type: 'stop' } satisfies ToWorker);
          }),
      ),
    );
  }
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, everyMs: number, timeoutMs = 300_000) {
  const until = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

async function runSystem(system: BenchSystem, adminUrl: string, options: Options): Promise<RoundResult> {
  const db = await createPostgresDatabase(adminUrl);
  const database = new URL(db.url).pathname.slice(1);
  const producer =
    system === 'docinbox' || system === 'baseline'
      ? await docInboxProducer(db.url, options.liveTrigger, system === 'baseline' ? options.baseline : undefined)
      : system === 'graphile'
        ? await graphileProducer(db.url)
        : await pgBossProducer(db.url);
  const admin = new Client({ connectionString: withAppName(db.url, PRODUCER_APP) });
  await admin.connect();
  const sampler = new Client({ connectionString: withAppName(db.url, PRODUCER_APP) });
  await sampler.connect();
  const workers = await WorkerProcesses.start(system, db.url, options);
  try {
    // Every system starts right after a checkpoint: otherwise whichever runs when the server's
    // own checkpoint comes due pays for it (its I/O, and a full page image in the WAL for every
    // page first touched after it), which moved one system's figures by a third between runs.
    await admin.query('checkpoint').catch(() => undefined);
    await sleep(500);
    // A connection of its own: its sampling timer must not share one with the queries below.
    const cpu = new BackendCpu(sampler, database);
    const before = await workers.stats();
    const [{ lsn: walBefore }] = (await admin.query<{ lsn: string }>('select pg_current_wal_lsn()::text as lsn')).rows;
    await cpu.begin();

    // From the first job a worker starts to the last one recorded complete: how long each
    // producer's bulk insert takes (and whether workers start before it returns) is left out.
    await producer.enqueueBacklog(options.jobs);
    await waitFor('the backlog to be handled', () => workers.totalHandled >= options.jobs, 2);
    await waitFor('the backlog to be completed', async () => (await producer.remaining()) === 0, 5);
    const finished = process.hrtime.bigint();

    const cpuMs = await cpu.end();
    const after = await workers.stats();
    const trips = after.roundTrips - before.roundTrips;
    const batched = (kind: string, items: string) =>
      ((after.calls[items] ?? 0) - (before.calls[items] ?? 0)) / ((after.calls[kind] ?? 0) - (before.calls[kind] ?? 0));
    const seconds = Number(finished - after.firstHandledNs!) / 1e9;
    const { rows } = await admin.query<{ bytes: string }>(
      'select pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::text as bytes',
      [walBefore],
    );

    // The trickle: one job every 10 ms, each timed from just before its enqueue call.
    const trickleStart = performance.now();
    for (let i = 0; i < options.trickle; i++) {
      await producer.enqueueTimed(process.hrtime.bigint());
      const next = trickleStart + (i + 1) * 10;
      await sleep(Math.max(0, next - performance.now()));
    }
    await waitFor('the trickle to be picked up', () => workers.pickups.length >= options.trickle, 5, 60_000);
    await waitFor('the trickle to be completed', async () => (await producer.remaining()) === 0, 20, 60_000);
    const sorted = [...workers.pickups].sort((a, b) => a - b);
    return {
      jobsPerS: options.jobs / seconds,
      pickup: {
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
        p99: percentile(sorted, 99),
        n: sorted.length,
      },
      roundTripsPerJob: trips / options.jobs,
      pgCpuMsPerJob: cpuMs / options.jobs,
      workerCpuMsPerJob: (after.cpuMs - before.cpuMs) / options.jobs,
      walBytesPerJob: Number(rows[0].bytes) / options.jobs,
      jobsPerClaim: batched('claim', 'claimed'),
      outcomesPerRecord: batched('record', 'recorded'),
    };
  } finally {
    await workers.stop();
    await admin.end();
    await sampler.end();
    await producer.close();
    await db.drop();
  }
}

const NAMES: Record<BenchSystem, string> = {
  docinbox: 'Doc Inbox',
  baseline: 'Doc Inbox, baseline',
  graphile: 'graphile-worker 0.18.0',
  pgboss: 'pg-boss 12.38.0',
};

const fixed = (n: number, digits: number) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

function printRow(label: string, r: RoundResult): void {
  console.log(
    `| ${label} | ${fixed(r.jobsPerS, 0)} | ${fixed(r.pickup.p50, 2)} | ${fixed(r.pickup.p95, 2)} | ` +
      `${fixed(r.pickup.p99, 2)} | ${fixed(r.roundTripsPerJob, 4)} | ${fixed(r.pgCpuMsPerJob, 3)} | ` +
      `${fixed(r.workerCpuMsPerJob, 3)} | ` +
      `${fixed(r.walBytesPerJob / 1024, 2)} |`,
  );
}

const HEADER =
  '| system | jobs/s | pickup p50 ms | p95 ms | p99 ms | round trips/job | PG CPU ms/job | worker CPU ms/job | WAL KB/job |\n' +
  '|---|---|---|---|---|---|---|---|---|';

async function main(): Promise<void> {
  Logger.overrideLogger(false);
  const options = parseOptions(process.argv.slice(2));
  const adminUrl =
    process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  console.log(
    `# Queue benchmark, side by side (node ${process.version}, ${new Date().toISOString()}): ` +
      `${options.jobs} no-op jobs queued ahead, ${options.workers} worker processes x concurrency ` +
      `${options.concurrency}, then ${options.trickle} jobs 10 ms apart; Doc Inbox with the event log` +
      `${options.liveTrigger ? ' and the live NOTIFY trigger' : ''}`,
  );
  const results = new Map<BenchSystem, RoundResult[]>(options.systems.map((s) => [s, []]));
  for (let round = 1; round <= options.rounds; round++) {
    console.log(`\n## Round ${round}\n\n${HEADER}`);
    // Alternate the order, so no system always runs first (or last) on the shared machine.
    const order = round % 2 ? options.systems : [...options.systems].reverse();
    const batches: string[] = [];
    for (const system of order) {
      const r = await runSystem(system, adminUrl, options);
      results.get(system)!.push(r);
      printRow(NAMES[system], r);
      if (Number.isFinite(r.jobsPerClaim)) {
        batches.push(
          `${NAMES[system]}: ${r.jobsPerClaim.toFixed(1)} jobs a claim, ` +
            `${r.outcomesPerRecord.toFixed(1)} outcomes a record call`,
        );
      }
    }
    if (batches.length) console.log(`\nBacklog batching: ${batches.join('; ')}`);
  }

  const med = (s: BenchSystem, f: (r: RoundResult) => number) => median(results.get(s)!.map(f));
  const range = (s: BenchSystem, f: (r: RoundResult) => number, digits: number) => {
    const v = results.get(s)!.map(f);
    return `${fixed(Math.min(...v), digits)}-${fixed(Math.max(...v), digits)}`;
  };
  const medianOf = (s: BenchSystem): RoundResult => ({
    jobsPerS: med(s, (r) => r.jobsPerS),
    pickup: {
      p50: med(s, (r) => r.pickup.p50),
      p95: med(s, (r) => r.pickup.p95),
      p99: med(s, (r) => r.pickup.p99),
      n: med(s, (r) => r.pickup.n),
    },
    roundTripsPerJob: med(s, (r) => r.roundTripsPerJob),
    pgCpuMsPerJob: med(s, (r) => r.pgCpuMsPerJob),
    workerCpuMsPerJob: med(s, (r) => r.workerCpuMsPerJob),
    walBytesPerJob: med(s, (r) => r.walBytesPerJob),
    jobsPerClaim: med(s, (r) => r.jobsPerClaim),
    outcomesPerRecord: med(s, (r) => r.outcomesPerRecord),
  });
  console.log(`\n## Medians of ${options.rounds} round(s)\n\n${HEADER}`);
  for (const s of options.systems) printRow(NAMES[s], medianOf(s));
  console.log('');
  for (const s of options.systems) {
    const spread = [
      `jobs/s ${range(s, (r) => r.jobsPerS, 0)}`,
      `pickup p50 ${range(s, (r) => r.pickup.p50, 2)} ms`,
      `p99 ${range(s, (r) => r.pickup.p99, 2)} ms`,
      `PG CPU ${range(s, (r) => r.pgCpuMsPerJob, 3)} ms/job`,
    ];
    console.log(`Spread, ${NAMES[s]}: ${spread.join(', ')}`);
  }
  if (results.has('docinbox')) {
    const ours = results.get('docinbox')!;
    for (const peer of options.systems.filter((s) => s !== 'docinbox')) {
      const ratios = ours.map((r, i) => r.jobsPerS / results.get(peer)![i].jobsPerS);
      console.log(
        `Doc Inbox / ${NAMES[peer]} throughput, per round: ${ratios.map((x) => x.toFixed(2)).join(', ')} ` +
          `(median ${median(ratios).toFixed(2)})`,
      );
    }
  }
  console.log("(WAL is the whole server's, which other databases share: an upper bound.)");
  const json: Record<string, { jobs_per_s: number; pickup_p50_ms: number; pickup_p99_ms: number }> = {};
  for (const s of options.systems) {
    const m = medianOf(s);
    json[s] = {
      jobs_per_s: Math.round(m.jobsPerS),
      pickup_p50_ms: Number(m.pickup.p50.toFixed(2)),
      pickup_p99_ms: Number(m.pickup.p99.toFixed(2)),
    };
  }
  const plot = join(__dirname, '..', '..', 'bench', 'plots', 'queue.png');
  writeBarPlot(plot, [
    {
      title: `Throughput, median of ${options.rounds} round(s)`,
      unit: 'jobs/s',
      series: ['jobs/s'],
      groups: options.systems.map((s) => ({ label: NAMES[s], values: [medianOf(s).jobsPerS] })),
    },
    {
      title: 'Pickup latency, trickle of jobs 10 ms apart',
      unit: 'ms',
      series: ['p50', 'p95', 'p99'],
      groups: options.systems.map((s) => {
        const m = medianOf(s).pickup;
        return { label: NAMES[s], values: [m.p50, m.p95, m.p99] };
      }),
    },
  ]);
  console.log(`plot: bench/plots/queue.png`);
  console.log(JSON.stringify(json));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
