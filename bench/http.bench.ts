import { spawn, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { entrypointArgs } from '../test/support/entrypoint-process';
import { ms, section, summary } from './stats';

const ROOT = resolve(__dirname, '..', '..');
const sleep = (n: number) => new Promise((r) => setTimeout(r, n));

/** A text PDF of about `kb` KiB: pages of invoice lines. */
export async function makePdfOfSize(kb: number): Promise<Buffer> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  let bytes = Buffer.alloc(0);
  for (let page = 1; bytes.length < kb * 1024; page++) {
    const p = doc.addPage([595, 842]);
    for (let line = 0; line < 60; line++) {
      p.drawText(`INVOICE 2026-${page}-${line}  Item ${line * 7}  Qty 3  Amount EUR ${(line * 13.7).toFixed(2)}`, {
        x: 40,
        y: 800 - line * 12,
        size: 9,
        font,
      });
    }
    bytes = Buffer.from(await doc.save({ useObjectStreams: false }));
  }
  return bytes;
}

async function startServer(env: Record<string, string>): Promise<{ url: string; proc: ChildProcess }> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const proc = spawn(process.execPath, entrypointArgs('server'), {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', PORT: String(port), LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${url}/health`)).ok) return { url, proc };
    } catch {
      /* not up yet */
    }
    await sleep(100);
  }
  proc.kill('SIGKILL');
  throw new Error('server did not start');
}

async function stopServer(proc: ChildProcess): Promise<void> {
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000)]);
  proc.kill('SIGKILL');
}

/** The multipart body, built once: the load generator must cost far less than the server. */
function multipartBody(pdf: Buffer): { body: Buffer; contentType: string } {
  const boundary = `----docinbox${Date.now()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="bench.pdf"\r\n` +
      'Content-Type: application/pdf\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, pdf, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

function post(agent: Agent, url: URL, body: Buffer, contentType: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': contentType, 'content-length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** `clients` keep-alive connections each POSTing the PDF until `total` requests were sent. */
export async function load(baseUrl: string, pdf: Buffer, clients: number, total: number) {
  const { body, contentType } = multipartBody(pdf);
  const url = new URL('/classify-documents-async', baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const latencies: number[] = [];
  let sent = 0;
  let failed = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (sent < total) {
        sent++;
        const t0 = performance.now();
        const status = await post(agent, url, body, contentType);
        latencies.push(performance.now() - t0);
        if (status !== 202) failed++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { rate: latencies.length / seconds, failed, ...summary(latencies) };
}

export async function runHttpBench(databaseUrl: string): Promise<void> {
  const pdf = await makePdfOfSize(100);
  section(`Job creation over HTTP: ${(pdf.length / 1024).toFixed(0)} KiB PDF, 32 concurrent clients, 2,000 requests`);
  const dataDir = mkdtempSync(join(tmpdir(), 'doc-inbox-bench-'));
  const targets: Array<[string, Record<string, string>]> = [
    // The embedded store serves one process, so its worker runs in the server (at concurrency 1 here).
    ['PGlite (embedded, worker in-process)', { DATA_DIR: dataDir, WORKER_CONCURRENCY: '1' }],
    ['PostgreSQL (server only)', { DATABASE_URL: databaseUrl, WORKER_IN_SERVER: 'false' }],
  ];
  try {
    for (const [name, env] of targets) {
      const { url, proc } = await startServer(env);
      try {
        await load(url, pdf, 8, 100); // warm-up
        const r = await load(url, pdf, 32, 2000);
        console.log(
          `${name}: ${r.rate.toFixed(0)} req/s, p50 ${ms(r.p50)}, p99 ${ms(r.p99)}${r.failed ? `, ${r.failed} not 202` : ''}`,
        );
      } finally {
        await stopServer(proc);
      }
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
