import { Injectable, Logger } from '@nestjs/common';
import { withLogBindings } from '../common/logging';
import { isDatabaseUnavailable } from '../database/unavailable';
import type { ClaimedJob } from '../jobs/job.model';
import { JobQueue } from '../jobs/job-queue.port';
import { WorkerMetrics } from '../metrics/worker-metrics';
import { DocumentPipeline, RetryJobLater } from './document-pipeline';
import type { OutcomeWriter } from './outcome-writer';

/**
 * Runs one claimed job: its unfinished documents in order, each outcome written as soon as it is
 * known so progress moves document by document and a retry resumes at the first unfinished one.
 * Every log line of the job, the pipeline's and the providers' included, carries its job id,
 * tenant and worker (a pino child logger for the job).
 */
@Injectable()
export class JobRunner {
  private readonly logger = new Logger('Worker');

  constructor(
    private readonly queue: JobQueue,
    private readonly pipeline: DocumentPipeline,
    private readonly metrics: WorkerMetrics,
  ) {}

  /**
   * @param onProcessed called once the job has nothing left to compute, only its last outcome to
   *   write: the worker gives the slot to the next job while the write is batched with others.
   */
  run(
    job: ClaimedJob,
    workerId: string,
    writer: OutcomeWriter,
    signal: AbortSignal,
    onProcessed: () => void = () => undefined,
  ): Promise<void> {
    return withLogBindings({ jobId: job.id, tenantId: job.tenantId, workerId }, () =>
      this.runJob(job, workerId, writer, signal, onProcessed),
    );
  }

  private async runJob(
    job: ClaimedJob,
    workerId: string,
    writer: OutcomeWriter,
    signal: AbortSignal,
    onProcessed: () => void,
  ): Promise<void> {
    this.metrics.jobClaimed(job);
    this.logger.log({ attempt: job.attempts, documents: job.documents.length }, `Processing job ${job.id}`);
    try {
      const categories = await this.pipeline.categoriesFor(job);
      for (const [i, document] of job.documents.entries()) {
        if (signal.aborted) return;
        const outcome = await this.pipeline.process(job, document, categories, signal);
        if (!outcome || signal.aborted) return;
        if (i === job.documents.length - 1) onProcessed();
        const jobCompleted = await writer.write(outcome);
        const documentLog = { document: document.index, status: outcome.status };
        if (outcome.status === 'failed') {
          this.metrics.documentFailed(outcome.error.code);
          this.logger.warn(
            { ...documentLog, error: outcome.error },
            `Document ${document.index} failed: ${outcome.error.code}`,
          );
        } else {
          this.metrics.documentClassified(outcome.result.document_type);
          this.logger.log(
            { ...documentLog, documentType: outcome.result.document_type },
            `Document ${document.index} done`,
          );
        }
        if (jobCompleted) {
          this.metrics.jobCompleted();
          this.logger.log('Job completed');
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      if (isDatabaseUnavailable(err)) {
        // The database went away mid-job: the infrastructure's fault, not the job's. Hand it back
        // (best effort: if the database is still away, the lease runs out and it is retaken).
        this.logger.warn(`database unavailable (${(err as Error).message}); handing the job back`);
        await this.queue.release(workerId, [job.id]).catch(() => undefined);
        return;
      }
      const reason = err instanceof RetryJobLater ? err.message : `worker error: ${(err as Error).message}`;
      const status = await this.queue.fail(workerId, job.id, reason);
      if (status === 'failed' || status === 'pending') {
        this.metrics.jobFailed(err instanceof RetryJobLater ? err.documentError.code : 'worker_error', status);
      }
      const retry = status === 'pending' ? `; attempt ${job.attempts}/${job.maxAttempts}, will retry` : '';
      this.logger.warn(`Job ${status ?? 'lost'}: ${reason}${retry}`);
    }
  }
}
