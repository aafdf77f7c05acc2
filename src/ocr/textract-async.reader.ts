import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  Block,
  GetDocumentTextDetectionCommand,
  GetDocumentTextDetectionCommandOutput,
  StartDocumentTextDetectionCommand,
  TextractClient,
} from '@aws-sdk/client-textract';
import { DocumentError } from '../common/document-error';
import { abortError } from '../common/abort';
import type { OcrPageResult, ScannedPdf } from './ocr-engine.port';
import { AwsLikeError, isMisconfigured, isRetryable, misconfiguredError } from './textract.errors';
import { RetrySettings, withRetries } from './textract.retry';
import { linesInReadingOrder } from './textract-lines';

export interface TextractAsyncSettings extends RetrySettings {
  bucket: string;
  /** Objects are staged as <keyPrefix><sha256>-<random>.pdf and deleted afterwards. */
  keyPrefix: string;
  /** Scans of at least this many pages go through S3 in one job instead of page by page. */
  minPages: number;
  /** Files bigger than this go through S3 whatever their page count (the sync API takes 10 MB). */
  minBytes: number;
  /** Polling backoff: first wait, doubled after every IN_PROGRESS answer up to the maximum. */
  pollFirstDelayMs: number;
  pollMaxDelayMs: number;
}

/**
 * Textract's asynchronous text detection for long or large scanned PDFs: PutObject to S3,
 * StartDocumentTextDetection, GetDocumentTextDetection polled until the job ends and then paged
 * through with NextToken, and the object deleted (best effort). The per-file signal bounds it all.
 */
export class TextractAsyncReader {
  constructor(
    private readonly textract: TextractClient,
    private readonly s3: S3Client,
    private readonly settings: TextractAsyncSettings,
  ) {}

  wants(scan: ScannedPdf): boolean {
    return scan.pages >= this.settings.minPages || scan.bytes > this.settings.minBytes;
  }

  async read(pdf: Uint8Array, signal: AbortSignal): Promise<OcrPageResult[]> {
    // Random: two jobs of the same file must not delete each other's object. Also the
    // ClientRequestToken, so a retried Start after a lost answer does not start a second job.
    const token = randomBytes(16).toString('hex');
    const key = `${this.settings.keyPrefix}${createHash('sha256').update(pdf).digest('hex')}-${token}.pdf`;
    await withRetries(
      () =>
        this.s3.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: key, Body: pdf }), {
          abortSignal: signal,
        }),
      this.settings,
      signal,
      s3Error,
    );
    try {
      const { JobId } = await withRetries(
        () =>
          this.textract.send(
            new StartDocumentTextDetectionCommand({
              DocumentLocation: { S3Object: { Bucket: this.settings.bucket, Name: key } },
              ClientRequestToken: token,
            }),
            { abortSignal: signal },
          ),
        this.settings,
        signal,
      );
      if (!JobId) throw new DocumentError('provider_unavailable', 'Textract started no job (no JobId in its answer)');
      return await this.results(JobId, signal);
    } finally {
      // Not tied to the signal: the object should go even when the file timed out.
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key })).catch(() => undefined);
    }
  }

  close(): void {
    this.s3.destroy();
  }

  private async results(jobId: string, signal: AbortSignal): Promise<OcrPageResult[]> {
    const blocks: Block[] = [];
    let pageCount = 0;
    let nextToken: string | undefined;
    let delay = this.settings.pollFirstDelayMs;
    for (;;) {
      const out: GetDocumentTextDetectionCommandOutput = await withRetries(
        () =>
          this.textract.send(
            new GetDocumentTextDetectionCommand({ JobId: jobId, MaxResults: 1000, NextToken: nextToken }),
            {
              abortSignal: signal,
            },
          ),
        this.settings,
        signal,
      );
      if (out.JobStatus === 'IN_PROGRESS') {
        await sleep(delay, undefined, { signal }).catch(() => {
          throw abortError(signal);
        });
        delay = Math.min(this.settings.pollMaxDelayMs, delay * 2);
        continue;
      }
      if (out.JobStatus === 'FAILED') {
        throw new DocumentError(
          'textract_rejected',
          `Textract could not read the document: ${out.StatusMessage ?? 'job failed'}`,
        );
      }
      // SUCCEEDED, or PARTIAL_SUCCESS: pages it could not read come back empty.
      pageCount = Math.max(pageCount, out.DocumentMetadata?.Pages ?? 0);
      blocks.push(...(out.Blocks ?? []));
      nextToken = out.NextToken;
      if (!nextToken) return pagesOf(blocks, pageCount);
    }
  }
}

/** LINE blocks grouped by their Page (1-based), each page in reading order. */
function pagesOf(blocks: Block[], declaredPages: number): OcrPageResult[] {
  const byPage = new Map<number, Block[]>();
  for (const block of blocks) {
    const page = block.Page ?? 1;
    const list = byPage.get(page);
    if (list) list.push(block);
    else byPage.set(page, [block]);
  }
  const count = Math.max(declaredPages, ...byPage.keys(), 0);
  return Array.from({ length: count }, (_, i) => linesInReadingOrder(byPage.get(i + 1) ?? []));
}

function s3Error(error: AwsLikeError, attempts: number): DocumentError {
  const detail = `${error.name ?? 'Error'}${error.message ? `: ${error.message}` : ''}`;
  if (isMisconfigured(error)) return misconfiguredError(detail);
  const retryable = isRetryable(error);
  const tries = retryable ? ` after ${attempts} attempts` : '';
  return new DocumentError('provider_unavailable', `Staging the document in S3 failed${tries} (${detail})`, retryable);
}
