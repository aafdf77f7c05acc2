import { SqlDbFunctions } from '../src/database/sql-db-functions';
import type { AddressInfo } from 'node:net';
import { Migrator } from '../src/database/migrator';
import { PgliteSqlClient } from '../src/database/pglite-sql.client';
import { PgSqlClient } from '../src/database/pg-sql.client';
import type { SqlClient } from '../src/database/sql-client.port';
import type { BlobStore } from '../src/storage/blob-store.port';
import { DatabaseBlobStore } from '../src/storage/database.blob-store';
import { FilesystemBlobStore } from '../src/storage/filesystem.blob-store';
import { startApp } from '../test/support/upload-probe';

/**
 * The upload bench's server, alone in its process so its RSS is the server's: the probe app
 * (BlobUploadInterceptor over one BlobStore driver), sampling its own memory every 10 ms and
 * reporting the peaks over IPC when asked.
 */
async function main(): Promise<void> {
  const kind = process.env.BENCH_STORE ?? 'filesystem';
  let sql: SqlClient | undefined;
  let store: BlobStore;
  if (kind === 'filesystem') {
    store = new FilesystemBlobStore(process.env.BENCH_DIR ?? '');
  } else {
    sql =
      kind === 'postgres'
        ? new PgSqlClient({ connectionString: process.env.BENCH_DB_URL, max: 10 })
        : await PgliteSqlClient.open(process.env.BENCH_DIR);
    await new Migrator(sql).migrate();
    store = new DatabaseBlobStore(new SqlDbFunctions(sql));
  }
  const app = await startApp(store);
  global.gc?.();
  const baseline = process.memoryUsage();
  const peak = { rss: baseline.rss, heapUsed: baseline.heapUsed, arrayBuffers: baseline.arrayBuffers };
  setInterval(() => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
  }, 10).unref();
  process.on('message', (message) => {
    if (message === 'report') process.send?.({ baseline, peak });
    if (message === 'stop') {
      void app
        .close()
        .then(() => sql?.close())
        .then(() => process.exit(0));
    }
  });
  process.send?.({ port: (app.getHttpServer().address() as AddressInfo).port });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
