import { randomUUID } from 'node:crypto';
import { isUuid } from '../common/uuid';
import type { SqlClient } from '../database/sql-client.port';
import type {
  ClaimedJob,
  DocumentResult,
  FileError,
  FileOutcome,
  FileStatus,
  Job,
  JobFile,
  JobStatus,
  JobWithFiles,
  NewJob,
} from './job.model';
import { JobStore, type JobPage, type StoredDocument } from './job-store.port';

/** Files up to this size are fetched with the claim; larger ones when the worker reaches them. */
const PREFETCH_MAX_BYTES = 256 * 1024;

/** Extracted text kept per file (for corrections and re-training), capped to bound row size. */
const MAX_STORED_TEXT = 100_000;

interface JobRow {
  id: string;
  type: 'classify';
  status: JobStatus;
  progress: number;
  total_files: number;
  processed_files: number;
  failed_files: number;
  attempts: number;
  max_attempts: number;
  run_at: Date;
  locked_by: string | null;
  locked_until: Date | null;
  error: string | null;
  categories: string[] | null;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  updated_at: Date;
}

interface FileRow {
  position: number;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
  status: FileStatus;
  result: DocumentResult | null;
  error: FileError | null;
}

const JOB_COLUMNS = `id, type, status, progress, total_files, processed_files, failed_files, attempts,
  max_attempts, run_at, locked_by, locked_until, error, categories, created_at, started_at,
  completed_at, updated_at`;

/**
 * The JobStore over any SqlClient (node-postgres or PGlite). Queue operations call the SQL
 * functions of supabase/migrations; reads are plain queries.
 */
export class SqlJobStore extends JobStore {
  constructor(private readonly sql: SqlClient) {
    super();
  }

  async createJob(job: NewJob): Promise<Job> {
    const id = randomUUID();
    return this.sql.transaction(async (tx) => {
      const [row] = await tx.query<JobRow>(
        `insert into inbox_jobs (id, total_files, max_attempts, categories, idempotency_key)
         values ($1, $2, $3, $4, $5) on conflict (idempotency_key) do nothing returning ${JOB_COLUMNS}`,
        [id, job.files.length, job.maxAttempts, job.categories, job.idempotencyKey ?? null],
      );
      if (!row) {
        // A retried request with the same Idempotency-Key: answer with the job it created.
        const [existing] = await tx.query<JobRow>(`select ${JOB_COLUMNS} from inbox_jobs where idempotency_key = $1`, [
          job.idempotencyKey,
        ]);
        return toJob(existing);
      }
      // One multi-row insert: a job with 20 files costs one round trip, not 20.
      const params: unknown[] = [id];
      const values = job.files.map((f, i) => {
        params.push(i, f.filename, f.contentType, f.bytes.length, f.sha256, f.bytes);
        const b = i * 6;
        return `($1, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7})`;
      });
      await tx.query(
        `insert into inbox_job_files (job_id, position, filename, content_type, size, sha256, bytes)
         values ${values.join(', ')}`,
        params,
      );
      return toJob(row);
    });
  }

  async getJob(id: string): Promise<JobWithFiles | null> {
    const [row] = await this.sql.query<JobRow>(`select ${JOB_COLUMNS} from inbox_jobs where id = $1`, [id]);
    if (!row) return null;
    const files = await this.sql.query<FileRow>(
      `select position, filename, content_type, size, sha256, status, result, error
       from inbox_job_files where job_id = $1 order by position`,
      [id],
    );
    return { ...toJob(row), files: files.map(toFile) };
  }

  async listJobs(query: { status?: JobStatus; limit: number; cursor?: string }): Promise<JobPage> {
    const params: unknown[] = [query.limit + 1];
    const where: string[] = [];
    if (query.status) {
      params.push(query.status);
      where.push(`status = $${params.length}`);
    }
    const cursor = query.cursor ? decodeCursor(query.cursor) : null;
    if (cursor) {
      params.push(cursor.createdAt, cursor.id);
      where.push(`(created_at, id) < ($${params.length - 1}::timestamptz, $${params.length}::uuid)`);
    }
    // created_at as text keeps PostgreSQL's microseconds, which a JS Date would drop.
    const rows = await this.sql.query<JobRow & { cursor_ts: string }>(
      `select ${JOB_COLUMNS}, created_at::text as cursor_ts from inbox_jobs ${where.length ? `where ${where.join(' and ')}` : ''}
       order by created_at desc, id desc limit $1`,
      params,
    );
    const page = rows.slice(0, query.limit);
    const last = page[page.length - 1];
    return {
      jobs: page.map(toJob),
      nextCursor: rows.length > query.limit && last ? encodeCursor(last.cursor_ts, last.id) : null,
    };
  }

  async cancelJob(id: string): Promise<Job | null> {
    const [result] = await this.sql.query<{ status: string | null }>(`select inbox_cancel_job($1) as status`, [id]);
    if (!result?.status) return null;
    const [row] = await this.sql.query<JobRow>(`select ${JOB_COLUMNS} from inbox_jobs where id = $1`, [id]);
    return row ? toJob(row) : null;
  }

  async claimJobs(workerId: string, limit: number, leaseSeconds: number): Promise<ClaimedJob[]> {
    const rows = await this.sql.query<{
      id: string;
      attempts: number;
      max_attempts: number;
      categories: string[] | null;
      pending_files: ClaimedJob['pendingFiles'];
    }>(`select * from inbox_claim_jobs($1, $2, $3)`, [workerId, limit, leaseSeconds]);
    const jobs = rows.map((r) => ({
      id: r.id,
      attempts: r.attempts,
      maxAttempts: r.max_attempts,
      categories: r.categories,
      pendingFiles: r.pending_files,
    }));
    // The claim has committed: a failed prefetch must not lose the jobs (bytes load later).
    await this.prefetchSmallFiles(jobs).catch(() => undefined);
    return jobs;
  }

  private async prefetchSmallFiles(jobs: ClaimedJob[]): Promise<void> {
    const byKey = new Map(jobs.flatMap((j) => j.pendingFiles.map((f) => [`${j.id}/${f.position}`, f] as const)));
    if (![...byKey.values()].some((f) => f.size <= PREFETCH_MAX_BYTES)) return;
    const rows = await this.sql.query<{ job_id: string; position: number; bytes: Uint8Array }>(
      `select job_id, position, bytes from inbox_job_files
       where job_id = any($1::uuid[]) and status = 'pending' and size <= $2`,
      [jobs.map((j) => j.id), PREFETCH_MAX_BYTES],
    );
    for (const r of rows) {
      const file = byKey.get(`${r.job_id}/${r.position}`);
      if (file) file.bytes = toBuffer(r.bytes);
    }
  }

  async heartbeat(workerId: string, jobIds: string[], leaseSeconds: number): Promise<string[]> {
    if (jobIds.length === 0) return [];
    const rows = await this.sql.query<{ id: string }>(`select inbox_heartbeat($1, $2::uuid[], $3) as id`, [
      workerId,
      jobIds,
      leaseSeconds,
    ]);
    return rows.map((r) => r.id);
  }

  async loadFileBytes(jobId: string, position: number): Promise<Buffer | null> {
    const [row] = await this.sql.query<{ bytes: Uint8Array }>(
      `select bytes from inbox_job_files where job_id = $1 and position = $2`,
      [jobId, position],
    );
    return row ? toBuffer(row.bytes) : null;
  }

  async recordFileOutcomes(workerId: string, outcomes: FileOutcome[]): Promise<string[]> {
    if (outcomes.length === 0) return [];
    const payload = outcomes.map((o) =>
      o.status === 'completed' ? { ...o, text: o.text.slice(0, MAX_STORED_TEXT) } : o,
    );
    const rows = await this.sql.query<{ id: string }>(`select inbox_record_file_outcomes($1, $2::jsonb) as id`, [
      workerId,
      JSON.stringify(payload, (_key, value: unknown) => (typeof value === 'string' ? storableText(value) : value)),
    ]);
    return rows.map((r) => r.id);
  }

  async failJob(workerId: string, jobId: string, error: string): Promise<JobStatus | null> {
    const [row] = await this.sql.query<{ status: JobStatus | null }>(`select inbox_fail_job($1, $2, $3) as status`, [
      workerId,
      jobId,
      error,
    ]);
    return row?.status ?? null;
  }

  async releaseJobs(workerId: string, jobIds: string[]): Promise<void> {
    if (jobIds.length === 0) return;
    await this.sql.query(`select inbox_release_jobs($1, $2::uuid[])`, [workerId, jobIds]);
  }

  async getDocument(jobId: string, position: number): Promise<StoredDocument | null> {
    const [row] = await this.sql.query<{
      filename: string;
      status: string;
      text: string | null;
      label: string | null;
    }>(
      `select filename, status, text, result->>'document_type' as label
       from inbox_job_files where job_id = $1 and position = $2`,
      [jobId, position],
    );
    return row ? { jobId, position, ...row } : null;
  }

  async onJobCreated(listener: () => void): Promise<() => Promise<void>> {
    return this.sql.listen('inbox_jobs', () => listener());
  }

  async ping(): Promise<void> {
    await this.sql.query('select 1');
  }
}

function toJob(r: JobRow): Job {
  return {
    id: r.id,
    type: r.type,
    status: r.status,
    progress: r.progress,
    totalFiles: r.total_files,
    processedFiles: r.processed_files,
    failedFiles: r.failed_files,
    attempts: r.attempts,
    maxAttempts: r.max_attempts,
    runAt: new Date(r.run_at),
    lockedBy: r.locked_by,
    lockedUntil: r.locked_until ? new Date(r.locked_until) : null,
    error: r.error,
    categories: r.categories,
    createdAt: new Date(r.created_at),
    startedAt: r.started_at ? new Date(r.started_at) : null,
    completedAt: r.completed_at ? new Date(r.completed_at) : null,
    updatedAt: new Date(r.updated_at),
  };
}

function toFile(r: FileRow): JobFile {
  return {
    position: r.position,
    filename: r.filename,
    contentType: r.content_type,
    size: r.size,
    sha256: r.sha256,
    status: r.status,
    result: r.result,
    error: r.error,
  };
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

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * What jsonb accepts: no NUL, and no lone surrogate (PDF text layers hold them, and a cut can
 * split a pair), either of which would make PostgreSQL refuse the whole batch of outcomes.
 */
function storableText(text: string): string {
  return (text.includes('\u0000') ? text.replaceAll('\u0000', '') : text).toWellFormed();
}
