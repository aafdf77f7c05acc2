import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PgSqlClient } from '../../src/database/pg-sql.client';
import { SqlDbFunctions } from '../../src/database/sql-db-functions';
import { SqlJobStore } from '../../src/jobs/sql-job.store';
import { createPostgresDatabase, TEST_DATABASE_URL } from '../support/databases';
import { textImagePng } from '../support/ocr-fixtures';
import { startTestApp, waitForJob, type TestApp } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');
const WORKER = join(ROOT, 'dist', 'worker.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface WorkerProcess {
  proc: ChildProcess;
  lines: Array<{ msg: string; jobId?: string; document?: number; status?: string }>;
  /** Exit code, or the signal's name: Nest re-raises SIGTERM after its shutdown hooks ran. */
  exited: Promise<number | string | null>;
}

/** A real `node dist/worker.js` process on the test database, its JSON log lines collected. */
function spawnWorker(databaseUrl: string, env: Record<string, string> = {}): WorkerProcess {
  const proc = spawn(process.execPath, [WORKER], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: databaseUrl,
      JOB_LEASE_SECONDS: '5',
      WORKER_POLL_INTERVAL_SECONDS: '0.5',
      WORKER_CONCURRENCY: '1',
      OCR_WORKERS: '1',
      // The page timings these tests rely on were measured with tesseract.
      OCR_PROVIDER: 'tesseract',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: WorkerProcess['lines'] = [];
  let buffered = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const parts = buffered.split('\n');
    buffered = parts.pop() ?? '';
    for (const part of parts) {
      try {
        lines.push(JSON.parse(part));
      } catch {
        /* tesseract prints plain text too */
      }
    }
  });
  proc.stderr!.resume();
  const exited = new Promise<number | string | null>((resolve) =>
    proc.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  return { proc, lines, exited };
}

const documentsDone = (w: WorkerProcess, jobId: string) =>
  w.lines.filter((l) => l.jobId === jobId && /^Document \d+ (done|failed)/.test(l.msg)).map((l) => l.document!);

const describePostgres = TEST_DATABASE_URL ? describe : describe.skip;
if (!TEST_DATABASE_URL) console.warn('[postgres] TEST_DATABASE_URL is not set: worker process tests skipped');

describePostgres('worker processes on PostgreSQL', () => {
  let db: { url: string; drop(): Promise<void> };
  let server: TestApp;
  let sql: PgSqlClient;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    if (!existsSync(WORKER)) throw new Error(`${WORKER} is missing: run npm run build (npm test does)`);
    db = await createPostgresDatabase();
    // The HTTP server alone, in this process; the workers are separate processes.
    server = await startTestApp({ env: { DATABASE_URL: db.url }, roles: { http: true, worker: false } });
    sql = new PgSqlClient({ connectionString: db.url, max: 2 });
  });
  afterAll(async () => {
    for (const w of workers) w.proc.kill('SIGKILL');
    await sql?.close();
    await server?.close();
    await db?.drop();
  });

  /** Small scans read in a fraction of a second; long ones take seconds each to OCR. */
  async function uploadScans(count: number, long = false): Promise<string> {
    let req = server.http.post('/classify-documents-async');
    for (let i = 0; i < count; i++) {
      const lines = long
        ? Array.from({ length: 40 }, (_, n) => `RECEIPT ${i + 1} LINE ${n} CASH PAID 12.50 THANK YOU`)
        : [`RECEIPT ${i + 1}`, 'CASH PAID 12.50', 'THANK YOU FOR SHOPPING'];
      const png = textImagePng(lines, long ? 2000 : 1400);
      req = req.attach('files', Buffer.from(png), `scan-${i}.png`);
    }
    return (await req.expect(202)).body.job_id as string;
  }

  it('finishes a job whose worker was killed with SIGKILL mid-job, with no document done twice', async () => {
    const jobId = await uploadScans(4);
    const first = spawnWorker(db.url);
    workers.push(first);
    const store = new SqlJobStore(new SqlDbFunctions(sql));
    for (let i = 0; i < 600 && (await store.getJob('default', jobId))!.processedDocuments < 1; i++) await sleep(100);
    first.proc.kill('SIGKILL');
    await first.exited;
    const midway = (await store.getJob('default', jobId))!;
    expect(midway.status).toBe('processing');
    expect(midway.processedDocuments).toBeGreaterThanOrEqual(1);
    expect(midway.processedDocuments).toBeLessThan(4);

    const second = spawnWorker(db.url);
    workers.push(second);
    const job = await waitForJob(server, jobId, 120_000);
    expect(job.status).toBe('completed');
    // The kill is the infrastructure's fault: a crash, not a spent attempt.
    expect(job.attempts).toBe(1);
    expect(job.crashes).toBe(1);
    expect(job.result.documents.map((d) => d.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(job.result.documents.every((d) => d.text_sources[0] === 'tesseract')).toBe(true);

    // Each file was finished by exactly one worker: the second resumed where the first stopped.
    // The event log is the record (one document.completed per document); the first worker's last
    // log lines may die with it unflushed under SIGKILL, so its lines are an upper bound only.
    const completions = job.events.filter((e) => e.type === 'document.completed').map((e) => e.payload.index);
    expect([...completions].sort()).toEqual([0, 1, 2, 3]);
    second.proc.kill('SIGTERM');
    expect(await second.exited).toBe('SIGTERM');
    const byFirst = documentsDone(first, jobId);
    const bySecond = documentsDone(second, jobId);
    expect(byFirst.length).toBeLessThanOrEqual(midway.processedDocuments);
    expect(bySecond.length).toBe(4 - midway.processedDocuments);
    expect(bySecond.some((p) => byFirst.includes(p))).toBe(false);
  }, 180_000);

  it('on SIGTERM hands an unfinished job back at once, without spending an attempt', async () => {
    // Six pages of seconds each against a grace of one second: the job cannot finish in time,
    // however fast this machine reads.
    const jobId = await uploadScans(6, true);
    const w = spawnWorker(db.url, { WORKER_SHUTDOWN_GRACE_SECONDS: '1' });
    workers.push(w);
    const store = new SqlJobStore(new SqlDbFunctions(sql));
    for (let i = 0; i < 600 && (await store.getJob('default', jobId))!.status !== 'processing'; i++) await sleep(100);
    w.proc.kill('SIGTERM');
    expect(await w.exited).toBe('SIGTERM');
    const released = (await store.getJob('default', jobId))!;
    expect(released.processedDocuments).toBeLessThan(6);
    expect(released).toMatchObject({ status: 'pending', attempts: 0, lockedBy: null });
    expect(w.lines.some((l) => /released 1 unfinished job/.test(l.msg))).toBe(true);
  }, 120_000);

  it('a SIGTERM while the worker is starting (its database open, before Nest listens for signals) is held: it starts, then hands back what it claimed', async () => {
    const jobId = await uploadScans(6, true);
    const w = spawnWorker(db.url, { WORKER_SHUTDOWN_GRACE_SECONDS: '1' });
    workers.push(w);
    // Logged as the database is opened, before Nest has built the worker's modules.
    for (let i = 0; i < 6000 && !w.lines.some((l) => /^using PostgreSQL/.test(l.msg)); i++) await sleep(5);
    w.proc.kill('SIGTERM');
    expect(await w.exited).toBe('SIGTERM');
    // Not killed where it stood: it finished starting (its buffered lines came out), then shut down.
    expect(w.lines.some((l) => l.msg === 'Worker Process Starting')).toBe(true);
    const job = (await new SqlJobStore(new SqlDbFunctions(sql)).getJob('default', jobId))!;
    expect(job).toMatchObject({ status: 'pending', attempts: 0, lockedBy: null });
    // The queue is left as it was for the next test.
    await sql.query('delete from inbox_jobs where id = $1', [jobId]);
  }, 120_000);

  it('answers health probes on WORKER_HEALTH_PORT, and serves no API there', async () => {
    const port = 20000 + Math.floor(Math.random() * 20000);
    const w = spawnWorker(db.url, { WORKER_HEALTH_PORT: String(port) });
    workers.push(w);
    const url = `http://127.0.0.1:${port}`;
    let live: Response | undefined;
    for (let i = 0; i < 100 && !live; i++)
      live = await fetch(`${url}/health`).catch(() => sleep(100).then(() => undefined));
    expect(live?.status).toBe(200);
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
    const metrics = await fetch(`${url}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('# TYPE docinbox_jobs_completed_total counter');
    // The worker imports ClassifierModule and JobsModule's domain; none of their routes is here.
    const job = '00000000-0000-4000-8000-000000000000';
    expect((await fetch(`${url}/jobs`)).status).toBe(404);
    expect((await fetch(`${url}/categories`)).status).toBe(404);
    expect((await fetch(`${url}/job/${job}`)).status).toBe(404);
    expect((await fetch(`${url}/docs-json`)).status).toBe(404);
    const label = await fetch(`${url}/job/${job}/documents/0/label`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ label: 'invoice' }),
    });
    expect(label.status).toBe(404);
    expect(await label.text()).toMatch(/Cannot POST/);
    w.proc.kill('SIGTERM');
    await w.exited;
  }, 60_000);

  it('refuses to start a separate worker on the embedded database, with a message saying why', async () => {
    const w = spawnWorker('');
    let stderr = '';
    w.proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    expect(await w.exited).toBe(1);
    expect(stderr).toMatch(
      /neither DATABASE_URL nor SUPABASE_URL .* is set: a separate worker needs a shared database/,
    );
  });
});
