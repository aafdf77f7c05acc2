import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Migrator } from '../src/database/migrator';
import { PgSqlClient } from '../src/database/pg-sql.client';
import { createPostgresDatabase } from '../test/support/databases';
import { makeTextPdf } from '../test/support/fixtures';
import { startService, waitHealthy } from './service-processes';

/**
 * `npm run bench:documents`: documents end to end, as a client sees them. DOCS_N (300) one-page
 * text PDFs uploaded by 4 clients, one a job, to the embedded default (its worker in the server)
 * and to a server and one worker process on PostgreSQL, default settings otherwise (local
 * classifier, WORKER_CONCURRENCY 2); timed from the first upload to the last job finished, with
 * the CPU the service's processes spent. Prints figures, asserts nothing; the last line is one
 * JSON object, a key per target: `{"embedded":{"jobs_per_s":N,"cpu_ms_per_job":N,"failed":N},...}`.
 *   DOCS_N, DOCS_TARGETS (embedded,postgres), BENCH_DATABASE_URL / TEST_DATABASE_URL.
 */
const N = Number(process.env.DOCS_N ?? 300);
const CLIENTS = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Result {
  jobs_per_s: number;
  uploaded_s: number;
  done_s: number;
  cpu_ms_per_job: number;
  failed: number;
}

/** User + system CPU of a process so far, in seconds (clock ticks of 1/100 s). */
function cpuSeconds(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function stop(proc: ChildProcess): Promise<void> {
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000)]);
  proc.kill('SIGKILL');
}

async function drive(url: string, pdfs: Buffer[], processes: ChildProcess[]): Promise<Result> {
  const cpuBefore = processes.reduce((sum, p) => sum + cpuSeconds(p.pid), 0);
  const started = performance.now();
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < N; i = next++) {
        const form = new FormData();
        form.append(
          'files',
          new Blob([new Uint8Array(pdfs[i % pdfs.length])], { type: 'application/pdf' }),
          `doc-${i}.pdf`,
        );
        const res = await fetch(`${url}/classify-documents-async`, { method: 'POST', body: form });
        if (res.status !== 202) throw new Error(`upload ${i}: ${res.status} ${await res.text()}`);
        ids.push(((await res.json()) as { job_id: string }).job_id);
      }
    }),
  );
  const uploaded = performance.now();
  let failed = 0;
  for (const id of ids) {
    for (;;) {
      const job = (await (await fetch(`${url}/job/${id}`)).json()) as {
        status: string;
        result?: { documents?: { error: unknown }[] };
      };
      if (job.status === 'completed' || job.status === 'failed') {
        if (job.status === 'failed' || job.result?.documents?.some((d) => d.error)) failed++;
        break;
      }
      await sleep(20);
    }
  }
  const done = performance.now();
  const cpu = processes.reduce((sum, p) => sum + cpuSeconds(p.pid), 0) - cpuBefore;
  return {
    jobs_per_s: Math.round((N * 1000) / (done - started)),
    uploaded_s: Number(((uploaded - started) / 1000).toFixed(2)),
    done_s: Number(((done - started) / 1000).toFixed(2)),
    cpu_ms_per_job: Number(((cpu * 1000) / N).toFixed(1)),
    failed,
  };
}

async function embedded(pdfs: Buffer[]): Promise<Result> {
  const dataDir = mkdtempSync(join(tmpdir(), 'doc-inbox-documents-bench-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = startService('server', { PORT: String(port), DATA_DIR: dataDir, RATE_LIMIT_PER_MINUTE: '0' });
  try {
    await waitHealthy(`http://127.0.0.1:${port}`);
    return await drive(`http://127.0.0.1:${port}`, pdfs, [server]);
  } finally {
    await stop(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function postgres(pdfs: Buffer[]): Promise<Result> {
  const adminUrl =
    process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const db = await createPostgresDatabase(adminUrl);
  const sql = new PgSqlClient({ connectionString: db.url, max: 1 });
  await new Migrator(sql).migrate();
  await sql.close();
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = startService('server', {
    PORT: String(port),
    DATABASE_URL: db.url,
    WORKER_IN_SERVER: 'false',
    RATE_LIMIT_PER_MINUTE: '0',
  });
  const worker = startService('worker', { DATABASE_URL: db.url });
  try {
    await waitHealthy(`http://127.0.0.1:${port}`);
    return await drive(`http://127.0.0.1:${port}`, pdfs, [server, worker]);
  } finally {
    await Promise.all([stop(server), stop(worker)]);
    await db.drop();
  }
}

async function main(): Promise<void> {
  const targets = (process.env.DOCS_TARGETS ?? 'embedded,postgres').split(',').map((s) => s.trim());
  const pdfs = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      makeTextPdf([`Invoice number ${i} for consulting services, total due ${i * 10}.00 EUR, payable within 30 days`]),
    ),
  );
  console.log(
    `# Documents end to end: ${N} one-page text PDFs, ${CLIENTS} uploading clients, one a job ` +
      `(node ${process.version}, ${new Date().toISOString()})`,
  );
  console.log(
    '| target | jobs/s | uploaded in s | all done in s | service CPU ms/job | failed |\n|---|---|---|---|---|---|',
  );
  const results: Record<string, Result> = {};
  for (const target of targets) {
    const r = target === 'postgres' ? await postgres(pdfs) : await embedded(pdfs);
    results[target] = r;
    console.log(`| ${target} | ${r.jobs_per_s} | ${r.uploaded_s} | ${r.done_s} | ${r.cpu_ms_per_job} | ${r.failed} |`);
  }
  const json: Record<string, Pick<Result, 'jobs_per_s' | 'cpu_ms_per_job' | 'failed'>> = {};
  for (const [k, r] of Object.entries(results))
    json[k] = { jobs_per_s: r.jobs_per_s, cpu_ms_per_job: r.cpu_ms_per_job, failed: r.failed };
  console.log(JSON.stringify(json));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
