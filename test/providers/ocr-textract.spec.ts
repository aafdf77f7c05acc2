import { TextractClient } from '@aws-sdk/client-textract';
import { DocumentError } from '../../src/common/document-error';
import { TextractExtractor } from '../../src/ocr/textract.extractor';
import { documentError } from '../support/document-error';
import { FakeTextractServer } from '../support/fake-textract.server';
import { buildExtractor, input } from '../support/ocr-extractor.builder';
import { ownerPasswordPdf } from '../support/owner-password-pdf';
import { mixedPdf, scannedPdf, textImagePng, textPdf } from '../support/ocr-fixtures';
import { PDFDocument } from 'pdf-lib';

jest.setTimeout(60_000);

const server = new FakeTextractServer();
let endpoint: string;
beforeAll(async () => {
  endpoint = await server.start();
});
afterAll(() => server.stop());
beforeEach(() => server.reset());

function textract(maxAttempts = 3): TextractExtractor {
  const client = new TextractClient({
    region: 'eu-west-1',
    endpoint,
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test-secret' },
  });
  return new TextractExtractor(client, { concurrency: 2, maxAttempts, baseDelayMs: 1, maxDelayMs: 5 });
}

describe('Textract through the real SDK client against a loopback Textract', () => {
  it('sends an image with DetectDocumentText, signed, and assembles LINE blocks in reading order', async () => {
    server.script.push({ lines: ['INVOICE 42', 'Total due 100 EUR'] });
    const png = textImagePng(['INVOICE 42']);
    const result = await buildExtractor(textract()).extract(input(png, 'image/png'));
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request.target).toBe('Textract.DetectDocumentText');
    expect(request.contentType).toBe('application/x-amz-json-1.1');
    expect(request.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDTEST\/\d{8}\/eu-west-1\/textract\/aws4_request/,
    );
    expect(request.documentBytes.subarray(1, 4).toString()).toBe('PNG');
    expect(result.pages).toEqual([
      { number: 1, text: 'INVOICE 42\nTotal due 100 EUR', source: 'textract', confidence: 0.985 },
    ]);
  });

  it('splits a multi-page scanned PDF into single-page PDFs, one call per page', async () => {
    const result = await buildExtractor(textract()).extract(input(await scannedPdf(3), 'application/pdf'));
    expect(server.requests).toHaveLength(3);
    for (const request of server.requests) {
      const page = await PDFDocument.load(request.documentBytes);
      expect(page.getPageCount()).toBe(1);
    }
    expect(result.pageCount).toBe(3);
    expect(result.pages.map((p) => [p.number, p.source])).toEqual([
      [1, 'textract'],
      [2, 'textract'],
      [3, 'textract'],
    ]);
  });

  it('keeps text-layer pages local and sends only the scanned page', async () => {
    const pdf = await mixedPdf('This first page has a real text layer with words', ['SCANNED PAGE']);
    const result = await buildExtractor(textract()).extract(input(pdf, 'application/pdf'));
    expect(server.requests).toHaveLength(1);
    expect(result.pages.map((p) => p.source)).toEqual(['text-layer', 'textract']);
  });

  it('sends the scanned page of an owner-password PDF rendered, since pdf-lib cannot split it', async () => {
    const pdf = await ownerPasswordPdf(await mixedPdf('This first page has a real text layer with words', ['SCAN']));
    server.script.push({ lines: ['SCAN'] });
    const result = await buildExtractor(textract()).extract(input(pdf, 'application/pdf'));
    expect(result.pages.map((p) => [p.source, p.text])).toEqual([
      ['text-layer', 'This first page has a real text layer with words'],
      ['textract', 'SCAN'],
    ]);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0].documentBytes.subarray(1, 4).toString()).toBe('PNG');
  });

  it('does not call Textract for a digital PDF', async () => {
    await buildExtractor(textract()).extract(
      input(await textPdf(['A digital page with plenty of text on it']), 'application/pdf'),
    );
    expect(server.requests).toHaveLength(0);
  });

  it('retries throttling and 5xx, then succeeds', async () => {
    server.script.push(
      { status: 400, type: 'ThrottlingException', message: 'Rate exceeded' },
      { status: 500, type: 'InternalServerError', message: 'oops' },
      { lines: ['AFTER RETRIES'] },
    );
    const result = await buildExtractor(textract(3)).extract(input(textImagePng(['X']), 'image/png'));
    expect(server.requests).toHaveLength(3);
    expect(result.pages[0].text).toBe('AFTER RETRIES');
  });

  it.each(['ThrottlingException', 'ProvisionedThroughputExceededException', 'LimitExceededException'])(
    'gives up on %s after the last attempt with a retryable provider_unavailable',
    async (type) => {
      for (let i = 0; i < 3; i++) server.script.push({ status: 400, type, message: 'slow down' });
      const error = await buildExtractor(textract(3))
        .extract(input(textImagePng(['X']), 'image/png'))
        .catch((e: unknown) => e);
      expect(server.requests).toHaveLength(3);
      expect(error).toBeInstanceOf(DocumentError);
      expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
    },
  );

  it('gives up on repeated 503s with a retryable provider_unavailable', async () => {
    for (let i = 0; i < 2; i++)
      server.script.push({ status: 503, type: 'ServiceUnavailableException', message: 'down' });
    const error = await buildExtractor(textract(2))
      .extract(input(textImagePng(['X']), 'image/png'))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
  });

  it.each([
    'InvalidParameterException',
    'UnsupportedDocumentException',
    'BadDocumentException',
    'DocumentTooLargeException',
  ])('turns %s into textract_rejected without retrying', async (type) => {
    server.script.push({ status: 400, type, message: 'no' });
    const error = await buildExtractor(textract(3))
      .extract(input(textImagePng(['X']), 'image/png'))
      .catch((e: unknown) => e);
    expect(server.requests).toHaveLength(1);
    expect(error).toBeInstanceOf(DocumentError);
    expect(error).toMatchObject({ code: 'textract_rejected', retryable: false });
    expect((error as DocumentError).message).toContain(type);
  });

  it.each(['AccessDeniedException', 'ExpiredTokenException', 'UnrecognizedClientException'])(
    'treats %s as our set-up, not the document: no immediate retry, the job is retried later',
    async (type) => {
      server.script.push({ status: 400, type, message: 'not allowed' });
      const error = await documentError(buildExtractor(textract(3)).extract(input(textImagePng(['X']), 'image/png')));
      expect(server.requests).toHaveLength(1);
      expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
      expect(error.message).toContain('credentials or configuration');
    },
  );

  it('reports an unreachable endpoint as retryable provider_unavailable', async () => {
    const client = new TextractClient({
      region: 'eu-west-1',
      endpoint: 'http://127.0.0.1:9',
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' },
    });
    const engine = new TextractExtractor(client, { concurrency: 1, maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 2 });
    const error = await buildExtractor(engine)
      .extract(input(textImagePng(['X']), 'image/png'))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true });
  });
});
