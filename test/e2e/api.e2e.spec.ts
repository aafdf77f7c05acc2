import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobAcceptedDto } from '../../src/http/dto/job.response';
import { DbFunctions } from '../../src/database/db-functions.port';
import { makeTextPdf } from '../support/fixtures';
import { startTestApp, waitForJob, type TestApp } from '../support/test-app';

const GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64');
const INVOICE_TEXT = [
  'INVOICE',
  'Invoice number: INV-2026-0042',
  'Bill to: Contoso Ltd',
  'Description        Qty   Unit price   Amount',
  'Consulting          10       120.00   1200.00',
  'Subtotal 1200.00   VAT 21% 252.00   Total due EUR 1452.00',
  'Payment terms: 30 days. Please pay by bank transfer.',
].join('\n');
const LETTER_TEXT = [
  'Dear Ms Jansen,',
  'Thank you for your letter of 3 March. I am writing to confirm our meeting next week.',
  'I look forward to seeing you.',
  'Yours sincerely,',
  'John Smith',
].join('\n');

describe('HTTP API on the embedded defaults', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ env: { UPLOAD_MAX_FILES: '3', UPLOAD_MAX_FILE_MB: '1' } });
  });
  afterAll(() => t.close());

  it('accepts documents at once and classifies them in the background', async () => {
    const pdf = await makeTextPdf([INVOICE_TEXT]);
    const res = await t.http
      .post('/classify-documents-async')
      .attach('files', pdf, 'invoice.pdf')
      .attach('files', Buffer.from(LETTER_TEXT), { filename: 'letter.txt', contentType: 'application/octet-stream' })
      .expect(202);
    const body = res.body as JobAcceptedDto;
    expect(body).toEqual({
      job_id: expect.any(String),
      status: 'pending',
      status_url: `/job/${body.job_id}`,
      total_files: 2,
    });
    expect(res.headers.location).toBe(`/job/${body.job_id}`);

    const job = await waitForJob(t, body.job_id);
    expect(job).toMatchObject({ status: 'completed', progress: 100, processed_files: 2, failed_files: 0, attempts: 1 });
    expect(job.result.documents).toEqual([
      expect.objectContaining({
        position: 0,
        filename: 'invoice.pdf',
        status: 'completed',
        document_type: 'invoice',
        text_sources: ['text-layer'],
        error: null,
      }),
      expect.objectContaining({
        position: 1,
        filename: 'letter.txt',
        document_type: 'letter',
        text_sources: ['plain-text'],
      }),
    ]);
    expect(job.result.counts_by_type).toEqual({ invoice: 1, letter: 1 });
    expect(job.result.documents[0].confidence).toBeGreaterThan(0.5);
  });

  it('narrows the taxonomy per request and refuses unknown categories with a 400 naming them', async () => {
    const res = await t.http
      .post('/classify-documents-async')
      .field('categories', 'letter,resume')
      .attach('files', Buffer.from(INVOICE_TEXT), 'x.txt')
      .expect(202);
    const job = await waitForJob(t, res.body.job_id);
    expect(['letter', 'resume', 'other']).toContain(job.result.documents[0].document_type);

    const bad = await t.http
      .post('/classify-documents-async')
      .field('categories', 'invoice,spaceship')
      .attach('files', Buffer.from('x'), 'x.txt')
      .expect(400);
    expect(bad.body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'unknown categories: spaceship (see GET /categories)',
    });
  });

  it.each([
    ['no files', (r: ReturnType<TestApp['http']['post']>) => r.field('categories', 'invoice'), 400, /no files/],
    [
      'an empty file',
      (r: ReturnType<TestApp['http']['post']>) => r.attach('files', Buffer.alloc(0), 'empty.pdf'),
      400,
      /file 'empty.pdf' is empty/,
    ],
    [
      'a GIF',
      (r: ReturnType<TestApp['http']['post']>) => r.attach('files', GIF, 'pic.pdf'),
      415,
      /file 'pic.pdf' is image\/gif/,
    ],
    [
      'binary junk',
      (r: ReturnType<TestApp['http']['post']>) => r.attach('files', Buffer.from([0, 1, 2, 3, 255, 0, 7]), 'x.bin'),
      415,
      /not a recognised document/,
    ],
    [
      'a file over the size limit',
      (r: ReturnType<TestApp['http']['post']>) => r.attach('files', Buffer.alloc(1024 * 1024 + 10, 'a'), 'big.txt'),
      413,
      /larger than the upload limit/,
    ],
    [
      'too many files',
      (r: ReturnType<TestApp['http']['post']>) =>
        r
          .attach('files', Buffer.from('a'), 'a.txt')
          .attach('files', Buffer.from('b'), 'b.txt')
          .attach('files', Buffer.from('c'), 'c.txt')
          .attach('files', Buffer.from('d'), 'd.txt'),
      413,
      /too many files/,
    ],
    [
      'the wrong field name',
      (r: ReturnType<TestApp['http']['post']>) => r.attach('document', Buffer.from('a'), 'a.txt'),
      400,
      /unexpected file field 'document': send documents in the field 'files'/,
    ],
    [
      'a multipart body cut off before its end',
      (r: ReturnType<TestApp['http']['post']>) =>
        r
          .set('content-type', 'multipart/form-data; boundary=xyz')
          .send('--xyz\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\n\r\nhalf a fi'),
      400,
      /malformed upload: Unexpected end of form/,
    ],
    [
      'an unknown form field',
      (r: ReturnType<TestApp['http']['post']>) => r.field('colour', 'red').attach('files', Buffer.from('a'), 'a.txt'),
      400,
      /property colour should not exist/,
    ],
  ])('refuses %s with a clear error and stores nothing', async (_name, build, status, message) => {
    const before = (await t.http.get('/jobs?limit=100').expect(200)).body.jobs.length;
    const res = await build(t.http.post('/classify-documents-async')).expect(status);
    expect(res.body.statusCode).toBe(status);
    expect(res.body.message).toMatch(message);
    expect((await t.http.get('/jobs?limit=100').expect(200)).body.jobs.length).toBe(before);
  });

  it('answers 404 for a malformed or unknown job id', async () => {
    await t.http.get('/job/not-a-uuid').expect(404);
    const res = await t.http.get('/job/00000000-0000-4000-8000-000000000000').expect(404);
    expect(res.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'job 00000000-0000-4000-8000-000000000000 not found',
    });
    await t.http.post('/job/00000000-0000-4000-8000-000000000000/cancel').expect(404);
    await t.http.post('/job/not-a-uuid/cancel').expect(404);
    const long = await t.http.get(`/job/${'9'.repeat(10_000)}`).expect(404);
    expect(long.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: `job ${'9'.repeat(64)}… (10000 characters) not found`,
    });
  });

  it('stores file names without invisible or control characters, and cuts a long one before its extension', async () => {
    const long = `${'é'.repeat(200)}.txt`; // 404 bytes of UTF-8
    const res = await t.http
      .post('/classify-documents-async')
      .attach('files', Buffer.from(LETTER_TEXT), 'letter\u202Etxt.exe\u200B.txt')
      .attach('files', Buffer.from(LETTER_TEXT), long)
      .expect(202);
    const job = await waitForJob(t, res.body.job_id);
    const [first, second] = job.result.documents.map((d) => d.filename);
    expect(first).toBe('lettertxt.exe.txt');
    expect(second).toBe(`${'é'.repeat(125)}.txt`);
    expect(Buffer.byteLength(second)).toBe(254);
  });

  it('lists jobs newest first with a status filter and a cursor, and validates the query', async () => {
    const page1 = await t.http.get('/jobs?limit=1&status=completed').expect(200);
    expect(page1.body.jobs).toHaveLength(1);
    expect(page1.body.jobs[0].status).toBe('completed');
    const page2 = await t.http.get(`/jobs?limit=1&status=completed&cursor=${page1.body.next_cursor}`).expect(200);
    expect(page2.body.jobs[0].job_id).not.toBe(page1.body.jobs[0].job_id);
    expect(new Date(page2.body.jobs[0].created_at) <= new Date(page1.body.jobs[0].created_at)).toBe(true);
    for (const limit of ['abc', '0', '101', '1.5', '1e2', '', '99999999999']) {
      const res = await t.http.get(`/jobs?limit=${limit}`).expect(400);
      expect(res.body).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: 'limit must be an integer from 1 to 100',
      });
    }
    await t.http.get('/jobs?limit=1&limit=2').expect(400);
    await t.http.get('/jobs?limit=100').expect(200);
    await t.http.get('/jobs?status=done').expect(400);
    const badCursor = await t.http.get('/jobs?cursor=nonsense').expect(400);
    expect(badCursor.body.message).toMatch(/cursor/);
    // Well-formed base64 of values PostgreSQL could not cast: still the caller's 400, not a 500.
    const crafted = Buffer.from(`1|${'-'.repeat(36)}`).toString('base64url');
    await t.http.get(`/jobs?cursor=${crafted}`).expect(400);
  });

  it('returns the same job for a retried request with the same Idempotency-Key', async () => {
    const send = () =>
      t.http
        .post('/classify-documents-async')
        .set('Idempotency-Key', 'upload-123')
        .attach('files', Buffer.from(LETTER_TEXT), 'l.txt')
        .expect(202);
    const first = await send();
    const second = await send();
    expect(second.body.job_id).toBe(first.body.job_id);
  });

  it('reports liveness and readiness', async () => {
    expect((await t.http.get('/health').expect(200)).body).toEqual({ status: 'ok' });
    const ready = await t.http.get('/health/ready').expect(200);
    expect(ready.body.status).toBe('ok');
    expect(ready.body.details.database.status).toBe('up');
  });

  it('serves Swagger UI and an OpenAPI document equal to the committed openapi.json', async () => {
    await t.http.get('/docs').expect(200);
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    const operations = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap(
      (p) => Object.values(p).map((o) => o.operationId),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        'classifyDocumentsAsync',
        'getJob',
        'listJobs',
        'cancelJob',
        'getLiveness',
        'getReadiness',
      ]),
    );
    expect(doc.paths['/classify-documents-async'].post.responses).toEqual(
      expect.objectContaining({
        '202': expect.anything(),
        '400': expect.anything(),
        '413': expect.anything(),
        '415': expect.anything(),
        '429': expect.anything(),
      }),
    );
    // Every enum is a named schema (JobStatus, DocumentStatus, TextSource, ...), never inline,
    // so a generated SDK has one type per enum.
    const schemas = doc.components.schemas as Record<string, object>;
    expect(Object.keys(schemas)).toEqual(
      expect.arrayContaining(['JobStatus', 'DocumentStatus', 'TextSource', 'JobType']),
    );
    const inlineEnums: string[] = [];
    const walk = (node: unknown, path: string): void => {
      if (!node || typeof node !== 'object') return;
      if ('enum' in node && !/^components\.schemas\.[A-Za-z]+$/.test(path)) inlineEnums.push(path);
      for (const [key, value] of Object.entries(node)) walk(value, `${path}.${key}`);
    };
    walk(doc.paths, 'paths');
    walk(doc.components, 'components');
    expect(inlineEnums).toEqual([]);

    const committed = JSON.parse(readFileSync(join(__dirname, '..', '..', 'openapi.json'), 'utf8'));
    // If this fails, the API changed: run `npm run build && npm run openapi` and commit openapi.json.
    expect(doc).toEqual(committed);
  });
});

describe('HTTP API without a worker running', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: { http: true, worker: false }, env: { RATE_LIMIT_PER_MINUTE: '3' } });
  });
  afterAll(() => t.close());

  it('cancels a pending job, and cancelling again leaves it cancelled', async () => {
    const { body } = await t.http
      .post('/classify-documents-async')
      .attach('files', Buffer.from(LETTER_TEXT), 'l.txt')
      .expect(202);
    const cancelled = await t.http.post(`/job/${body.job_id}/cancel`).expect(200);
    expect(cancelled.body).toMatchObject({ job_id: body.job_id, status: 'cancelled' });
    expect((await t.http.post(`/job/${body.job_id}/cancel`).expect(200)).body.status).toBe('cancelled');
    expect((await t.http.get(`/job/${body.job_id}`).expect(200)).body.status).toBe('cancelled');
  });

  it('rate-limits uploads with a 429 that says when to come back', async () => {
    const answers: Array<{ status: number; headers: Record<string, string>; body: Record<string, unknown> }> = [];
    for (let i = 0; i < 4; i++) {
      answers.push(await t.http.post('/classify-documents-async').attach('files', Buffer.from('hello'), 'h.txt'));
    }
    const statuses = answers.map((a) => a.status);
    expect(statuses).toContain(429);
    expect(statuses.filter((s) => s === 202).length).toBeLessThanOrEqual(2);
    const refused = answers.find((a) => a.status === 429)!;
    const retryAfter = Number(refused.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: `too many uploads: 3 a minute for this tenant; try again in ${retryAfter} s`,
    });
  });
});

describe('readiness with the database down', () => {
  let t: TestApp;
  beforeAll(async () => {
    const unreachable = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    t = await startTestApp({
      roles: { http: true, worker: false },
      override: (b) =>
        b.overrideProvider(DbFunctions).useValue({ call: () => Promise.reject(unreachable) } satisfies DbFunctions),
    });
  });
  afterAll(() => t.close());

  it("answers 503 with terminus's report of which check is down, and a message naming it", async () => {
    await t.http.get('/health').expect(200);
    const res = await t.http.get('/health/ready').expect(503);
    expect(res.body).toEqual({
      status: 'error',
      message: 'not ready: database is down (connect ECONNREFUSED 127.0.0.1:5432)',
      info: {},
      error: { database: { status: 'down', message: 'connect ECONNREFUSED 127.0.0.1:5432' } },
      details: { database: { status: 'down', message: 'connect ECONNREFUSED 127.0.0.1:5432' } },
    });
  });
});

describe("the worker's health port (roles: worker and health, no http)", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ roles: { http: false, worker: true, health: true } });
  });
  afterAll(() => t.close());

  it('serves /health and /health/ready and none of the API, though the worker imports the domain modules', async () => {
    await t.http.get('/health').expect(200);
    await t.http.get('/health/ready').expect(200);
    const job = '00000000-0000-4000-8000-000000000000';
    for (const [method, path] of [
      ['get', '/categories'],
      ['get', '/jobs'],
      ['get', `/job/${job}`],
      ['post', `/job/${job}/cancel`],
      ['post', `/job/${job}/documents/0/label`],
      ['post', '/classify-documents-async'],
    ] as const) {
      const res = await t.http[method](path).expect(404);
      expect(res.body.message).toBe(`Cannot ${method.toUpperCase()} ${path}`);
    }
  });
});
