import type { Job, JobDetails, JobStatus, NewJob } from './job.model';

export interface JobPage {
  jobs: Job[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

export interface StoredDocument {
  jobId: string;
  index: number;
  filename: string;
  status: string;
  /** The document's page text (capped), null until it is read. */
  text: string | null;
  label: string | null;
}

export type CreateJobResult =
  | { outcome: 'created'; job: Job }
  /** The tenant used this Idempotency-Key before: `sameUpload` tells a retry from a conflict. */
  | { outcome: 'existing'; job: Job; sameUpload: boolean };

/** `purged`: not retried because retention deleted the job's files. */
export type RetryJobResult = { retried: boolean; purged?: boolean; job: Job };

/** An uploaded file of a job, for download: blobKey is null once retention purged it. */
export interface StoredFile {
  position: number;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  blobKey: string | null;
  purgedAt: Date | null;
}

/**
 * Port: what the API does with jobs, always on behalf of one tenant (another tenant's job is not
 * found). Each method is one SQL function of supabase/migrations, so it is atomic on every
 * transport.
 */
export abstract class JobStore {
  /** Records the job, its files (already in the BlobStore) and its documents in one transaction. */
  abstract createJob(job: NewJob): Promise<CreateJobResult>;
  abstract getJob(tenantId: string, id: string): Promise<JobDetails | null>;
  abstract listJobs(tenantId: string, query: { status?: JobStatus; limit: number; cursor?: string }): Promise<JobPage>;
  /** Cancels a pending or processing job; answers it as it is now, or null when unknown. */
  abstract cancelJob(tenantId: string, id: string): Promise<Job | null>;
  /** Runs a failed or cancelled job again from its first unfinished document; null when unknown. */
  abstract retryJob(tenantId: string, id: string): Promise<RetryJobResult | null>;
  /** Deletes the job's rows; answers the blob keys of its files, or null when unknown. */
  abstract deleteJob(tenantId: string, id: string): Promise<string[] | null>;
  abstract getDocument(tenantId: string, jobId: string, index: number): Promise<StoredDocument | null>;
  /** The job's file at that position ({file: null}: no such file); null when the tenant has no such job. */
  abstract getFile(tenantId: string, jobId: string, position: number): Promise<{ file: StoredFile | null } | null>;
}
