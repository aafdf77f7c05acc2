import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamUpload } from '../test/support/upload-probe';
import { section } from './stats';

interface Peaks {
  baseline: NodeJS.MemoryUsage;
  peak: { rss: number; heapUsed: number; arrayBuffers: number };
}

const COUNT = 20;
const SIZE = 25 * 1000 * 1000;
const mb = (n: number): string => `${(n / 1e6).toFixed(0)} MB`;

/**
 * 20 concurrent uploads of 25 MB each (streamed by the client, never whole in memory) into the
 * server of bench/upload-server.ts, one run per BlobStore driver; prints the server process's
 * peak RSS, heap and buffers. Buffering the uploads would cost at least 500 MB.
 */
export async function runUploadBench(postgresUrl?: string): Promise<void> {
  section(`streaming uploads: ${COUNT} concurrent x ${SIZE / 1e6} MB, server in its own process`);
  const runs: { name: string; env: Record<string, string> }[] = [
    { name: 'filesystem', env: { BENCH_STORE: 'filesystem' } },
    { name: 'database (PGlite on disk)', env: { BENCH_STORE: 'pglite' } },
    ...(postgresUrl
      ? [{ name: 'database (PostgreSQL)', env: { BENCH_STORE: 'postgres', BENCH_DB_URL: postgresUrl } }]
      : []),
  ];
  for (const run of runs) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-upload-'));
    const child = fork(join(__dirname, 'upload-server.js'), [], {
      env: { PATH: process.env.PATH ?? '', BENCH_DIR: dir, ...run.env },
      execArgv: ['--expose-gc'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.once('message', (m) => resolve((m as { port: number }).port));
        child.once('exit', (code) => reject(new Error(`upload server exited with ${code}`)));
      });
      const started = Date.now();
      const answers = await Promise.all(
        Array.from({ length: COUNT }, (_, i) => streamUpload(port, [{ name: `doc-${i}.pdf`, size: SIZE, seed: i }])),
      );
      const seconds = (Date.now() - started) / 1000;
      const failed = answers.filter((a) => a.status !== 201).length;
      child.send('report');
      const { baseline, peak } = await new Promise<Peaks>((resolve) =>
        child.once('message', (m) => resolve(m as Peaks)),
      );
      console.log(
        `${run.name}: ${COUNT - failed}/${COUNT} stored in ${seconds.toFixed(1)} s ` +
          `(${((COUNT * SIZE) / 1e6 / seconds).toFixed(0)} MB/s); server peak RSS ${mb(peak.rss)} ` +
          `(+${mb(peak.rss - baseline.rss)} over ${mb(baseline.rss)} idle), peak heap ${mb(peak.heapUsed)} ` +
          `(+${mb(peak.heapUsed - baseline.heapUsed)}), peak buffers ${mb(peak.arrayBuffers)}`,
      );
    } finally {
      child.send('stop');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
