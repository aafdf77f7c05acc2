import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import type { TokenUsage } from '../classifier/classifier.port';
import type { ClaimedJob } from '../jobs/job.model';
import type { TextSource } from '../ocr/text-extractor.port';
import { QUEUE_WAIT_SECONDS, WORK_SECONDS } from './buckets';
import { MetricsRegistry } from './metrics-registry';

const OCR_ENGINES: readonly TextSource[] = ['tesseract', 'paddle', 'textract'];

/**
 * What the worker counts, as one small facade: the runner and the pipeline say what happened
 * (a job claimed, a document read), and the metric names, labels and buckets live here only.
 */
@Injectable()
export class WorkerMetrics {
  private readonly jobsCompleted: Counter;
  private readonly jobsFailed: Counter<'error_code'>;
  private readonly jobsRetried: Counter<'error_code'>;
  private readonly documentsClassified: Counter<'label'>;
  private readonly documentsFailed: Counter<'error_code'>;
  private readonly pickupLatency: Histogram;
  private readonly ocrDuration: Histogram<'engine'>;
  private readonly pagesRead: Counter<'engine'>;
  private readonly classificationDuration: Histogram<'classifier'>;
  private readonly llmTokens: Counter<'kind' | 'model'>;

  constructor(registry: MetricsRegistry) {
    const registers = [registry];
    this.jobsCompleted = new Counter({
      name: 'docinbox_jobs_completed_total',
      help: 'Jobs that ended completed (some of their documents may have failed)',
      registers,
    });
    this.jobsFailed = new Counter({
      name: 'docinbox_jobs_failed_total',
      help: 'Jobs that ended failed, by the error code of the cause (worker_error: an unexpected error)',
      labelNames: ['error_code'],
      registers,
    });
    this.jobsRetried = new Counter({
      name: 'docinbox_jobs_retried_total',
      help: 'Attempts that failed with attempts left: the job went back to pending with a backoff',
      labelNames: ['error_code'],
      registers,
    });
    this.documentsClassified = new Counter({
      name: 'docinbox_documents_classified_total',
      help: 'Documents classified, by the label they got',
      labelNames: ['label'],
      registers,
    });
    this.documentsFailed = new Counter({
      name: 'docinbox_documents_failed_total',
      help: 'Documents that failed, by error code (encrypted_pdf, timeout, ...)',
      labelNames: ['error_code'],
      registers,
    });
    this.pickupLatency = new Histogram({
      name: 'docinbox_job_pickup_latency_seconds',
      help: 'How long a job waited from runnable (created, retried, handed back) to claimed, by the database clock',
      buckets: QUEUE_WAIT_SECONDS,
      registers,
    });
    this.ocrDuration = new Histogram({
      name: 'docinbox_ocr_duration_seconds',
      help:
        "Time to get a document's text, by engine: the OCR engine when any page was recognised, else " +
        'text-layer or plain-text',
      labelNames: ['engine'],
      buckets: WORK_SECONDS,
      registers,
    });
    this.pagesRead = new Counter({
      name: 'docinbox_ocr_pages_total',
      help: 'Pages read, by where their text came from (text-layer, plain-text, tesseract, paddle, textract, none)',
      labelNames: ['engine'],
      registers,
    });
    this.classificationDuration = new Histogram({
      name: 'docinbox_classification_duration_seconds',
      help: 'Time to classify a document, by classifier (local, openai)',
      labelNames: ['classifier'],
      buckets: WORK_SECONDS,
      registers,
    });
    this.llmTokens = new Counter({
      name: 'docinbox_llm_tokens_total',
      help: 'LLM tokens spent, by kind (prompt, completion) and model',
      labelNames: ['kind', 'model'],
      registers,
    });
  }

  jobClaimed(job: ClaimedJob): void {
    // A takeover after a crash did not wait in the queue; its wait would be the dead worker's lease.
    if (!job.fromPending) return;
    this.pickupLatency.observe(Math.max(0, job.claimedAt.getTime() - job.runAt.getTime()) / 1000);
  }

  jobCompleted(): void {
    this.jobsCompleted.inc();
  }

  /** After the queue answered a failure: `failed` ends the job, `pending` schedules another attempt. */
  jobFailed(errorCode: string, status: 'pending' | 'failed'): void {
    (status === 'failed' ? this.jobsFailed : this.jobsRetried).inc({ error_code: errorCode });
  }

  textRead(sources: readonly TextSource[], seconds: number): void {
    const engine = sources.find((s) => OCR_ENGINES.includes(s)) ?? sources[0] ?? 'none';
    this.ocrDuration.observe({ engine }, seconds);
    // Most documents have one page (or one source): no tally needed.
    if (sources.every((s) => s === sources[0])) {
      if (sources.length > 0) this.pagesRead.inc({ engine: sources[0] }, sources.length);
      return;
    }
    const pages = new Map<TextSource, number>();
    for (const source of sources) pages.set(source, (pages.get(source) ?? 0) + 1);
    for (const [source, count] of pages) this.pagesRead.inc({ engine: source }, count);
  }

  classified(classifier: string, seconds: number): void {
    this.classificationDuration.observe({ classifier }, seconds);
  }

  tokensSpent(usage: TokenUsage, model: string): void {
    this.llmTokens.inc({ kind: 'prompt', model }, usage.promptTokens);
    this.llmTokens.inc({ kind: 'completion', model }, usage.completionTokens);
  }

  documentClassified(label: string): void {
    this.documentsClassified.inc({ label });
  }

  documentFailed(errorCode: string): void {
    this.documentsFailed.inc({ error_code: errorCode });
  }
}
