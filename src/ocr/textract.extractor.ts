import { setTimeout as sleep } from 'node:timers/promises';
import { DetectDocumentTextCommand, TextractClient } from '@aws-sdk/client-textract';
import pLimit, { LimitFunction } from 'p-limit';
import { DocumentError } from '../common/document-error';
import { abortError } from './abort';
import { OcrEngine, OcrPageInput, OcrPageResult } from './ocr-engine.port';
import { AwsLikeError, isRetryable, toDocumentError } from './textract.errors';
import { linesInReadingOrder } from './textract-lines';

export interface TextractSettings {
  /** Textract calls in flight at once, across all documents of this process. */
  concurrency: number;
  /** Attempts per page, the first included. */
  maxAttempts: number;
  /** Exponential backoff with full jitter: random(0, min(maxDelayMs, baseDelayMs * 2^attempt)). */
  baseDelayMs: number;
  maxDelayMs: number;
}

/** DetectDocumentText takes at most 10 MB of Bytes (images, and PDFs of one page). */
export const TEXTRACT_SYNC_MAX_BYTES = 10 * 1024 * 1024;

/**
 * OCR with AWS Textract, one page per DetectDocumentText call: images as they are, scanned PDF
 * pages as single-page PDFs. Throttling, 5xx and network failures are retried with backoff;
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

  close(): Promise<void> {
    this.client.destroy();
    return Promise.resolve();
  }

  private async detectWithRetries(bytes: Uint8Array, signal: AbortSignal): Promise<OcrPageResult> {
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) throw abortError(signal);
      try {
        const out = await this.client.send(new DetectDocumentTextCommand({ Document: { Bytes: bytes } }), {
          abortSignal: signal,
        });
        return linesInReadingOrder(out.Blocks ?? []);
      } catch (error) {
        if (signal.aborted) throw abortError(signal);
        const aws = error as AwsLikeError;
        if (!isRetryable(aws) || attempt >= this.settings.maxAttempts) throw toDocumentError(aws, attempt);
        const ceiling = Math.min(this.settings.maxDelayMs, this.settings.baseDelayMs * 2 ** (attempt - 1));
        await sleep(Math.random() * ceiling, undefined, { signal }).catch(() => undefined);
      }
    }
  }
}
