import type { ClaimedJob, DocumentOutcome, JobStatus } from './job.model';

/**
 * Port: what a worker does with the queue. Every method is one SQL function of
 * supabase/migrations (claims with SKIP LOCKED under a lease), so any number of worker processes
 * can share one database. The lease length is the adapter's setting.
 */
export abstract class JobQueue {
  /** Claims up to `limit` runnable jobs, oldest first, with their unfinished documents. */
  abstract claim(workerId: string, limit: number): Promise<ClaimedJob[]>;
  /** Renews the leases; answers the ids this worker still holds (a cancelled job drops out). */
  abstract heartbeat(workerId: string, jobIds: string[]): Promise<string[]>;
  /**
   * Records document outcomes (batched); a job whose documents are all done becomes completed.
   * Answers the ids of the jobs this call completed. Outcomes for jobs this worker no longer
   * holds are ignored.
   */
  abstract record(workerId: string, outcomes: DocumentOutcome[]): Promise<string[]>;
  /** A job-level failure: retried with backoff while attempts remain, else failed. */
  abstract fail(workerId: string, jobId: string, error: string): Promise<JobStatus | null>;
  /** Gives jobs back to the queue at once, without counting an attempt. */
  abstract release(workerId: string, jobIds: string[]): Promise<void>;
  /**
   * Calls onRunnable when jobs may be waiting (created, retried, released) and onCancelled with
   * the id of a job cancelled or deleted. Resolves to a function that stops listening; rejects
   * when the transport cannot push (then polling and heartbeats are all there is).
   */
  abstract subscribe(listeners: {
    onRunnable: () => void;
    onCancelled: (jobId: string) => void;
  }): Promise<() => Promise<void>>;
}
