import type { ClaimedJob, FileOutcome, Job, JobStatus, JobWithFiles, NewJob } from './job.model';

export interface JobPage {
  jobs: Job[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface StoredDocument {
  jobId: string;
  position: number;
  filename: string;
  status: string;
  /** The text the pipeline extracted (capped), null until the file is done. */
  text: string | null;
  label: string | null;
}

/**
 * Port: durable jobs and the queue. Every method is one atomic SQL call (see
 * supabase/migrations), so several worker processes can share one database safely.
 */
export abstract class JobStore {
  /**
   * Stores the job and all its files in one transaction. With an idempotency key already used,
   * stores nothing and returns the job that key created.
   */
  abstract createJob(job: NewJob): Promise<Job>;
  abstract getJob(id: string): Promise<JobWithFiles | null>;
  abstract listJobs(query: { status?: JobStatus; limit: number; cursor?: string }): Promise<JobPage>;
  /** Cancels a pending or processing job; returns it as it is now, or null when unknown. */
  abstract cancelJob(id: string): Promise<Job | null>;

  /** Claims up to `limit` runnable jobs (oldest first, SKIP LOCKED) under a lease. */
  abstract claimJobs(workerId: string, limit: number, leaseSeconds: number): Promise<ClaimedJob[]>;
  /** Renews the leases; returns the ids this worker still holds (a cancelled job drops out). */
  abstract heartbeat(workerId: string, jobIds: string[], leaseSeconds: number): Promise<string[]>;
  abstract loadFileBytes(jobId: string, position: number): Promise<Buffer | null>;
  /**
   * Records file outcomes (batched); a job whose files are all done becomes completed.
   * Returns the ids of jobs that completed with this call. Outcomes for jobs this worker no
   * longer holds are ignored.
   */
  abstract recordFileOutcomes(workerId: string, outcomes: FileOutcome[]): Promise<string[]>;
  /** A job-level failure: retried with backoff while attempts remain, else failed. */
  abstract failJob(workerId: string, jobId: string, error: string): Promise<JobStatus | null>;
  /** Gives jobs back to the queue at once (graceful shutdown), without counting an attempt. */
  abstract releaseJobs(workerId: string, jobIds: string[]): Promise<void>;

  abstract getDocument(jobId: string, position: number): Promise<StoredDocument | null>;
  /** Listens for new jobs; resolves to a function that stops listening. */
  abstract onJobCreated(listener: () => void): Promise<() => Promise<void>>;
  /** Throws when the database is unreachable. */
  abstract ping(): Promise<void>;
}
