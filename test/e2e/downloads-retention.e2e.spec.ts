import { SchedulerRegistry } from '@nestjs/schedule';
import { SqlClient } from '../../src/database/sql-client.port';
import { RetentionPurger } from '../../src/retention/retention-purger';
import { BlobStore } from '../../src/storage/blob-store.port';
import { startTestApp, waitForJob, type TestApp } from '../support/test-app';

const TEXT = 'INVOICE 2026-17\nTotal due: 120.00 EUR\nPayment within 30 days';

/** Downloads, DELETE and retention through the HTTP API, on the embedded database (all-in-one). */
describe('downloads, deletion and retention over HTTP', () => {
  // Each test runs a job through the worker; a busy machine makes that seconds.
  jest.setTimeout(60_000);
  let app: TestApp;
  let sql: SqlClient;
  let blobs: BlobStore;

  beforeAll(async () => {
    app = await startTestApp({ env: { RETENTION_FILES_DAYS: '30', RATE_LIMIT_PER_MINUTE: '0' } });
    sql = app.app.get(SqlClient);
    blobs = app.app.get(BlobStore);
  }, 60_000);
  afterAll(() => app?.close());

  async function completedJob(filename = 'invoice.txt'): Promise<string> {
    const res = await app.http
      .post('/classify-documents-async')
      .attach('files', Buffer.from(TEXT), filename)
      .attach('files', Buffer.from('RECEIPT\nCash 4.50'), 'receipt.txt')
      .expect(202);
    const job = await waitForJob(app, res.body.job_id as string);
    expect(job.status).toBe('completed');
    return job.job_id as unknown as string;
  }

  const count = async (table: string, jobId: string) =>
    Number((await sql.query<{ n: string }>(`select count(*) n from ${table} where job_id = $1`, [jobId]))[0]!.n);

  it('downloads an uploaded file with its type, length and a safe attachment name', async () => {
    const jobId = await completedJob('Rechnung "März"\r\n.txt');
    const res = await app.http
      .get(`/job/${jobId}/files/0`)
      .buffer(true)
      .parse((r, cb) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => cb(null, Buffer.concat(parts)));
      })
      .expect(200);
    expect((res.body as Buffer).toString()).toBe(TEXT);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(TEXT)));
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const disposition = res.headers['content-disposition'] as string;
    expect(disposition).toMatch(/^attachment; filename="[^"\\\r\n]*"; filename\*=UTF-8''/);
    expect(disposition).not.toMatch(/[\r\n]/);
    const encoded = /filename\*=UTF-8''(.+)$/.exec(disposition)![1]!;
    expect(decodeURIComponent(encoded)).toContain('März');

    const job = (await app.http.get(`/job/${jobId}`).expect(200)).body as {
      files: Array<{ position: number; download_url: string; purged_at: string | null }>;
    };
    expect(job.files.map((f) => [f.position, f.download_url, f.purged_at])).toEqual([
      [0, `/job/${jobId}/files/0`, null],
      [1, `/job/${jobId}/files/1`, null],
    ]);
  });

  it('answers 404 for an unknown job or position and 400 for a position that is no integer in range', async () => {
    const jobId = await completedJob();
    const unknown = await app.http.get('/job/00000000-0000-4000-8000-000000000000/files/0').expect(404);
    expect(unknown.body.message).toMatch(/job 00000000-0000-4000-8000-000000000000 not found/);
    const noFile = await app.http.get(`/job/${jobId}/files/2`).expect(404);
    expect(noFile.body.message).toBe(`job ${jobId} has no file at position 2`);
    for (const bad of ['abc', '-1', '1.5', '1000', '1e2']) {
      const res = await app.http.get(`/job/${jobId}/files/${bad}`).expect(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'position must be an integer from 0 to 999',
      });
    }
  });

  it('DELETE removes the job, its blobs, page text and events at once', async () => {
    const jobId = await completedJob();
    const keys = (
      await sql.query<{ blob_key: string }>('select blob_key from inbox_job_files where job_id = $1', [jobId])
    ).map((r) => r.blob_key);
    expect(keys).toHaveLength(2);
    expect(await count('inbox_pages', jobId)).toBe(2);
    expect(await count('inbox_job_events', jobId)).toBeGreaterThan(0);

    await app.http.delete(`/job/${jobId}`).expect(204);
    for (const key of keys) expect(await blobs.exists(key)).toBe(false);
    for (const table of ['inbox_pages', 'inbox_job_events', 'inbox_job_files', 'inbox_job_documents', 'inbox_jobs']) {
      const column = table === 'inbox_jobs' ? 'id' : 'job_id';
      const n = await sql.query<{ n: string }>(`select count(*) n from ${table} where ${column} = $1`, [jobId]);
      expect([table, Number(n[0]!.n)]).toEqual([table, 0]);
    }
    await app.http.get(`/job/${jobId}`).expect(404);
    await app.http.get(`/job/${jobId}/files/0`).expect(404);
  });

  it('after RETENTION_FILES_DAYS the job keeps its results, says its files were purged, and downloads are 410', async () => {
    const jobId = await completedJob();
    await sql.query(`update inbox_jobs set completed_at = now() - interval '31 days' where id = $1`, [jobId]);
    // The worker's hourly purge is registered; here it is run at once.
    expect(app.app.get(SchedulerRegistry).getInterval('retention')).toBeDefined();
    const result = await app.app.get(RetentionPurger).purgeOnce();
    expect(result.filesPurged).toBe(2);

    const job = (await app.http.get(`/job/${jobId}`).expect(200)).body as {
      status: string;
      result: { documents: Array<{ document_type: string | null; status: string }> };
      files: Array<{ purged_at: string | null }>;
      events: Array<{ type: string }>;
    };
    expect(job.status).toBe('completed');
    expect(job.result.documents.map((d) => d.status)).toEqual(['completed', 'completed']);
    expect(job.result.documents[0]!.document_type).toBeTruthy();
    expect(job.files.every((f) => typeof f.purged_at === 'string')).toBe(true);
    expect(job.events.map((e) => e.type)).toContain('job.files_purged');
    expect(await count('inbox_pages', jobId)).toBe(0);

    const gone = await app.http.get(`/job/${jobId}/files/0`).expect(410);
    expect(gone.body.error).toBe('Gone');
    expect(gone.body.message).toMatch(/^file 0 of job .* was purged on \d{4}-.*RETENTION_FILES_DAYS/);
  });
});
