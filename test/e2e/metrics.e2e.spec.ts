import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { DbFunctions } from '../../src/database/db-functions.port';
import type { JobAcceptedDto } from '../../src/http/dto/job.response';
import { DEFAULT_TENANT } from '../../src/jobs/job.model';
import { SqlJobStore } from '../../src/jobs/sql-job.store';
import { blobKeyFor } from '../../src/storage/blob-key';
import { BlobStore } from '../../src/storage/blob-store.port';
import { makeTextPdf, sha256 } from '../support/fixtures';
import { count, sample } from '../support/metrics-text';
import { startTestApp, waitForJob, type TestApp } from '../support/test-app';

jest.setTimeout(60_000);

const INVOICE = 'INVOICE\nInvoice number INV-7\nTotal due EUR 120.00\nPayment terms: 30 days, bank transfer.';
const LOCAL = { OCR_PROVIDER: 'none', CLASSIFIER_PROVIDER: 'local' };

async function scrape(t: TestApp, headers: Record<string, string> = {}): Promise<string> {
  const req = t.http.get('/metrics');
  for (const [k, v] of Object.entries(headers)) req.set(k, v);
  const res = await req.expect(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text;
}

describe('GET /metrics on the HTTP role (all-in-one, embedded database)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: LOCAL });
  });
  afterAll(() => t.close());

  it('counts the jobs uploads create and times requests by route template', async () => {
    const before = await scrape(t);
    expect(sample(before, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    const created = count(before, 'docinbox_jobs_created_total', { tenant: DEFAULT_TENANT });

    const pdf = await makeTextPdf([INVOICE]);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await t.http.post('/classify-documents-async').attach('files', pdf, 'invoice.pdf').expect(202);
      ids.push((res.body as JobAcceptedDto).job_id);
    }
    // The same upload again under its Idempotency-Key is no new job.
    for (let i = 0; i < 2; i++) {
      await t.http
        .post('/classify-documents-async')
        .set('Idempotency-Key', 'metrics-once')
        .attach('files', pdf, 'invoice.pdf')
        .expect(202);
    }
    for (const id of ids) await waitForJob(t, id);
    await t.http.get(`/job/${randomUUID()}`).expect(404);
    await t.http.get('/wp-login.php').expect(404);

    const after = await scrape(t);
    expect(count(after, 'docinbox_jobs_created_total', { tenant: DEFAULT_TENANT })).toBe(created + 3);
    const uploads = { method: 'POST', route: '/classify-documents-async', status: '202' };
    expect(count(after, 'docinbox_http_request_duration_seconds_count', uploads)).toBe(4);
    // The template, not the job id: one series for every job looked up.
    expect(count(after, 'docinbox_http_request_duration_seconds_count', { route: '/job/:job_id', status: '404' })).toBe(
      1,
    );
    // A path no route took is one series, whatever scanners try.
    expect(count(after, 'docinbox_http_request_duration_seconds_count', { route: 'unmatched', status: '404' })).toBe(1);
    expect(after).not.toContain('wp-login');
    expect(after).not.toContain(ids[0]);
    // This process runs the worker too: its counters moved.
    expect(count(after, 'docinbox_documents_classified_total', { label: 'invoice' })).toBeGreaterThanOrEqual(2);
    expect(count(after, 'docinbox_ocr_pages_total', { engine: 'text-layer' })).toBeGreaterThanOrEqual(2);
  });

  it('echoes the X-Request-Id it was given, and makes one when there is none', async () => {
    const given = await t.http.get('/health').set('X-Request-Id', 'req-abc.123').expect(200);
    expect(given.headers['x-request-id']).toBe('req-abc.123');
    const made = await t.http.get('/health').expect(200);
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    // Something that is not an id (here too long) is replaced, not echoed into logs.
    const odd = await t.http.get('/health').set('X-Request-Id', 'x'.repeat(200)).expect(200);
    expect(odd.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('METRICS_TOKEN', () => {
  let t: TestApp;
  const token = 'metrics-token-0123456789abcdef';
  beforeAll(async () => {
    t = await startTestApp({ env: { ...LOCAL, METRICS_TOKEN: token }, roles: { http: true, worker: false } });
  });
  afterAll(() => t.close());

  it('is required as a bearer token once set', async () => {
    const missing = await t.http.get('/metrics').expect(401);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
    expect((missing.body as { message: string }).message).toMatch(/Authorization: Bearer <METRICS_TOKEN>/);
    await t.http.get('/metrics').set('Authorization', `Bearer ${token}x`).expect(401);
    await t.http.get('/metrics').set('Authorization', token).expect(401);
    const text = await scrape(t, { Authorization: `Bearer ${token}` });
    expect(text).toContain('docinbox_queue_depth');
    // Health stays open.
    await t.http.get('/health').expect(200);
  });
});

describe("GET /metrics on a worker's health port", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: LOCAL, roles: { http: false, worker: true, health: true } });
  });
  afterAll(() => t.close());

  /** Stores a text file and its job as the API would (this role has no upload route). */
  async function submit(text: string): Promise<string> {
    const id = randomUUID();
    const blobKey = blobKeyFor(DEFAULT_TENANT, id, 0);
    const blob = await t.app.get(BlobStore).put(blobKey, Readable.from([Buffer.from(text)]));
    await new SqlJobStore(t.app.get(DbFunctions)).createJob({
      id,
      tenantId: DEFAULT_TENANT,
      files: [{ filename: 'invoice.txt', contentType: 'text/plain', size: blob.size, sha256: sha256(text), blobKey }],
      categories: null,
      maxAttempts: 3,
    });
    return id;
  }

  it('serves only /health and /metrics, and the worker counters move as it completes a job', async () => {
    await t.http.get('/jobs').expect(404);
    const before = await scrape(t);
    expect(before).toContain('# TYPE docinbox_job_pickup_latency_seconds histogram');

    const id = await submit(INVOICE);
    const store = new SqlJobStore(t.app.get(DbFunctions));
    const end = Date.now() + 30_000;
    while ((await store.getJob(DEFAULT_TENANT, id))?.status !== 'completed') {
      if (Date.now() > end) throw new Error('the worker did not complete the job');
      await new Promise((r) => setTimeout(r, 50));
    }

    const after = await scrape(t);
    const moved = (name: string, labels: Record<string, string> = {}) =>
      count(after, name, labels) - count(before, name, labels);
    expect(moved('docinbox_jobs_completed_total')).toBe(1);
    expect(moved('docinbox_job_pickup_latency_seconds_count')).toBe(1);
    expect(moved('docinbox_ocr_duration_seconds_count', { engine: 'plain-text' })).toBe(1);
    expect(moved('docinbox_ocr_pages_total', { engine: 'plain-text' })).toBe(1);
    expect(moved('docinbox_classification_duration_seconds_count', { classifier: 'local' })).toBe(1);
    expect(moved('docinbox_documents_classified_total', { label: 'invoice' })).toBe(1);
    // Nothing is left in the queue; the gauges were read from the database at this scrape.
    expect(sample(after, 'docinbox_queue_stats_up')).toBe(1);
    expect(sample(after, 'docinbox_queue_depth', { status: 'pending' })).toBe(0);
    expect(sample(after, 'docinbox_queue_depth', { status: 'processing' })).toBe(0);
  });
});
