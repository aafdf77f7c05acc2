import { S3Client } from '@aws-sdk/client-s3';
import { TextractClient } from '@aws-sdk/client-textract';
import { PDFDocument } from 'pdf-lib';
import { AppConfig } from '../../src/config/app-config';
import { createOcrComponents } from '../../src/ocr/ocr.factory';
import { TextractAsyncReader } from '../../src/ocr/textract-async.reader';
import { TextractExtractor } from '../../src/ocr/textract.extractor';
import { FAKE_BUCKET, FakeTextractServer } from '../support/fake-textract.server';
import { buildExtractor, input } from '../support/ocr-extractor.builder';
import { mixedPdf, scannedPdf } from '../support/ocr-fixtures';
import { documentError } from '../support/document-error';

jest.setTimeout(60_000);

const server = new FakeTextractServer();
let endpoint: string;
beforeAll(async () => {
  endpoint = await server.start();
});
afterAll(() => server.stop());
beforeEach(() => server.reset());

const credentials = { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' };

function textract(bucket = FAKE_BUCKET): TextractExtractor {
  const retries = { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 };
  const client = new TextractClient({ region: 'eu-west-1', endpoint, maxAttempts: 1, credentials });
  const s3 = new S3Client({ region: 'eu-west-1', endpoint, forcePathStyle: true, maxAttempts: 1, credentials });
  const reader = new TextractAsyncReader(client, s3, {
    ...retries,
    bucket,
    keyPrefix: 'doc-inbox/',
    minPages: 5,
    minBytes: 10 * 1024 * 1024,
    pollFirstDelayMs: 1,
    pollMaxDelayMs: 4,
  });
  return new TextractExtractor(client, { ...retries, concurrency: 2 }, reader);
}

describe('Textract asynchronous path through S3 (real SDK clients, loopback S3 and Textract)', () => {
  it('uploads a long scan, starts one job, polls and pages through the results, then deletes the object', async () => {
    server.nextJob = { inProgressPolls: 2, status: 'SUCCEEDED', blocksPerResponse: 9 };
    const pdf = await scannedPdf(6);
    const result = await buildExtractor(textract()).extract(input(pdf, 'application/pdf'));

    const [put, del] = server.s3.requests;
    expect(put).toMatchObject({ method: 'PUT', bucket: FAKE_BUCKET, bytes: pdf.byteLength });
    expect(put.key).toMatch(/^doc-inbox\/[0-9a-f]{64}-[0-9a-f]{32}\.pdf$/);
    expect(put.authorization).toMatch(/Credential=AKIDTEST\/\d{8}\/eu-west-1\/s3\/aws4_request/);
    expect(del).toMatchObject({ method: 'DELETE', bucket: FAKE_BUCKET, key: put.key });
    expect(server.s3.objects.size).toBe(0);

    expect(server.calls('DetectDocumentText')).toHaveLength(0);
    const [start] = server.calls('StartDocumentTextDetection');
    expect(start.body).toEqual({
      DocumentLocation: { S3Object: { Bucket: FAKE_BUCKET, Name: put.key } },
      // Idempotent start: the same token is in the staged object's key.
      ClientRequestToken: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(put.key).toContain(`-${String(start.body.ClientRequestToken)}.pdf`);
    // Two IN_PROGRESS answers, then 6 pages x 3 blocks = 18 blocks in two answers of 9.
    const gets = server.calls('GetDocumentTextDetection').map((r) => r.body.NextToken);
    expect(gets).toEqual([undefined, undefined, undefined, '9']);

    expect(result.pageCount).toBe(6);
    expect(result.pages.map((p) => p.text)).toEqual([1, 2, 3, 4, 5, 6].map((n) => `PAGE ${n} OF 6\nSECOND LINE ${n}`));
    expect(result.pages.every((p) => p.source === 'textract' && p.confidence === 0.985)).toBe(true);
  });

  it('sends only the scanned pages of a mixed PDF, and maps the results back to their page numbers', async () => {
    const doc = await PDFDocument.load(await mixedPdf('This first page has a real text layer with words', ['SCAN']));
    for (const copy of await doc.copyPages(doc, [1, 1, 1, 1])) doc.addPage(copy);
    const result = await buildExtractor(textract()).extract(input(await doc.save(), 'application/pdf'));

    const staged = server.s3.requests[0];
    expect(staged.method).toBe('PUT');
    expect(result.pages.map((p) => p.source)).toEqual(['text-layer', ...Array(5).fill('textract')]);
    expect(result.pages[1].text).toBe('PAGE 1 OF 5\nSECOND LINE 1');
    expect(result.pages[5].text).toBe('PAGE 5 OF 5\nSECOND LINE 5');
  });

  it('keeps short scans on the synchronous API', async () => {
    await buildExtractor(textract()).extract(input(await scannedPdf(3), 'application/pdf'));
    expect(server.calls('DetectDocumentText')).toHaveLength(3);
    expect(server.s3.requests).toHaveLength(0);
  });

  it('turns a FAILED job into textract_rejected and still deletes the object', async () => {
    server.nextJob = {
      inProgressPolls: 1,
      status: 'FAILED',
      blocksPerResponse: 1000,
      statusMessage: 'unsupported format',
    };
    const error = await documentError(
      buildExtractor(textract()).extract(input(await scannedPdf(5), 'application/pdf')),
    );
    expect(error).toMatchObject({ code: 'textract_rejected', retryable: false });
    expect(error.message).toContain('unsupported format');
    expect(server.s3.requests.map((r) => r.method)).toEqual(['PUT', 'DELETE']);
    expect(server.s3.objects.size).toBe(0);
  });

  it('reports a missing bucket as our set-up (the job is retried later) without starting a job', async () => {
    const error = await documentError(
      buildExtractor(textract('no-such-bucket')).extract(input(await scannedPdf(5), 'application/pdf')),
    );
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    expect(error.message).toContain('NoSuchBucket');
    expect(error.message).toContain('credentials or configuration');
    expect(server.calls('StartDocumentTextDetection')).toHaveLength(0);
  });

  it('stops polling when the per-file signal fires, and deletes the object', async () => {
    server.nextJob = { inProgressPolls: Number.MAX_SAFE_INTEGER, status: 'SUCCEEDED', blocksPerResponse: 1000 };
    const controller = new AbortController();
    const extraction = buildExtractor(textract()).extract({
      bytes: await scannedPdf(5),
      contentType: 'application/pdf',
      filename: 'long.pdf',
      signal: controller.signal,
    });
    // Abort once the job is being polled (checked by the server's record, not by a clock).
    while (server.calls('GetDocumentTextDetection').length < 3) await new Promise((r) => setImmediate(r));
    controller.abort();
    expect((await documentError(extraction)).code).toBe('timeout');
    while (server.s3.requests.length < 2) await new Promise((r) => setImmediate(r));
    expect(server.s3.requests.map((r) => r.method)).toEqual(['PUT', 'DELETE']);
  });

  it('is built by the OCR factory from TEXTRACT_S3_BUCKET, with path-style S3 on S3_ENDPOINT', async () => {
    const saved = { ...process.env };
    // The SDK's credential chain reads the process environment; the adapter itself never does.
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDFACTORY', AWS_SECRET_ACCESS_KEY: 'factory-secret' });
    try {
      const config = AppConfig.fromEnvironment({
        OCR_PROVIDER: 'textract',
        AWS_REGION: 'eu-west-1',
        TEXTRACT_ENDPOINT: endpoint,
        TEXTRACT_S3_BUCKET: FAKE_BUCKET,
        S3_ENDPOINT: endpoint,
      });
      const { extractor, engine } = createOcrComponents(config);
      server.nextJob = { inProgressPolls: 0, status: 'SUCCEEDED', blocksPerResponse: 1000 };
      const result = await extractor.extract(input(await scannedPdf(5), 'application/pdf'));
      await engine?.close();
      expect(server.s3.requests[0]).toMatchObject({ method: 'PUT', bucket: FAKE_BUCKET });
      expect(server.s3.requests[0].authorization).toContain('Credential=AKIDFACTORY/');
      expect(result.pages[4].text).toBe('PAGE 5 OF 5\nSECOND LINE 5');
    } finally {
      process.env = saved;
    }
  });
});
