import { randomUUID } from 'node:crypto';
import { Migrator } from '../../src/database/migrator';
import { PgliteSqlClient } from '../../src/database/pglite-sql.client';
import type { SqlClient } from '../../src/database/sql-client.port';
import { SqlDbFunctions } from '../../src/database/sql-db-functions';
import { SqlJobQueue } from '../../src/jobs/sql-job.queue';
import { SqlJobStore } from '../../src/jobs/sql-job.store';
import { readBlob } from '../../src/storage/blob-store.port';
import { DatabaseBlobStore } from '../../src/storage/database.blob-store';
import { openFreshPostgres, TEST_DATABASE_URL } from '../support/databases';
import { done, sha256 } from '../support/fixtures';
import { recordAsOldRelease } from '../support/legacy-migrations';

/** The migrations of the first release, as it shipped them. */
const FIRST_RELEASE = [
  '20261128000000_jobs.sql',
  '20261128000100_document_corrections.sql',
  '20261129000000_record_outcomes_lock_job.sql',
];

interface Target {
  name: string;
  open(): Promise<{ sql: SqlClient; dispose(): Promise<void> }>;
}

const targets: Target[] = [
  {
    name: 'pglite',
    async open() {
      const sql = await PgliteSqlClient.open();
      return { sql, dispose: () => sql.close() };
    },
  },
];
if (TEST_DATABASE_URL) {
  targets.push({
    name: 'postgres',
    open: () => openFreshPostgres(),
  });
}

/** A job as the first release stored it: the row, its files with their bytes, in one statement each. */
async function oldJob(sql: SqlClient, texts: string[]): Promise<string> {
  const id = randomUUID();
  await sql.query(`insert into inbox_jobs (id, total_files, max_attempts, idempotency_key) values ($1, $2, 3, $3)`, [
    id,
    texts.length,
    `key-${id}`,
  ]);
  for (const [position, text] of texts.entries()) {
    await sql.query(
      `insert into inbox_job_files (job_id, position, filename, content_type, size, sha256, bytes)
       values ($1, $2, $3, 'text/plain', $4, $5, $6)`,
      [id, position, `old-${position}.txt`, Buffer.byteLength(text), sha256(text), Buffer.from(text)],
    );
  }
  return id;
}

describe.each(targets)('upgrading a first-release database in place on $name', (target) => {
  jest.setTimeout(60_000);

  it('keeps its jobs, and the unfinished ones resume and finish after the upgrade', async () => {
    const { sql, dispose } = await target.open();
    try {
      await recordAsOldRelease(sql, FIRST_RELEASE);
      // Before: one job done, one half-processed by a worker (lease held), one still pending.
      const finished = await oldJob(sql, ['invoice one']);
      const half = await oldJob(sql, ['page of a letter', 'second letter']);
      const waiting = await oldJob(sql, ['a receipt']);
      await sql.query(`select * from inbox_claim_jobs('old-worker', 2, 1)`);
      const outcome = (jobId: string, position: number, text: string) =>
        JSON.stringify([
          {
            jobId,
            position,
            status: 'completed',
            text,
            result: { document_type: 'invoice', confidence: 0.9, page_count: 1, text_sources: ['plain-text'] },
          },
        ]);
      await sql.query(`select inbox_record_file_outcomes('old-worker', $1::jsonb)`, [
        outcome(finished, 0, 'invoice one'),
      ]);
      await sql.query(`select inbox_record_file_outcomes('old-worker', $1::jsonb)`, [
        outcome(half, 0, 'page of a letter'),
      ]);

      // The upgrade: our migrator carries the old records over and applies the rest.
      const applied = await new Migrator(sql).migrate();
      expect(applied.some((m) => m.startsWith('20261201000000'))).toBe(true);
      expect(applied.some((m) => FIRST_RELEASE.includes(`${m}.sql`))).toBe(false);

      const functions = new SqlDbFunctions(sql);
      const store = new SqlJobStore(functions);
      const before = (await store.getJob('default', finished))!;
      expect(before).toMatchObject({ status: 'completed', tenantId: 'default', processedDocuments: 1 });
      expect(before.documents).toEqual([
        expect.objectContaining({ index: 0, filePosition: 0, status: 'completed', result: expect.any(Object) }),
      ]);
      expect(before.events.map((e) => e.type)).toEqual(['job.created']);
      expect((await store.getDocument('default', finished, 0))?.text).toBe('invoice one');

      // The old bytes moved into the blob store, under the keys new uploads get.
      const blobs = new DatabaseBlobStore(new SqlDbFunctions(sql));
      const halfJob = (await store.getJob('default', half))!;
      expect(halfJob.files.map((f) => f.blobKey)).toEqual([`default/${half}/0`, `default/${half}/1`]);
      expect((await readBlob(blobs, `default/${half}/1`)).toString()).toBe('second letter');

      // A worker of the new release takes the half-done job over once the old lease ran out,
      // resuming at its first unfinished document, and runs the pending one.
      await new Promise((r) => setTimeout(r, 1200));
      const queue = new SqlJobQueue(functions, { leaseSeconds: 30 });
      const claimed = await queue.claim('new-worker', 5);
      expect(claimed.map((j) => [j.id, j.documents.map((d) => d.index)])).toEqual(
        expect.arrayContaining([
          [half, [1]],
          [waiting, [0]],
        ]),
      );
      for (const job of claimed) {
        for (const d of job.documents) {
          const bytes = await readBlob(blobs, d.blobKey!);
          await queue.record('new-worker', [done(job.id, d.index, bytes.toString())]);
        }
      }
      for (const id of [half, waiting]) {
        expect(await store.getJob('default', id)).toMatchObject({ status: 'completed', progress: 100 });
      }
      expect((await store.getDocument('default', half, 1))?.text).toBe('second letter');

      // Old jobs still read through the API's functions, idempotency keys included.
      const again = await store.createJob({
        id: randomUUID(),
        tenantId: 'default',
        files: [{ filename: 'x.txt', contentType: 'text/plain', size: 1, sha256: 'x', blobKey: 'default/x/0' }],
        categories: null,
        maxAttempts: 3,
        idempotencyKey: `key-${waiting}`,
      });
      expect(again).toMatchObject({ outcome: 'existing', job: { id: waiting } });
      expect((await store.listJobs('default', { limit: 10 })).jobs).toHaveLength(3);
      const columns = await sql.query<{ column_name: string }>(
        `select column_name from information_schema.columns where table_name = 'inbox_job_files'`,
      );
      expect(columns.map((c) => c.column_name)).not.toContain('bytes');
    } finally {
      await dispose();
    }
  });
});
