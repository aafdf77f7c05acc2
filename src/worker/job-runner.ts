import { Injectable, Logger } from '@nestjs/common';
import type { ClaimedJob } from '../jobs/job.model';
import { JobStore } from '../jobs/job-store.port';
import { DocumentPipeline, RetryJobLater } from './document-pipeline';
import type { OutcomeWriter } from './outcome-writer';

/**
 * Runs one claimed job: its unfinished files in order, each outcome written as soon as it is
 * known so progress moves file by file and a retry resumes at the first unfinished file.
 */
@Injectable()
export class JobRunner {
  private readonly logger = new Logger('Worker');

  constructor(
    private readonly store: JobStore,
    private readonly pipeline: DocumentPipeline,
  ) {}

  async run(job: ClaimedJob, workerId: string, writer: OutcomeWriter, signal: AbortSignal): Promise<void> {
    const log = { jobId: job.id, workerId };
    this.logger.log({ ...log, attempt: job.attempts, files: job.pendingFiles.length }, `Processing job ${job.id}`);
    const categories = this.pipeline.categoriesFor(job);
    try {
      for (const file of job.pendingFiles) {
        if (signal.aborted) return;
        const outcome = await this.pipeline.process(job, file, categories, signal);
        if (!outcome || signal.aborted) return;
        const jobCompleted = await writer.write(outcome);
        const fileLog = { ...log, position: file.position, status: outcome.status };
        if (outcome.status === 'failed') {
          this.logger.warn({ ...fileLog, error: outcome.error }, `File ${file.position} failed: ${outcome.error.code}`);
        } else {
          this.logger.log({ ...fileLog, documentType: outcome.result.document_type }, `File ${file.position} done`);
        }
        if (jobCompleted) this.logger.log(log, 'Job completed');
      }
    } catch (err) {
      if (signal.aborted) return;
      const reason = err instanceof RetryJobLater ? err.message : `worker error: ${(err as Error).message}`;
      const status = await this.store.failJob(workerId, job.id, reason);
      const retry = status === 'pending' ? `; attempt ${job.attempts}/${job.maxAttempts}, will retry` : '';
      this.logger.warn(log, `Job ${status ?? 'lost'}: ${reason}${retry}`);
    }
  }
}
