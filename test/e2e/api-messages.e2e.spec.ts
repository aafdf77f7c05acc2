import { startTestApp, waitForJob, type TestApp } from '../support/test-app';

const INVOICE_TEXT = [
  'INVOICE',
  'Invoice number: INV-2026-0042',
  'Bill to: Contoso Ltd',
  'Subtotal 1200.00   VAT 21% 252.00   Total due EUR 1452.00',
  'Payment terms: 30 days. Please pay by bank transfer.',
].join('\n');
const utf16be = (s: string) => Buffer.from(s, 'utf16le').swap16();

/** The messages a new user meets, each saying what was wrong and what to do (issue 11, item 8). */
describe('error messages say what to do', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { UPLOAD_MAX_FILE_MB: '1' } });
  }, 120_000); // an embedded database boots slowly on a busy machine
  afterAll(() => t.close());

  const jobCount = async () => (await t.http.get('/jobs?limit=100').expect(200)).body.jobs.length as number;

  it('?limit=abc gets one message with the range, and a repeated cursor one message, not a rule per line', async () => {
    expect((await t.http.get('/jobs?limit=abc').expect(400)).body).toEqual({
      statusCode: 400,
      error: 'Bad Request',
      message: 'limit must be an integer from 1 to 100',
    });
    expect((await t.http.get('/jobs?cursor=a&cursor=b').expect(400)).body.message).toBe('cursor must be a string');
    expect((await t.http.get('/jobs?cursor=nonsense').expect(400)).body.message).toBe(
      'cursor is not one this API returned; pass the next_cursor of the previous page',
    );
  });

  it('a label body without a label gets one message naming where the ids are', async () => {
    const res = await t.http.post('/job/6f1c2b9e-2a5e-4d7f-9a43-2f7b8e3c1d10/documents/0/label').send({}).expect(400);
    expect(res.body.message).toBe('label must be a category id from GET /categories (such as "invoice") or \'other\'');
  });

  it('a 404 for a 10,000-character id echoes only its start', async () => {
    const res = await t.http.get(`/job/${'z'.repeat(10_000)}`).expect(404);
    expect(res.body.message).toBe(`job ${'z'.repeat(64)}… (10000 characters) not found`);
  });

  it.each([
    ['a JSON body', 'application/json', JSON.stringify({ files: ['invoice.pdf'] })],
    ['a raw file', 'application/pdf', '%PDF-1.7 ...'],
    ['a urlencoded form', 'application/x-www-form-urlencoded', 'files=invoice.pdf'],
  ])('an upload sent as %s gets a 415 saying to send multipart files', async (_name, type, body) => {
    const before = await jobCount();
    const res = await t.http.post('/classify-documents-async').set('content-type', type).send(body).expect(415);
    expect(res.body).toEqual({
      statusCode: 415,
      error: 'Unsupported Media Type',
      message: `the request body is ${type}; send the files as multipart/form-data in a field named 'files' (curl -F files=@invoice.pdf)`,
    });
    expect(await jobCount()).toBe(before);
  });

  it('a 413 names the file that is too large and the limit', async () => {
    const res = await t.http
      .post('/classify-documents-async')
      .attach('files', Buffer.from(INVOICE_TEXT), 'small.txt')
      .attach('files', Buffer.alloc(1024 * 1024 + 1, 'a'), 'scan-2026-03.txt')
      .expect(413);
    expect(res.body.message).toBe("file 'scan-2026-03.txt' is larger than the upload limit of 1 MB per file");
  });

  it.each(['other', 'invoice,other'])("categories=%s says 'other' is implied", async (categories) => {
    const before = await jobCount();
    const res = await t.http
      .post('/classify-documents-async')
      .field('categories', categories)
      .attach('files', Buffer.from(INVOICE_TEXT), 'x.txt')
      .expect(400);
    expect(res.body.message).toBe(
      "'other' is always implied; list only the types you want in categories (see GET /categories)",
    );
    expect(await jobCount()).toBe(before);
  });

  it.each([
    ['UTF-16LE with a BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(INVOICE_TEXT, 'utf16le')])],
    ['UTF-16BE with a BOM', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(INVOICE_TEXT)])],
    ['UTF-16LE without a BOM', Buffer.from(INVOICE_TEXT, 'utf16le')],
  ])(
    'a %s text file is read and classified, not refused',
    async (_name, bytes) => {
      const res = await t.http.post('/classify-documents-async').attach('files', bytes, 'invoice.txt').expect(202);
      const job = await waitForJob(t, res.body.job_id);
      expect(job.result.documents[0]).toMatchObject({
        status: 'completed',
        document_type: 'invoice',
        text_sources: ['plain-text'],
      });
    },
    60_000,
  );
});
