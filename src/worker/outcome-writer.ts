import type { DocumentOutcome } from '../jobs/job.model';
import type { JobQueue } from '../jobs/job-queue.port';

interface Pending {
  outcome: DocumentOutcome;
  resolve: (jobCompleted: boolean) => void;
  reject: (err: unknown) => void;
}

/**
 * Writes document outcomes to the queue in batches: outcomes that arrive while a write is in
 * flight (many jobs finishing together) go out in the next single call. Nothing waits on a
 * timer, so a lone outcome is written at once.
 */
export class OutcomeWriter {
  private queue: Pending[] = [];
  private writing = false;

  constructor(
    private readonly jobs: JobQueue,
    private readonly workerId: string,
    private readonly maxBatch = 256,
  ) {}

  /** Resolves once written: true when this outcome completed its job. */
  write(outcome: DocumentOutcome): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ outcome, resolve, reject });
      if (this.writing) return;
      this.writing = true;
      // After this turn of the event loop: the outcomes of every job that finished in it go in one
      // call (at high concurrency many do), and a lone outcome still goes at once.
      setImmediate(() => void this.drain());
    });
  }

  private async writeAlone(p: Pending): Promise<void> {
    try {
      const [completed] = await this.jobs.record(this.workerId, [p.outcome]);
      p.resolve(completed === p.outcome.jobId);
    } catch (err) {
      p.reject(err);
    }
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const completed = new Set(
            await this.jobs.record(
              this.workerId,
              batch.map((p) => p.outcome),
            ),
          );
          for (const p of batch) p.resolve(completed.has(p.outcome.jobId));
        } catch (err) {
          if (batch.length === 1) batch[0].reject(err);
          // One bad outcome must not sink the other jobs' outcomes: write them one by one.
          else for (const p of batch) await this.writeAlone(p);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
