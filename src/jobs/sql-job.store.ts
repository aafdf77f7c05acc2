import { isUuid } from '../common/uuid';
import type { DbFunctions } from '../database/db-functions.port';
import { jobDetailsFromJson, jobFromJson, type JobDetailsJson, type JobJson } from './job-json';
import type { Job, JobDetails, JobStatus, NewJob } from './job.model';
import {
  JobStore,
  type CreateJobResult,
  type JobPage,
  type RetryJobResult,
  type StoredDocument,
  type StoredFile,
} from './job-store.port';

/** The API's JobStore: each method one function of supabase/migrations, over any transport. */
export class SqlJobStore extends JobStore {
  constructor(private readonly db: DbFunctions) {
    super();
  }

  async createJob(job: NewJob): Promise<CreateJobResult> {
    const answer = await this.db.call<{ created: boolean; conflict: boolean; job: JobJson }>('inbox_create_job', {
      p_tenant: job.tenantId,
      p_id: job.id,
      p_files: job.files,
      p_categories: job.categories,
      p_max_attempts: job.maxAttempts,
      p_idempotency_key: job.idempotencyKey ?? null,
      p_fingerprint: job.fingerprint ?? null,
      p_callback_url: job.callbackUrl ?? null,
    });
    const stored = jobFromJson(answer.job);
    return answer.created
      ? { outcome: 'created', job: stored }
      : { outcome: 'existing', job: stored, sameUpload: !answer.conflict };
  }

  async getJob(tenantId: string, id: string): Promise<JobDetails | null> {
    const job = await this.db.call<JobDetailsJson | null>('inbox_get_job', { p_tenant: tenantId, p_id: id });
    return job ? jobDetailsFromJson(job) : null;
  }

  async listJobs(tenantId: string, query: { status?: JobStatus; limit: number; cursor?: string }): Promise<JobPage> {
    const cursor = query.cursor ? decodeCursor(query.cursor) : null;
    const rows = await this.db.call<Array<JobJson & { cursor_ts: string }>>('inbox_list_jobs', {
      p_tenant: tenantId,
      p_limit: query.limit + 1,
      p_status: query.status ?? null,
      p_before_created_at: cursor?.createdAt ?? null,
      p_before_id: cursor?.id ?? null,
    });
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      jobs: page.map(jobFromJson),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last.cursor_ts, last.id) : null,
    };
  }

  async cancelJob(tenantId: string, id: string): Promise<Job | null> {
    const job = await this.db.call<JobJson | null>('inbox_cancel_job', { p_tenant: tenantId, p_id: id });
    return job ? jobFromJson(job) : null;
  }

  async retryJob(tenantId: string, id: string): Promise<RetryJobResult | null> {
    const answer = await this.db.call<{ retried: boolean; purged?: boolean; job: JobJson } | null>('inbox_retry_job', {
      p_tenant: tenantId,
      p_id: id,
    });
    return answer
      ? { retried: answer.retried, ...(answer.purged ? { purged: true } : {}), job: jobFromJson(answer.job) }
      : null;
  }

  deleteJob(tenantId: string, id: string): Promise<string[] | null> {
    return this.db.call<string[] | null>('inbox_delete_job', { p_tenant: tenantId, p_id: id });
  }

  async getDocument(tenantId: string, jobId: string, index: number): Promise<StoredDocument | null> {
    const doc = await this.db.call<{
      job_id: string;
      index: number;
      filename: string;
      status: string;
      label: string | null;
      text: string | null;
    } | null>('inbox_get_document', { p_tenant: tenantId, p_job: jobId, p_index: index });
    return doc
      ? {
          jobId: doc.job_id,
          index: doc.index,
          filename: doc.filename,
          status: doc.status,
          label: doc.label,
          text: doc.text,
        }
      : null;
  }

  async getFile(tenantId: string, jobId: string, position: number): Promise<{ file: StoredFile | null } | null> {
    const answer = await this.db.call<{
      file: {
        position: number;
        filename: string;
        content_type: string;
        size: number;
        sha256: string;
        blob_key: string | null;
        purged_at: string | null;
      } | null;
    } | null>('inbox_get_file', { p_tenant: tenantId, p_job: jobId, p_position: position });
    if (!answer) return null;
    const f = answer.file;
    return {
      file: f
        ? {
            position: f.position,
            filename: f.filename,
            contentType: f.content_type,
            size: f.size,
            sha256: f.sha256,
            blobKey: f.blob_key,
            purgedAt: f.purged_at === null ? null : new Date(f.purged_at),
          }
        : null,
    };
  }
}

const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}(:?\d{2})?)$/;

function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(`${createdAt}|${id}`).toString('base64url');
}

/** A malformed cursor is the caller's mistake: the service validates it before it gets here. */
export function decodeCursor(cursor: string): { createdAt: string; id: string } | null {
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  // Exactly what encodeCursor writes (an ISO timestamp and a uuid), so PostgreSQL's casts cannot fail.
  if (!createdAt || !id || !ISO_TIMESTAMP.test(createdAt) || Number.isNaN(Date.parse(createdAt))) return null;
  if (!isUuid(id)) return null;
  return { createdAt, id };
}
