import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { Migrator } from '../src/database/migrator';
import { PgSqlClient } from '../src/database/pg-sql.client';
import { SqlDbFunctions } from '../src/database/sql-db-functions';
import { SqlJobQueue } from '../src/jobs/sql-job.queue';
import { createPostgresDatabase } from '../test/support/databases';
import { documentResult, done } from '../test/support/fixtures';
import { docInboxBacklogSql } from './docinbox-backlog';
import { median } from './stats';

/**
 * `npm run bench:queue-rows`: how much of the queue's PostgreSQL time is the rows a Doc Inbox job
 * must write, and how much the functions that write them. One connection drains a backlog with
 * claims and completions of a batch at a time, nothing else running, and the backend's own CPU is
 * read from /proc (the server is on this machine). Three ways, each on a fresh database:
 *  - `functions`: Doc Inbox's inbox_claim_jobs and inbox_record_outcomes (through SqlJobQueue);
 *  - `rows`: the same rows written by the least SQL that can write them, on the same schema
 *    (indexes, constraints, triggers): one statement to claim, one to complete, no JSON parsed;
 *  - `jobs-only`: what is left with no event, page text or page count: the job row claimed and
 *    completed and its document's outcome (not a job Doc Inbox could keep; a bound for a re-cut);
 *  - `pgboss`: pg-boss's own fetch and complete on its own schema, the same batch size.
 * `rows` is the floor of Doc Inbox's job as it is stored (the job twice, its document, its file's
 * page count, its page text, three events); `functions` minus `rows` is what the functions add;
 * `pgboss` is a queue whose job is one row. Options: --jobs N (20000), --batch N (200),
 * --rounds N (3, the ways alternating), --ways a,b (all four). Prints figures, asserts nothing; the last line is
 * one JSON object of the medians.
 */

type Way = 'functions' | 'rows' | 'jobs-only' | 'pgboss';
interface Result {
  cpuUsPerJob: number;
  jobsPerS: number;
  walBytesPerJob: number;
}

const CLOCK_TICKS_PER_S = 100;
const WORKER = 'bench-rows';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** CPU milliseconds the backends with these pids have used (utime + stime, /proc/<pid>/stat). */
function backendCpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / CLOCK_TICKS_PER_S;
}

/** The client backends of `database` other than `admin`'s own. */
async function backends(admin: Client, database: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(
    `select pid from pg_stat_activity where datname = $1 and backend_type = 'client backend' and pid <> pg_backend_pid()`,
    [database],
  );
  return rows.map((r) => r.pid);
}

async function walLsn(admin: Client): Promise<bigint> {
  const { rows } = await admin.query<{ lsn: string }>(`select (pg_current_wal_lsn() - '0/0')::text as lsn`);
  return BigInt(rows[0].lsn.split('.')[0]);
}

/** Drains the backlog with `step` (jobs done per call, 0 when empty); backend CPU, wall and WAL. */
async function measure(admin: Client, database: string, jobs: number, step: () => Promise<number>): Promise<Result> {
  const pids = await backends(admin, database);
  await admin.query('checkpoint');
  const cpu0 = backendCpuMs(pids);
  const wal0 = await walLsn(admin);
  const t0 = process.hrtime.bigint();
  let drained = 0;
  for (let n = await step(); n > 0; n = await step()) drained += n;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpuMs = backendCpuMs(pids) - cpu0;
  const wal = Number((await walLsn(admin)) - wal0);
  if (drained !== jobs) throw new Error(`drained ${drained} of ${jobs} jobs`);
  return { cpuUsPerJob: (cpuMs * 1000) / jobs, jobsPerS: jobs / seconds, walBytesPerJob: wal / jobs };
}

/** The same rows inbox_claim_jobs and inbox_record_outcomes write for a one-document job. */
const CLAIM_ROWS = `
  with picked as (
    select id from inbox_jobs where status = 'pending' and run_at <= now()
    order by run_at, created_at limit $2 for update skip locked
  ), claimed as (
    update inbox_jobs j set status = 'processing', attempts = j.attempts + 1, claim_counted_attempt = true,
      locked_by = $1, locked_until = now() + interval '60 seconds', started_at = now(), updated_at = now()
    from picked where j.id = picked.id
    returning j.id, j.tenant_id, j.attempts
  ), logged as (
    insert into inbox_job_events (tenant_id, job_id, type, payload)
    select tenant_id, id, 'job.started', jsonb_build_object('attempt', attempts, 'worker', $1::text) from claimed
  )
  select c.id, f.blob_key from claimed c
  join inbox_job_documents d on d.job_id = c.id
  join inbox_job_files f on f.job_id = d.job_id and f.position = d.file_position`;

const COMPLETE_ROWS = `
  with written as (
    update inbox_job_documents d set status = 'completed', result = $2::jsonb, completed_at = now(),
      label = 'other', confidence = 0
    where d.job_id = any($1::uuid[]) and d.doc_index = 0 and d.status = 'pending'
    returning d.job_id
  ), paged as (
    insert into inbox_pages (job_id, file_position, page_number, text, source, confidence)
    select job_id, 0, 1, '', 'plain-text', null from written
  ), counted as (
    update inbox_job_files f set page_count = 1 where f.job_id = any($1::uuid[]) and f.position = 0
  ), completed as (
    update inbox_jobs j set processed_documents = 1, progress = 100, status = 'completed', completed_at = now(),
      locked_by = null, locked_until = null, updated_at = now()
    where j.id = any($1::uuid[])
    returning j.id, j.tenant_id
  )
  insert into inbox_job_events (tenant_id, job_id, type, payload)
  select c.tenant_id, c.id, e.type, e.payload from completed c
  cross join (values ('document.completed', '{"index":0,"label":"other","confidence":0}'::jsonb),
                     ('job.completed', '{"documents":1,"completed":1,"failed":0}'::jsonb)) as e (type, payload)`;

/** Both ways must leave what a completed one-document job is: else the comparison means nothing. */
async function assertSameRows(sql: PgSqlClient, jobs: number): Promise<void> {
  const [row] = await sql.query<Record<string, number>>(`select
    (select count(*)::int from inbox_jobs where status = 'completed' and progress = 100 and locked_by is null) as jobs,
    (select count(*)::int from inbox_job_documents where status = 'completed' and label is not null) as documents,
    (select count(*)::int from inbox_job_files where page_count = 1) as files,
    (select count(*)::int from inbox_pages) as pages,
    (select count(*)::int from inbox_job_events) / 4 as events`);
  for (const [what, n] of Object.entries(row)) {
    if (n !== jobs) throw new Error(`${n} ${what} of ${jobs} as a completed job leaves them`);
  }
}

const CLAIM_JOBS_ONLY = `
  with picked as (
    select id from inbox_jobs where status = 'pending' and run_at <= now()
    order by run_at, created_at limit $2 for update skip locked
  )
  update inbox_jobs j set status = 'processing', attempts = j.attempts + 1, claim_counted_attempt = true,
    locked_by = $1, locked_until = now() + interval '60 seconds', started_at = now(), updated_at = now()
  from picked where j.id = picked.id
  returning j.id`;

const COMPLETE_JOBS_ONLY = `
  with written as (
    update inbox_job_documents d set status = 'completed', result = $2::jsonb, completed_at = now(),
      label = 'other', confidence = 0
    where d.job_id = any($1::uuid[]) and d.doc_index = 0 and d.status = 'pending'
  )
  update inbox_jobs j set processed_documents = 1, progress = 100, status = 'completed', completed_at = now(),
    locked_by = null, locked_until = null, updated_at = now()
  where j.id = any($1::uuid[])`;

async function docInbox(adminUrl: string, admin: Client, way: Exclude<Way, 'pgboss'>, jobs: number, batch: number) {
  const db = await createPostgresDatabase(adminUrl);
  const sql = new PgSqlClient({ connectionString: db.url, max: 1 });
  try {
    await new Migrator(sql).migrate();
    await sql.exec(docInboxBacklogSql(jobs));
    await sql.exec('vacuum analyze');
    const database = new URL(db.url).pathname.slice(1);
    const result = documentResult({ document_type: 'other', confidence: 0 });
    let step: () => Promise<number>;
    if (way === 'functions') {
      const queue = new SqlJobQueue(new SqlDbFunctions(sql), { leaseSeconds: 60 });
      step = async () => {
        const claimed = await queue.claim(WORKER, batch);
        if (claimed.length === 0) return 0;
        await queue.record(
          WORKER,
          claimed.map((j) => ({ ...done(j.id, 0, ''), result })),
        );
        return claimed.length;
      };
    } else {
      const resultJson = JSON.stringify(result);
      const [claim, complete] = way === 'rows' ? [CLAIM_ROWS, COMPLETE_ROWS] : [CLAIM_JOBS_ONLY, COMPLETE_JOBS_ONLY];
      step = async () => {
        const claimed = await sql.query<{ id: string }>(claim, [WORKER, batch]);
        if (claimed.length === 0) return 0;
        await sql.query(complete, [claimed.map((r) => r.id), resultJson]);
        return claimed.length;
      };
    }
    const measured = await measure(admin, database, jobs, step);
    if (way !== 'jobs-only') await assertSameRows(sql, jobs);
    return measured;
  } finally {
    await sql.close();
    await db.drop();
  }
}

async function pgBoss(adminUrl: string, admin: Client, jobs: number, batch: number): Promise<Result> {
  const db = await createPostgresDatabase(adminUrl);
  const { PgBoss } = await import('pg-boss');
  const boss = new PgBoss({ connectionString: db.url, max: 1, supervise: false, schedule: false });
  boss.on('error', () => undefined);
  try {
    await boss.start();
    await boss.createQueue('noop');
    for (let i = 0; i < jobs; i += 1000) {
      await boss.insert(
        'noop',
        Array.from({ length: Math.min(1000, jobs - i) }, () => ({ data: {} })),
      );
    }
    const database = new URL(db.url).pathname.slice(1);
    return await measure(admin, database, jobs, async () => {
      const fetched = await boss.fetch('noop', { batchSize: batch });
      if (fetched.length === 0) return 0;
      await boss.complete(
        'noop',
        fetched.map((j) => j.id),
      );
      return fetched.length;
    });
  } finally {
    await boss.stop({ graceful: false });
    await db.drop();
  }
}

async function main(): Promise<void> {
  const adminUrl =
    process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const jobs = option('jobs', 20_000);
  const batch = option('batch', 200);
  const rounds = option('rounds', 3);
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  const chosen = process.argv.indexOf('--ways');
  const ways: Way[] =
    chosen >= 0 ? (process.argv[chosen + 1].split(',') as Way[]) : ['functions', 'rows', 'jobs-only', 'pgboss'];
  const results = new Map<Way, Result[]>(ways.map((w) => [w, []]));
  console.log(
    `# Queue rows: ${jobs} one-file jobs drained by one connection, claims and completions of ${batch} ` +
      `(node ${process.version}, ${new Date().toISOString()})\n`,
  );
  console.log('| round | way | backend CPU µs/job | jobs/s (one connection) | WAL bytes/job |\n|---|---|---|---|---|');
  for (let round = 1; round <= rounds; round++) {
    for (const way of round % 2 ? ways : [...ways].reverse()) {
      const r =
        way === 'pgboss'
          ? await pgBoss(adminUrl, admin, jobs, batch)
          : await docInbox(adminUrl, admin, way, jobs, batch);
      results.get(way)!.push(r);
      console.log(
        `| ${round} | ${way} | ${r.cpuUsPerJob.toFixed(1)} | ${Math.round(r.jobsPerS)} | ${Math.round(r.walBytesPerJob)} |`,
      );
    }
  }
  await admin.end();
  const summary: Record<string, { cpu_us_per_job: number; jobs_per_s: number; wal_bytes_per_job: number }> = {};
  console.log('\nMedians (min-max of backend CPU):');
  for (const way of ways) {
    const rs = results.get(way)!;
    const cpu = rs.map((r) => r.cpuUsPerJob);
    summary[way] = {
      cpu_us_per_job: Number(median(cpu).toFixed(1)),
      jobs_per_s: Math.round(median(rs.map((r) => r.jobsPerS))),
      wal_bytes_per_job: Math.round(median(rs.map((r) => r.walBytesPerJob))),
    };
    console.log(
      `  ${way}: ${summary[way].cpu_us_per_job} µs/job (${Math.min(...cpu).toFixed(1)}-${Math.max(...cpu).toFixed(1)}), ` +
        `${summary[way].jobs_per_s} jobs/s, ${summary[way].wal_bytes_per_job} B WAL/job`,
    );
  }
  const cpu = (way: Way) => summary[way]?.cpu_us_per_job ?? NaN;
  // The comparison needs every way (--ways may leave some out).
  if (Object.keys(summary).length === 4)
    console.log(
      `  the functions add ${(cpu('functions') - cpu('rows')).toFixed(1)} µs/job to the rows' ${cpu('rows')}; ` +
        `pg-boss's job is ${cpu('pgboss')}: the rows are ${(cpu('rows') / cpu('pgboss')).toFixed(2)}x it, ` +
        `the job and document rows alone ${(cpu('jobs-only') / cpu('pgboss')).toFixed(2)}x`,
    );
  console.log(JSON.stringify(summary));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
