import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createCanvas } from '@napi-rs/canvas';
import { Migrator } from '../src/database/migrator';
import { PgSqlClient } from '../src/database/pg-sql.client';
import { makeTextPdf } from '../test/support/fixtures';
import { createPostgresDatabase } from '../test/support/databases';
import { writeLinePlot, type Series } from './line-plot';
import { startService, waitHealthy } from './service-processes';

/**
 * `npm run bench:soak`: steady uploads for SOAK_MINUTES (default 10) to a server on PostgreSQL
 * with two workers (default OCR pool), one worker SIGKILLed and restarted every minute. Samples
 * every 5 s the RSS of each process and the jobs finished; at the end waits for the queue to
 * drain and checks that every accepted job completed and no document was completed twice.
 * Writes bench/plots/soak-rss.png; the last line is one JSON object.
 *   SOAK_MINUTES, SOAK_RATE (uploads a second, default 4), SOAK_IMAGE_EVERY (default 10: every
 *   tenth upload is a PNG that needs OCR, the rest one-page text PDFs).
 */
const ROOT = resolve(__dirname, '..', '..');
const sleep = (n: number) => new Promise((r) => setTimeout(r, n));
const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const RATE = Number(process.env.SOAK_RATE ?? 4);
const IMAGE_EVERY = Number(process.env.SOAK_IMAGE_EVERY ?? 10);

function rssMb(pid: number | undefined): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function receiptPng(n: number): Buffer {
  const canvas = createCanvas(1000, 700);
  const g = canvas.getContext('2d');
  g.fillStyle = '#ffffff';
  g.fillRect(0, 0, 1000, 700);
  g.fillStyle = '#111111';
  g.font = '36px sans-serif';
  const lines = [
    'CORNER GROCERY',
    `Receipt no. ${n}`,
    'Milk 1L        1.25',
    'Bread          2.10',
    'TOTAL          3.35',
    'Paid by card',
  ];
  lines.forEach((line, i) => g.fillText(line, 80, 100 + i * 90));
  return canvas.toBuffer('image/png');
}

async function main(): Promise<void> {
  const adminUrl =
    process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const db = await createPostgresDatabase(adminUrl);
  const sql = new PgSqlClient({ connectionString: db.url, max: 2 });
  await new Migrator(sql).migrate();
  const port = 20000 + Math.floor(Math.random() * 20000);
  const url = `http://127.0.0.1:${port}`;
  const common = { DATABASE_URL: db.url };
  const server = startService('server', {
    ...common,
    PORT: String(port),
    WORKER_IN_SERVER: 'false',
    RATE_LIMIT_PER_MINUTE: '0',
  });
  const workers: ChildProcess[] = [startService('worker', common), startService('worker', common)];
  await waitHealthy(url);
  console.log(
    `# soak: ${MINUTES} min, ${RATE} uploads/s (every ${IMAGE_EVERY}th a PNG), 2 workers, one killed a minute`,
  );

  const pdf = await makeTextPdf(['INVOICE 2026-117\nAcme Supplies Ltd\nTotal due EUR 1,250.00\nPayment terms 30 days']);
  const accepted: string[] = [];
  let refused = 0;
  let kills = 0;
  const samples: Array<{ t: number; server: number; workers: number[]; finished: number }> = [];
  const started = Date.now();
  const elapsed = () => (Date.now() - started) / 1000;
  const until = started + MINUTES * 60_000;

  const finishedCount = async () =>
    Number(
      (
        await sql.query<{ n: string }>(
          `select count(*) as n from inbox_jobs where status in ('completed', 'failed', 'cancelled')`,
        )
      )[0].n,
    );

  const sampler = setInterval(() => {
    void finishedCount().then((finished) =>
      samples.push({ t: elapsed(), server: rssMb(server.pid), workers: workers.map((w) => rssMb(w.pid)), finished }),
    );
  }, 5000);
  const killer = setInterval(() => {
    const i = kills % workers.length;
    workers[i].kill('SIGKILL');
    workers[i] = startService('worker', common);
    kills++;
  }, 60_000);

  let n = 0;
  const inFlight = new Set<Promise<void>>();
  while (Date.now() < until) {
    const i = n++;
    const form = new FormData();
    if (IMAGE_EVERY > 0 && i % IMAGE_EVERY === 0) {
      form.append('files', new Blob([new Uint8Array(receiptPng(i))], { type: 'image/png' }), `receipt-${i}.png`);
    } else {
      form.append('files', new Blob([new Uint8Array(pdf)], { type: 'application/pdf' }), `invoice-${i}.pdf`);
    }
    const p = fetch(`${url}/classify-documents-async`, { method: 'POST', body: form })
      .then(async (res) => {
        if (res.status === 202) accepted.push(((await res.json()) as { job_id: string }).job_id);
        else refused++;
      })
      .catch(() => {
        refused++;
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
    await sleep(1000 / RATE);
  }
  await Promise.all(inFlight);
  clearInterval(killer);
  const drainStarted = Date.now();
  while ((await finishedCount()) < accepted.length && Date.now() - drainStarted < 300_000) await sleep(1000);
  clearInterval(sampler);

  const rows = await sql.query<{ status: string; n: string }>(
    'select status, count(*) as n from inbox_jobs group by status order by status',
  );
  const byStatus = Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  const doubled = Number(
    (
      await sql.query<{ n: string }>(
        `select count(*) as n from (select job_id, payload->>'index' from inbox_job_events
         where type = 'document.completed' group by 1, 2 having count(*) > 1) d`,
      )
    )[0].n,
  );
  const lost = accepted.length - (byStatus.completed ?? 0);

  // Steady state: everything after the first two minutes (warm-up: JIT, OCR models loaded).
  const steady = samples.filter((s) => s.t >= Math.min(120, (MINUTES * 60) / 3));
  const maxOf = (xs: number[]) => (xs.length ? Math.max(...xs) : 0);
  const firstOf = (xs: number[]) => (xs.length ? xs[0] : 0);
  const serverSteady = steady.map((s) => s.server);
  const workerSteady = steady.map((s) => Math.max(...s.workers));
  console.log('| minute | finished jobs | jobs/s | server RSS MB | worker RSS MB (max) |\n|---|---|---|---|---|');
  for (let minute = 1; minute <= Math.ceil(elapsed() / 60); minute++) {
    const inMinute = samples.filter((s) => s.t > (minute - 1) * 60 && s.t <= minute * 60);
    if (inMinute.length === 0) continue;
    const before = samples.filter((s) => s.t <= (minute - 1) * 60).at(-1)?.finished ?? 0;
    const last = inMinute[inMinute.length - 1];
    console.log(
      `| ${minute} | ${last.finished} | ${((last.finished - before) / 60).toFixed(2)} | ${maxOf(inMinute.map((s) => s.server)).toFixed(0)} | ${maxOf(inMinute.flatMap((s) => s.workers)).toFixed(0)} |`,
    );
  }
  mkdirSync(join(ROOT, 'bench', 'plots'), { recursive: true });
  const minutes = (s: { t: number }) => s.t / 60;
  const plot: Series[] = [
    { label: 'server RSS MB', points: samples.map((s) => [minutes(s), s.server]) },
    ...[0, 1].map((i) => ({
      label: `worker ${i + 1} RSS MB`,
      points: samples.map((s): [number, number] => [minutes(s), s.workers[i]]),
    })),
  ];
  writeLinePlot(
    join(ROOT, 'bench', 'plots', 'soak-rss.png'),
    `Soak: RSS over ${MINUTES} min, a worker killed each minute`,
    'minutes',
    'MB',
    plot,
  );
  console.log(
    `accepted ${accepted.length}, refused ${refused}, by status ${JSON.stringify(byStatus)}, lost ${lost}, ` +
      `documents completed twice ${doubled}, worker kills ${kills}; plot bench/plots/soak-rss.png`,
  );

  server.kill('SIGTERM');
  workers.forEach((w) => w.kill('SIGTERM'));
  await sleep(2000);
  [server, ...workers].forEach((p) => p.kill('SIGKILL'));
  await sql.close();
  await db.drop();
  console.log(
    JSON.stringify({
      minutes: MINUTES,
      accepted: accepted.length,
      lost,
      completed_twice: doubled,
      kills,
      jobs_per_s: Number(((byStatus.completed ?? 0) / elapsed()).toFixed(2)),
      server_rss_mb: { steady_first: Math.round(firstOf(serverSteady)), steady_max: Math.round(maxOf(serverSteady)) },
      worker_rss_mb: { steady_first: Math.round(firstOf(workerSteady)), steady_max: Math.round(maxOf(workerSteady)) },
    }),
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
