import { S3Client } from '@aws-sdk/client-s3';
import { TextractClient } from '@aws-sdk/client-textract';
import { AppConfig } from '../config/app-config';
import { DocumentTextExtractor } from './document-text.extractor';
import { ImageNormalizer } from './image.normalizer';
import { OcrEngine } from './ocr-engine.port';
import { DEFAULT_PADDLE_SETTINGS, PaddleOcrEngine } from './paddle.ocr-engine';
import { DEFAULT_SANDBOX_LIMITS } from './pdf/pdf-sandbox';
import { DEFAULT_PDF_THREAD_POOL, PdfThreadPool } from './pdf/pdf-thread-pool';
import { PreparationSettings, PreparingOcrEngine } from './preparing.ocr-engine';
import { languageDataFile } from './tesseract-language.data';
import { TesseractOcrEngine } from './tesseract.ocr-engine';
import type { RetrySettings } from './textract.retry';
import { TextractAsyncReader, TextractAsyncSettings } from './textract-async.reader';
import { TEXTRACT_SYNC_MAX_BYTES, TextractExtractor } from './textract.extractor';

/** ~A4 at 300 DPI; a page image bigger than this only slows OCR down. */
const MAX_OCR_PIXELS = 9_000_000;

/**
 * Smaller images are upscaled (at most 3x) to this long side: small print reads better larger.
 * bench:cer with tesseract on the SROIE receipts: 1500 px 0.1263, 2000 px 0.1236, 2400 px 0.1327.
 * (PaddleOCR scales its input to 1280 px itself.)
 */
const MIN_OCR_LONG_SIDE = 2000;

/**
 * Scans of 5+ pages or over the 10 MB sync limit go through S3: one upload and a few polls beat
 * a call per page there, while short scans get their text sooner from the sync API.
 */
const TEXTRACT_ASYNC_DEFAULTS: Omit<TextractAsyncSettings, 'bucket' | keyof RetrySettings> = {
  keyPrefix: 'doc-inbox/',
  minPages: 5,
  minBytes: TEXTRACT_SYNC_MAX_BYTES,
  pollFirstDelayMs: 1000,
  pollMaxDelayMs: 10_000,
};

/** What the factory built; a class so Nest can inject it by type. */
export class OcrComponents {
  constructor(
    readonly extractor: DocumentTextExtractor,
    /** The engine itself (the extractor may reach it through image preparation); null when OCR is off; closed on shutdown. */
    readonly engine: OcrEngine | null,
    /** The extractor's warm PDF threads; closed on shutdown. */
    readonly pdfThreads: PdfThreadPool,
  ) {}

  async close(): Promise<void> {
    await Promise.all([this.engine?.close(), this.pdfThreads.close()]);
  }
}

/**
 * How local engines get their page images (page-preparation; chosen with bench:cer and
 * bench:ocr-reads): the page as normalised first; when that reads poorly, turned level (if it
 * is slanted), levels stretched, then (tesseract only: it made PaddleOCR's readings worse) an
 * adaptive threshold, keeping the best reading; no retry starts after 15 s on one page.
 * Confidence scales differ: tesseract's good pages read at 0.6-0.8, PaddleOCR's at 0.9+.
 * Textract gets the page as it is.
 */
export const LOCAL_OCR_PREPARATION: Record<'tesseract' | 'paddle', PreparationSettings> = {
  tesseract: {
    first: 'as-is',
    retries: ['deskewed', 'contrast', 'binarised'],
    poor: { minConfidence: 0.45, checkWords: true },
    retryBudgetMs: 15_000,
  },
  paddle: {
    first: 'as-is',
    retries: ['deskewed', 'contrast'],
    poor: { minConfidence: 0.8, checkWords: false },
    retryBudgetMs: 15_000,
  },
};

/** The one place the OCR provider is chosen ('auto' was resolved by AppConfig). */
export function createOcrComponents(config: AppConfig): OcrComponents {
  const engine = createOcrEngine(config);
  const preparation = engine && engine.source !== 'textract' ? LOCAL_OCR_PREPARATION[engine.source] : undefined;
  const { maxPages, maxImagePixels } = config.limits;
  // As many warm PDF threads as documents the worker reads at once.
  const pdfThreads = new PdfThreadPool({ ...DEFAULT_PDF_THREAD_POOL, maxIdle: Math.max(1, config.worker.concurrency) });
  const extractor = new DocumentTextExtractor(
    {
      maxPages,
      minTextLayerChars: 20,
      renderDpi: 300,
      maxRenderPixels: Math.min(maxImagePixels, MAX_OCR_PIXELS),
      pdf: { maxImagePixels, ...DEFAULT_SANDBOX_LIMITS },
    },
    new ImageNormalizer({
      maxImagePixels,
      maxOcrPixels: Math.min(maxImagePixels, MAX_OCR_PIXELS),
      minLongSide: MIN_OCR_LONG_SIDE,
    }),
    engine && preparation ? new PreparingOcrEngine(engine, preparation) : engine,
    pdfThreads,
  );
  return new OcrComponents(extractor, engine, pdfThreads);
}

function createOcrEngine(config: AppConfig): OcrEngine | null {
  const { ocr } = config;
  switch (ocr.provider) {
    case 'none':
      return null;
    case 'paddle':
      return new PaddleOcrEngine({ workers: ocr.workers, ...DEFAULT_PADDLE_SETTINGS });
    case 'tesseract':
      // A language whose package is missing stops the boot, not every scan later.
      for (const code of ocr.languages) languageDataFile(code, 'lstm');
      languageDataFile('osd', 'legacy');
      return new TesseractOcrEngine({ languages: ocr.languages, workers: ocr.workers });
    case 'textract': {
      // Retries are ours (textract.retry), so the SDKs make exactly one attempt per call.
      // A stalled socket fails the call (and is retried) instead of eating the per-file time.
      const requestHandler = { connectionTimeout: 5_000, requestTimeout: 60_000, throwOnRequestTimeout: true };
      const aws = { region: ocr.awsRegion, endpoint: ocr.textractEndpoint, maxAttempts: 1, requestHandler };
      const retries = { maxAttempts: 5, baseDelayMs: 200, maxDelayMs: 5000 };
      const textract = new TextractClient(aws);
      const documents = ocr.textractS3Bucket
        ? new TextractAsyncReader(
            textract,
            // Its own endpoint (never Textract's VPC endpoint); a custom one has no virtual-host
            // buckets, so path style.
            new S3Client({
              region: ocr.awsRegion,
              endpoint: ocr.s3Endpoint,
              forcePathStyle: Boolean(ocr.s3Endpoint),
              maxAttempts: 1,
              requestHandler,
            }),
            { ...retries, bucket: ocr.textractS3Bucket, ...TEXTRACT_ASYNC_DEFAULTS },
          )
        : undefined;
      return new TextractExtractor(textract, { ...retries, concurrency: 4 }, documents);
    }
  }
}
