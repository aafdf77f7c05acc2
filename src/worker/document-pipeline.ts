import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { Classifier, type TokenUsage } from '../classifier/classifier.port';
import { Taxonomy, type Category } from '../classifier/taxonomy';
import { TenantTaxonomies } from '../classifier/tenant-taxonomies';
import { abortRace } from '../common/abort';
import { DocumentError } from '../common/document-error';
import { AppConfig } from '../config/app-config';
import { WorkerMetrics } from '../metrics/worker-metrics';
import type { ClaimedJob, DocumentOutcome, DocumentResult, PendingDocument } from '../jobs/job.model';
import { PageImageRenderer } from '../ocr/page-image.renderer';
import { TextExtractor } from '../ocr/text-extractor.port';
import { BlobNotFound } from '../storage/blob-errors';
import { BlobStore, readBlob } from '../storage/blob-store.port';

/** What a job's documents are classified into. */
export interface JobCategories {
  /** The categories allowed for the job's documents. */
  allowed: readonly Category[];
  /** The tenant's whole taxonomy (its own, or the service's). */
  taxonomy: readonly Category[];
}

/** Thrown to give the whole job back for a later attempt (a provider is down, not the file bad). */
export class RetryJobLater extends Error {
  constructor(readonly documentError: DocumentError) {
    super(documentError.message);
    this.name = 'RetryJobLater';
  }
}

/**
 * One document, start to finish: bytes -> text (TextExtractor) -> label (Classifier). Whatever
 * goes wrong with the document becomes its outcome; only a job-wide cause escapes, as
 * RetryJobLater.
 */
@Injectable()
export class DocumentPipeline {
  private readonly logger = new Logger('Worker');

  constructor(
    private readonly blobs: BlobStore,
    private readonly extractor: TextExtractor,
    private readonly classifier: Classifier,
    private readonly taxonomy: Taxonomy,
    private readonly config: AppConfig,
    private readonly metrics: WorkerMetrics,
    /** Page images for a classifier that looks at pages; absent: none are offered. */
    @Optional() @Inject(PageImageRenderer) private readonly pageImages: PageImageRenderer | null = null,
    /** Each tenant's own taxonomy; absent (unit tests): `taxonomy` for every tenant. */
    // @Inject: a `T | null` parameter's design type is Object, which names no provider.
    @Optional() @Inject(TenantTaxonomies) private readonly tenantTaxonomies: TenantTaxonomies | null = null,
  ) {}

  /** The job's tenant's taxonomy, and the categories the upload narrowed it to (else all). */
  async categoriesFor(job: ClaimedJob): Promise<JobCategories> {
    const taxonomy = this.tenantTaxonomies ? await this.tenantTaxonomies.forTenant(job.tenantId) : this.taxonomy;
    return { allowed: taxonomy.select(job.categories), taxonomy: taxonomy.categories };
  }

  /**
   * @param jobSignal aborted when the job is cancelled, its lease is lost or the worker stops;
   *   then the outcome does not matter and null is returned.
   */
  async process(
    job: ClaimedJob,
    document: PendingDocument,
    categories: JobCategories,
    jobSignal: AbortSignal,
  ): Promise<DocumentOutcome | null> {
    const started = performance.now();
    // One controller for the file, fired by the job's signal or the time limit (AbortSignal.any
    // costs several times as much, per document).
    const file = new AbortController();
    let timedOut: DocumentError | undefined;
    const timer = setTimeout(() => {
      timedOut = new DocumentError('timeout', `gave up after ${this.config.limits.fileTimeoutMs / 1000} s`);
      file.abort(timedOut);
    }, this.config.limits.fileTimeoutMs);
    const onJobAbort = () => file.abort(jobSignal.reason);
    if (jobSignal.aborted) onJobAbort();
    else jobSignal.addEventListener('abort', onJobAbort, { once: true });
    const signal = file.signal;
    const steps = abortRace(signal);
    let stage: 'extract' | 'classify' = 'extract';
    try {
      const bytes = await steps.race(this.readBytes(document));
      const extractStarted = performance.now();
      const extraction = await steps.race(
        this.extractor.extract({
          bytes,
          contentType: document.contentType,
          filename: document.filename,
          owner: job.tenantId,
          signal,
        }),
      );
      this.metrics.textRead(
        extraction.pages.map((p) => p.source),
        (performance.now() - extractStarted) / 1000,
      );
      stage = 'classify';
      const classifyStarted = performance.now();
      const classification = await steps.race(
        this.classifier.classify({
          pages: extraction.pages,
          pageCount: extraction.pageCount,
          filename: document.filename,
          categories: categories.allowed,
          tenantId: job.tenantId,
          taxonomy: categories.taxonomy,
          signal,
          ...(this.pageImages
            ? {
                pageImages: (numbers: number[]) =>
                  this.pageImages!.render(
                    { bytes, contentType: document.contentType, owner: job.tenantId },
                    numbers,
                    signal,
                  ),
              }
            : {}),
        }),
      );
      this.metrics.classified(classification.classifier, (performance.now() - classifyStarted) / 1000);
      if (classification.usage) {
        this.metrics.tokensSpent(classification.usage, classification.model ?? this.config.classifier.openaiModel);
      }
      const ocrPages = extraction.pages.filter((p) => p.confidence !== null);
      const result: DocumentResult = {
        document_type: classification.label,
        confidence: round(classification.confidence),
        reasons: classification.reasons,
        pages: extraction.pages.length,
        page_count: extraction.pageCount,
        text_sources: extraction.pages.map((p) => p.source),
        ocr_confidence: ocrPages.length
          ? round(ocrPages.reduce((sum, p) => sum + (p.confidence ?? 0), 0) / ocrPages.length)
          : null,
        classifier: classification.classifier,
        ...(classification.model ? { model: classification.model } : {}),
        ...(classification.promptVersion ? { prompt_version: classification.promptVersion } : {}),
        ...(classification.usage ? { usage: usageDto(classification.usage) } : {}),
        warnings: extraction.warnings,
        duration_ms: Math.round(performance.now() - started),
      };
      return {
        jobId: job.id,
        index: document.index,
        filePosition: document.filePosition,
        status: 'completed',
        result,
        pages: extraction.pages.map((p) => ({
          number: p.number,
          text: p.text,
          source: p.source,
          confidence: p.confidence,
        })),
        pageCount: extraction.pageCount,
      };
    } catch (err) {
      if (jobSignal.aborted) return null;
      const error = asDocumentError(err, timedOut, stage);
      // A refusal or a cut-off answer still cost tokens.
      if (error.usage) this.metrics.tokensSpent(error.usage, this.config.classifier.openaiModel);
      // A provider outage is not the document's fault: retry the job while attempts remain.
      if (error.retryable && job.attempts < job.maxAttempts) throw new RetryJobLater(error);
      return {
        jobId: job.id,
        index: document.index,
        filePosition: document.filePosition,
        status: 'failed',
        error: { code: error.code, message: error.message, ...(error.usage ? { usage: usageDto(error.usage) } : {}) },
      };
    } finally {
      clearTimeout(timer);
      steps.dispose();
      jobSignal.removeEventListener('abort', onJobAbort);
    }
  }

  private async readBytes(document: PendingDocument): Promise<Buffer> {
    if (!document.blobKey) throw new DocumentError('missing_file', 'the stored file is missing');
    try {
      return await readBlob(this.blobs, document.blobKey);
    } catch (err) {
      if (err instanceof BlobNotFound) throw new DocumentError('missing_file', 'the stored file is missing');
      // The blob store being down is no fault of the document: the job is retried later. Its
      // words (paths, buckets) are for the operator's log, not the tenant's results.
      this.logger.warn({ document: document.index, err }, `cannot read the stored file: ${(err as Error).message}`);
      throw new DocumentError(
        'storage_unavailable',
        'could not read the stored file: the file store was unavailable',
        true,
      );
    }
  }
}

function asDocumentError(
  err: unknown,
  timedOut: DocumentError | undefined,
  stage: 'extract' | 'classify',
): DocumentError {
  // Classifying takes milliseconds locally: time running out there means a remote classifier
  // (OpenAI retrying a 429 or a hung call) is slow, which is no fault of the document.
  if (timedOut && stage === 'classify')
    return new DocumentError(
      'provider_unavailable',
      'the classifier did not answer within the per-file time limit',
      true,
    );
  if (err instanceof DocumentError) return err;
  if (timedOut) return timedOut;
  // An unexpected bug in a provider: the file fails with a generic message, the worker lives on.
  const message = err instanceof Error ? err.message : String(err);
  return new DocumentError('processing_error', `could not process the document: ${message.slice(0, 300)}`);
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function usageDto(usage: TokenUsage): NonNullable<DocumentResult['usage']> {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
  };
}
