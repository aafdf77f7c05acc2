import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { Migrator } from '../src/database/migrator';
import { PgSqlClient } from '../src/database/pg-sql.client';
import { createPostgresDatabase } from '../test/support/databases';
import { entrypointArgs } from '../test/support/entrypoint-process';
import { makePdfOfSize } from './http.bench';

/**
 * `npm run bench:api`: job creation over HTTP, measured with autocannon, for Doc Inbox on
 * PostgreSQL, Doc Inbox on the embedded database (its worker in the server, as the default runs)
 * and the floor (bench/floor-server.ts: node:http + busboy + pg, job and files in one statement).
 * One 100 KiB PDF per request, and ten; 1, 32 and 128 clients; a fresh server per case, so the
 * peak RSS (VmHWM) is that case's. Prints a table, then one JSON object on the last line.
 *   BENCH_SECONDS (default 20) per case; BENCH_CLIENTS (default "1,32,128");
 *   BENCH_TARGETS (default "postgres,embedded,floor"; also postgres_fs, floor_fs, embedded_fs); BENCH_FILES
 *   (default "1,10").
 */
const ROOT = resolve(__dirname, '..', '..');
const sleep = (n: number) => new Promise((r) => setTimeout(r, n));
const list = (name: string, fallback: string) => (process.env[name] ?? fallback).split(',').map((s) => s.trim());

/**
 * `postgres_fs` and `floor_fs`: the same, with each file's bytes in an fsync'd file
 * (BLOB_STORE=filesystem; the floor writes, fsyncs and renames each file the same way) and only the
 * rows in PostgreSQL: bytes kept out of WAL. `embedded_fs`: the embedded default with its bytes in
 * files under its data folder (BLOB_STORE=filesystem), to ask whether that would relieve PGlite.
 */
type Target = 'postgres' | 'embedded' | 'floor' | 'postgres_fs' | 'floor_fs' | 'embedded_fs';
interface CaseResult {
  req_per_s: number;
  p50_ms: number;
  p99_ms: number;
  peak_rss_mb: number;
  non_2xx: number;
}

function multipart(pdf: Buffer, files: number): { body: Buffer; contentType: string } {
  const boundary = `----docinboxbench${Date.now()}`;
  const parts: Buffer[] = [];
  for (let i = 0; i < files; i++) {
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="bench-${i}.pdf"\r\n` +
          'Content-Type: application/pdf\r\n\r\n',
      ),
      pdf,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function startProcess(args: string[], env: Record<string, string>): Promise<{ url: string; proc: ChildProcess }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const proc = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (proc.exitCode !== null) throw new Error(`${args.join(' ')} exited with ${proc.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, proc };
    } catch {
      /* not up yet */
    }
    await sleep(100);
  }
  proc.kill('SIGKILL');
  throw new Error(`${args.join(' ')} did not start`);
}

async function stopProcess(proc: ChildProcess): Promise<void> {
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  proc.kill('SIGKILL');
}

/** The process's peak resident set (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const line = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return line ? Number(line[1]) / 1024 : NaN;
}

function cannon(url: string, body: Buffer, contentType: string, connections: number, seconds: number) {
  return autocannon({
    url: `${url}/classify-documents-async`,
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
    connections,
    duration: seconds,
  });
}

async function runCase(
  target: Target,
  env: Record<string, string>,
  body: Buffer,
  contentType: string,
  clients: number,
  seconds: number,
): Promise<CaseResult> {
  // Doc Inbox as production starts it (its V8 flags included).
  const args = target.startsWith('floor')
    ? [join(ROOT, 'dist-bench', 'bench', 'floor-server.js')]
    : entrypointArgs('server');
  const { url, proc } = await startProcess(args, env);
  try {
    await cannon(url, body, contentType, Math.min(clients, 8), 2); // warm-up: JIT, pools, plans
    const r = await cannon(url, body, contentType, clients, seconds);
    return {
      req_per_s: Math.round(r.requests.average),
      p50_ms: r.latency.p50,
      p99_ms: r.latency.p99,
      peak_rss_mb: Math.round(peakRssMb(proc.pid ?? 0)),
      non_2xx: r.non2xx + r.errors + r.timeouts,
    };
  } finally {
    await stopProcess(proc);
  }
}

async function main(): Promise<void> {
  const adminUrl =
    process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const seconds = Number(process.env.BENCH_SECONDS ?? 20);
  const clientCounts = list('BENCH_CLIENTS', '1,32,128').map(Number);
  const targets = list('BENCH_TARGETS', 'postgres,embedded,floor') as Target[];
  const fileCounts = list('BENCH_FILES', '1,10').map(Number);
  const pdf = await makePdfOfSize(100);
  console.log(
    `# API benchmark: job creation, ${(pdf.length / 1024).toFixed(0)} KiB PDF, ${seconds} s a case ` +
      `(node ${process.version}, ${new Date().toISOString()})`,
  );
  console.log('| case | req/s | p50 ms | p99 ms | peak RSS MB | not 2xx |\n|---|---|---|---|---|---|');
  const results: Record<string, CaseResult> = {};
  for (const files of fileCounts) {
    const { body, contentType } = multipart(pdf, files);
    for (const target of targets) {
      for (const clients of clientCounts) {
        // A fresh database (or data folder) per case: every case starts from an empty table.
        const db = target.startsWith('embedded') ? undefined : await createPostgresDatabase(adminUrl);
        const dataDir = ['embedded', 'embedded_fs', 'postgres_fs', 'floor_fs'].includes(target)
          ? mkdtempSync(join(tmpdir(), 'doc-inbox-api-bench-'))
          : undefined;
        try {
          if ((target === 'postgres' || target === 'postgres_fs') && db) {
            const sql = new PgSqlClient({ connectionString: db.url, max: 1 });
            await new Migrator(sql).migrate();
            await sql.close();
          }
          const server = { DATABASE_URL: db?.url ?? '', WORKER_IN_SERVER: 'false', RATE_LIMIT_PER_MINUTE: '0' };
          const env: Record<string, string> = {
            postgres: server,
            postgres_fs: { ...server, BLOB_STORE: 'filesystem', BLOB_DIR: dataDir ?? '' },
            embedded: { DATA_DIR: dataDir ?? '', WORKER_CONCURRENCY: '1', RATE_LIMIT_PER_MINUTE: '0' },
            embedded_fs: {
              DATA_DIR: dataDir ?? '',
              WORKER_CONCURRENCY: '1',
              RATE_LIMIT_PER_MINUTE: '0',
              BLOB_STORE: 'filesystem',
            },
            floor: { BENCH_DB_URL: db?.url ?? '' },
            floor_fs: { BENCH_DB_URL: db?.url ?? '', BENCH_BLOB_DIR: dataDir ?? '' },
          }[target];
          const key = `${target}_${clients}${files > 1 ? `_${files}files` : ''}`;
          const r = await runCase(target, env, body, contentType, clients, seconds);
          results[key] = r;
          console.log(`| ${key} | ${r.req_per_s} | ${r.p50_ms} | ${r.p99_ms} | ${r.peak_rss_mb} | ${r.non_2xx} |`);
        } finally {
          await db?.drop();
          if (dataDir) rmSync(dataDir, { recursive: true, force: true });
        }
      }
    }
  }
  console.log('\nDoc Inbox on PostgreSQL against the floor (throughput ratio, p99 ratio):');
  for (const [key, r] of Object.entries(results)) {
    if (!key.startsWith('postgres_')) continue;
    const floor = results[key.replace('postgres', 'floor')];
    if (floor) {
      console.log(
        `  ${key}: ${(r.req_per_s / floor.req_per_s).toFixed(2)}x throughput, p99 ${(r.p99_ms / Math.max(floor.p99_ms, 1)).toFixed(2)}x`,
      );
    }
  }
  const json: Record<string, Omit<CaseResult, 'non_2xx'>> = {};
  for (const [key, { non_2xx: _ignored, ...rest }] of Object.entries(results)) json[key] = rest;
  console.log(JSON.stringify(json));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
