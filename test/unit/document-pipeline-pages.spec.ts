import { Taxonomy } from '../../src/classifier/taxonomy';
import { pngSize } from '../../src/classifier/vision-pages';
import { AppConfig } from '../../src/config/app-config';
import type { ClaimedJob } from '../../src/jobs/job.model';
import { PageImageRenderer } from '../../src/ocr/page-image.renderer';
import { DEFAULT_SANDBOX_LIMITS } from '../../src/ocr/pdf/pdf-sandbox';
import { Logger } from '@nestjs/common';
import { DocumentPipeline, RetryJobLater } from '../../src/worker/document-pipeline';
import { BlobStoreUnavailable } from '../../src/storage/blob-errors';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { FilesystemBlobStore } from '../../src/storage/filesystem.blob-store';
import type { PendingDocument } from '../../src/jobs/job.model';
import { FakeClassifier, FakeExtractor } from '../support/fakes';
import { textImagePng } from '../support/ocr-fixtures';
import { MetricsRegistry } from '../../src/metrics/metrics-registry';
import { WorkerMetrics } from '../../src/metrics/worker-metrics';

const taxonomy = new Taxonomy([{ id: 'receipt', label: 'Receipt', description: 'proof of payment', keywords: [] }]);

const dir = mkdtempSync(join(tmpdir(), 'inbox-pipeline-'));
const blobs = new FilesystemBlobStore(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A document of one file whose bytes are in the blob store. */
async function stored(jobId: string, filename: string, contentType: string, bytes: Buffer): Promise<PendingDocument> {
  const blobKey = `default/${jobId}/0`;
  await blobs.put(blobKey, Readable.from([bytes]));
  return {
    index: 0,
    filePosition: 0,
    pageFrom: 1,
    pageTo: null,
    filename,
    contentType,
    size: bytes.byteLength,
    blobKey,
  };
}

const claimed = (id: string): ClaimedJob => ({
  id,
  tenantId: 'default',
  attempts: 1,
  maxAttempts: 3,
  categories: null,
  documents: [],
  createdAt: new Date(),
  runAt: new Date(),
  claimedAt: new Date(),
  fromPending: true,
});

describe('DocumentPipeline and the classifier', () => {
  it("hands the classifier the extractor's pages and a renderer of the file's own pages", async () => {
    const png = Buffer.from(textImagePng(['TOTAL 12.00'], 1200, 100));
    const extractor = new FakeExtractor({
      'photo.png': async () => ({
        pages: [{ number: 1, text: 'T0TAL', source: 'tesseract', confidence: 0.31 }],
        pageCount: 1,
        warnings: [],
      }),
    });
    const classifier = new FakeClassifier();
    const renderer = new PageImageRenderer({
      maxPixels: 200_000,
      renderDpi: 150,
      pdf: { maxImagePixels: 50_000_000, ...DEFAULT_SANDBOX_LIMITS },
    });
    const pipeline = new DocumentPipeline(
      blobs,
      extractor,
      classifier,
      taxonomy,
      AppConfig.fromEnvironment({}),
      new WorkerMetrics(new MetricsRegistry()),
      renderer,
    );
    const job = claimed('00000000-0000-4000-8000-000000000001');
    const file = await stored(job.id, 'photo.png', 'image/png', png);

    const outcome = await pipeline.process(
      job,
      file,
      { allowed: taxonomy.categories, taxonomy: taxonomy.categories },
      new AbortController().signal,
    );

    expect(outcome?.status).toBe('completed');
    const [input] = classifier.inputs;
    expect(input.pages).toEqual([{ number: 1, text: 'T0TAL', source: 'tesseract', confidence: 0.31 }]);
    const images = await input.pageImages!([1, 2]);
    expect(images.map((i) => i.number)).toEqual([1]);
    const size = pngSize(images[0].png)!;
    expect(size.width * size.height).toBeLessThanOrEqual(200_000);
  });

  it('offers no page images without a renderer (a classifier that does not look)', async () => {
    const classifier = new FakeClassifier();
    const pipeline = new DocumentPipeline(
      blobs,
      new FakeExtractor(),
      classifier,
      taxonomy,
      AppConfig.fromEnvironment({}),
      new WorkerMetrics(new MetricsRegistry()),
    );
    const job = claimed('00000000-0000-4000-8000-000000000002');
    const document = await stored(job.id, 'a.txt', 'text/plain', Buffer.from('receipt total 3.00'));
    await pipeline.process(
      job,
      document,
      { allowed: taxonomy.categories, taxonomy: taxonomy.categories },
      new AbortController().signal,
    );
    expect(classifier.inputs[0].pageImages).toBeUndefined();
  });
});

describe('DocumentPipeline when the file store fails', () => {
  /** A store whose reads fail the way a driver reports it: with a path the tenant must not see. */
  class FailingStore extends FilesystemBlobStore {
    override read(key: string): Promise<Buffer> {
      return Promise.reject(
        new BlobStoreUnavailable(`cannot read blob ${key} in BLOB_DIR /srv/secret-mount/blobs: EIO: i/o error`),
      );
    }
  }

  function pipelineOver(store: FilesystemBlobStore): DocumentPipeline {
    return new DocumentPipeline(
      store,
      new FakeExtractor(),
      new FakeClassifier(),
      taxonomy,
      AppConfig.fromEnvironment({}),
      new WorkerMetrics(new MetricsRegistry()),
    );
  }

  const categories = { allowed: taxonomy.categories, taxonomy: taxonomy.categories };
  const document = (jobId: string): PendingDocument => ({
    index: 0,
    filePosition: 0,
    pageFrom: 1,
    pageTo: null,
    filename: 'a.txt',
    contentType: 'text/plain',
    size: 3,
    blobKey: `default/${jobId}/0`,
  });

  it("retries the job while attempts remain, and records only that the store was unavailable, logging the store's words", async () => {
    const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const pipeline = pipelineOver(new FailingStore(dir));
      const job = claimed('00000000-0000-4000-8000-000000000003');
      const retry = await pipeline
        .process(job, document(job.id), categories, new AbortController().signal)
        .catch((e: unknown) => e);
      expect(retry).toBeInstanceOf(RetryJobLater);
      expect((retry as RetryJobLater).documentError.code).toBe('storage_unavailable');

      const last = { ...claimed('00000000-0000-4000-8000-000000000004'), attempts: 3 };
      const outcome = await pipeline.process(last, document(last.id), categories, new AbortController().signal);
      expect(outcome).toMatchObject({
        status: 'failed',
        error: {
          code: 'storage_unavailable',
          message: 'could not read the stored file: the file store was unavailable',
        },
      });
      expect(JSON.stringify(outcome)).not.toContain('secret-mount');
      expect(warned).toHaveBeenCalledWith(
        expect.objectContaining({ document: 0 }),
        expect.stringContaining('BLOB_DIR /srv/secret-mount/blobs: EIO'),
      );
    } finally {
      warned.mockRestore();
    }
  });
});
