import { Migrator } from '../src/database/migrator';
import { PgSqlClient } from '../src/database/pg-sql.client';
import { createPostgresDatabase } from '../test/support/databases';
import { runClassifierBench } from './classifier.bench';
import { runHttpBench } from './http.bench';
import { runOcrBench } from './ocr.bench';
import { runQueueBench } from './queue.bench';
import { runUploadBench } from './upload.bench';

/**
 * `npm run bench`: prints figures, asserts nothing. PostgreSQL from BENCH_DATABASE_URL (else
 * TEST_DATABASE_URL, else the local server); each run uses a database of its own.
 */
async function main(): Promise<void> {
  const adminUrl =
    process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const only = process.argv.slice(2);
  const want = (name: string) => only.length === 0 || only.includes(name);
  console.log(`# Doc Inbox benchmarks (node ${process.version}, ${new Date().toISOString()})`);

  if (want('http') || want('queue')) {
    const db = await createPostgresDatabase(adminUrl);
    try {
      const sql = new PgSqlClient({ connectionString: db.url, max: 1 });
      await new Migrator(sql).migrate();
      await sql.close();
      if (want('http')) await runHttpBench(db.url);
      if (want('queue')) await runQueueBench(db.url);
    } finally {
      await db.drop();
    }
  }
  if (want('upload')) {
    const db = await createPostgresDatabase(adminUrl);
    try {
      await runUploadBench(db.url);
    } finally {
      await db.drop();
    }
  }
  if (want('ocr')) await runOcrBench();
  if (want('classifier')) await runClassifierBench();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
