import type { DocumentFailure, DocumentResult, Job, JobDetails, JobDocument, JobEvent, JobFile } from './job.model';

/** A job as the migration's functions answer it (inbox_job_json): snake_case, times as text. */
export interface JobJson {
  id: string;
  tenant_id: string;
  type: 'classify';
  status: Job['status'];
  progress: number;
  total_files: number;
  total_documents: number;
  processed_documents: number;
  failed_documents: number;
  attempts: number;
  crashes: number;
  max_attempts: number;
  run_at: string;
  locked_by: string | null;
  locked_until: string | null;
  error: string | null;
  categories: string[] | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  updated_at: string;
}

export interface JobDetailsJson extends JobJson {
  files: Array<{
    position: number;
    filename: string;
    content_type: string;
    size: number;
    sha256: string;
    page_count: number | null;
    blob_key: string | null;
    /** Absent from databases migrated before 20261202000500. */
    purged_at?: string | null;
  }>;
  documents: Array<{
    index: number;
    file_position: number;
    page_from: number;
    page_to: number | null;
    status: JobDocument['status'];
    result: DocumentResult | null;
    error: DocumentFailure | null;
    completed_at: string | null;
  }>;
  events: Array<{ id: string; type: string; payload: Record<string, unknown>; created_at: string }>;
}

const date = (s: string) => new Date(s);
const maybeDate = (s: string | null) => (s === null ? null : new Date(s));

export function jobFromJson(j: JobJson): Job {
  return {
    id: j.id,
    tenantId: j.tenant_id,
    type: j.type,
    status: j.status,
    progress: j.progress,
    totalFiles: j.total_files,
    totalDocuments: j.total_documents,
    processedDocuments: j.processed_documents,
    failedDocuments: j.failed_documents,
    attempts: j.attempts,
    crashes: j.crashes,
    maxAttempts: j.max_attempts,
    runAt: date(j.run_at),
    lockedBy: j.locked_by,
    lockedUntil: maybeDate(j.locked_until),
    error: j.error,
    categories: j.categories,
    createdAt: date(j.created_at),
    startedAt: maybeDate(j.started_at),
    completedAt: maybeDate(j.completed_at),
    updatedAt: date(j.updated_at),
  };
}

export function jobDetailsFromJson(j: JobDetailsJson): JobDetails {
  const files: JobFile[] = j.files.map((f) => ({
    position: f.position,
    filename: f.filename,
    contentType: f.content_type,
    size: f.size,
    sha256: f.sha256,
    pageCount: f.page_count,
    blobKey: f.blob_key,
    purgedAt: maybeDate(f.purged_at ?? null),
  }));
  const documents: JobDocument[] = j.documents.map((d) => ({
    index: d.index,
    filePosition: d.file_position,
    pageFrom: d.page_from,
    pageTo: d.page_to,
    status: d.status,
    result: d.result,
    error: d.error,
    completedAt: maybeDate(d.completed_at),
  }));
  const events: JobEvent[] = j.events.map((e) => ({
    id: e.id,
    type: e.type,
    payload: e.payload,
    createdAt: date(e.created_at),
  }));
  return { ...jobFromJson(j), files, documents, events };
}
