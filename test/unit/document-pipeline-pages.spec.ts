import { Taxonomy } from '../../src/classifier/taxonomy';
import { pngSize } from '../../src/classifier/vision-pages';
import { AppConfig } from '../../src/config/app-config';
import type { ClaimedJob } from '../../src/jobs/job.model';
import { PageImageRenderer } from '../../src/ocr/page-image.renderer';
import { DEFAULT_SANDBOX_LIMITS } from '../../src/ocr/pdf/pdf-sandbox';
import { DocumentPipeline } from '../../src/worker/document-pipeline';
import { FakeClassifier, FakeExtractor, InMemoryJobStore } from '../support/fakes';
import { textImagePng } from '../support/ocr-fixtures';

const taxonomy = new Taxonomy([{ id: 'receipt', label: 'Receipt', description: 'proof of payment', keywords: [] }]);

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
      new InMemoryJobStore(),
      extractor,
      classifier,
      taxonomy,
      AppConfig.fromEnvironment({}),
      renderer,
    );
    const job: ClaimedJob = { id: 'job-1', attempts: 1, maxAttempts: 3, categories: null, pendingFiles: [] };
    const file = { position: 0, filename: 'photo.png', contentType: 'image/png', size: png.byteLength, bytes: png };

    const outcome = await pipeline.process(job, file, taxonomy.categories, new AbortController().signal);

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
      new InMemoryJobStore(),
      new FakeExtractor(),
      classifier,
      taxonomy,
      AppConfig.fromEnvironment({}),
    );
    const job: ClaimedJob = { id: 'job-2', attempts: 1, maxAttempts: 3, categories: null, pendingFiles: [] };
    const bytes = Buffer.from('receipt total 3.00');
    await pipeline.process(
      job,
      { position: 0, filename: 'a.txt', contentType: 'text/plain', size: bytes.byteLength, bytes },
      taxonomy.categories,
      new AbortController().signal,
    );
    expect(classifier.inputs[0].pageImages).toBeUndefined();
  });
});
