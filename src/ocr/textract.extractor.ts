import { DetectDocumentTextCommand, TextractClient } from '@aws-sdk/client-textract';
import pLimit, { LimitFunction } from 'p-limit';
import { DocumentError } from '../common/document-error';
import { OcrEngine, OcrPageInput, OcrPageResult, ScannedPdf } from './ocr-engine.port';
import { TextractAsyncReader } from './textract-async.reader';
import { RetrySettings, withRetries } from './textract.retry';
import { linesInReadingOrder } from './textract-lines';

export interface TextractSettings extends RetrySettings {
  /** Textract calls in flight at once, across all documents of this process. */
  concurrency: number;
}

/** DetectDocumentText takes at most 10 MB of Bytes (images, and PDFs of one page). */
export const TEXTRACT_SYNC_MAX_BYTES = 10 * 1024 * 1024;

/**
 * OCR with AWS Textract, one page per DetectDocumentText call: images as they are, scanned PDF
 * pages as single-page PDFs; with an S3 bucket, long or large scans go as one asynchronous job
 * (TextractAsyncReader). Throttling, 5xx and network failures are retried with backoff;
 * document problems become textract_rejected at once.
 */
export class TextractExtractor extends OcrEngine {
  readonly source = 'textract' as const;
  readonly pdfPageInput = 'pdf' as const;
  readonly maxInputBytes = TEXTRACT_SYNC_MAX_BYTES;
  private readonly limit: LimitFunction;

  constructor(
    private readonly client: TextractClient,
    private readonly settings: TextractSettings,
    /** The S3 path for long or large scans; without it every page goes through the sync API. */
    private readonly documents?: TextractAsyncReader,
  ) {
    super();
    this.limit = pLimit(settings.concurrency);
  }

  get parallelism(): number {
    return this.settings.concurrency;
  }

  recognize(page: OcrPageInput, signal: AbortSignal): Promise<OcrPageResult> {
    if (page.bytes.byteLength > TEXTRACT_SYNC_MAX_BYTES) {
      return Promise.reject(
        new DocumentError(
          'textract_rejected',
          `The page is ${page.bytes.byteLength} bytes; Textract takes at most 10 MB per page`,
        ),
      );
    }
    return this.limit(() => this.detectWithRetries(page.bytes, signal));
  }

  override readsWholeDocument(scan: ScannedPdf): boolean {
    return this.documents?.wants(scan) ?? false;
  }

  /** Not under the sync call limit: the job waits on Textract, not on a request slot. */
  override recognizeDocument(pdf: Uint8Array, signal: AbortSignal): Promise<OcrPageResult[]> {
    if (!this.documents) return super.recognizeDocument(pdf, signal);
    return this.documents.read(pdf, signal);
  }

  close(): Promise<void> {
    this.client.destroy();
    this.documents?.close();
    return Promise.resolve();
  }

  private async detectWithRetries(bytes: Uint8Array, signal: AbortSignal): Promise<OcrPageResult> {
    const out = await withRetries(
      () => this.client.send(new DetectDocumentTextCommand({ Document: { Bytes: bytes } }), { abortSignal: signal }),
      this.settings,
      signal,
    );
    return linesInReadingOrder(out.Blocks ?? []);
  }
}
