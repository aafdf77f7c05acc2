import type { TextSource } from '../ocr/text-extractor.port';

export const JOB_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/** `skipped`: the job was cancelled before the document was read. */
export const DOCUMENT_STATUSES = ['pending', 'completed', 'failed', 'skipped'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

/** The tenant of everything created while no API keys exist (the embedded default). */
export const DEFAULT_TENANT = 'default';

export interface DocumentFailure {
  /** Stable machine-readable cause, e.g. 'encrypted_pdf', 'timeout', 'job_failed', 'job_cancelled'. */
  code: string;
  message: string;
  /** Tokens spent on the document before it failed; shown as the document's usage. */
  usage?: DocumentResult['usage'];
}

/** What the pipeline learned about one document. */
export interface DocumentResult {
  document_type: string;
  confidence: number;
  reasons: string[];
  /** Pages read (may be fewer than page_count when a page limit applied). */
  pages: number;
  page_count: number;
  /** Where the text came from, per page, in page order (e.g. ['text-layer', 'tesseract']). */
  text_sources: string[];
  /** Mean OCR confidence over OCR'd pages, null when no page was OCR'd. */
  ocr_confidence: number | null;
  classifier: string;
  model?: string;
  prompt_version?: string;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  warnings: string[];
  duration_ms: number;
}

/** One uploaded file; its bytes sit in the BlobStore under blobKey. */
export interface JobFile {
  position: number;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  /** Known once the worker has read the file. */
  pageCount: number | null;
  blobKey: string | null;
  /** When retention deleted the bytes and page text (RETENTION_FILES_DAYS); null while kept. */
  purgedAt: Date | null;
}

/** One logical document: a page range of a file (today one per file, all its pages). */
export interface JobDocument {
  index: number;
  filePosition: number;
  pageFrom: number;
  /** null: to the file's last page. */
  pageTo: number | null;
  status: DocumentStatus;
  result: DocumentResult | null;
  error: DocumentFailure | null;
  completedAt: Date | null;
}

/** An entry of the job's timeline (inbox_job_events). */
export interface JobEvent {
  /** Increasing across the whole log (a bigint, as a string). */
  id: string;
  type: string;
  payload: Record<string, unknown>;
  createdAt: Date;
}

export interface Job {
  id: string;
  tenantId: string;
  type: 'classify';
  status: JobStatus;
  progress: number;
  totalFiles: number;
  totalDocuments: number;
  processedDocuments: number;
  failedDocuments: number;
  attempts: number;
  /** Times a worker died holding the job (its lease expired): counted apart from attempts. */
  crashes: number;
  maxAttempts: number;
  runAt: Date;
  lockedBy: string | null;
  lockedUntil: Date | null;
  error: string | null;
  /** Category ids the request narrowed the taxonomy to; null means all. */
  categories: string[] | null;
  createdAt: Date;
  startedAt: Date | null;
  completedAt: Date | null;
  updatedAt: Date;
}

export interface JobDetails extends Job {
  files: JobFile[];
  documents: JobDocument[];
  events: JobEvent[];
}

/** A file already written to the BlobStore, to be recorded with its job. */
export interface NewJobFile {
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  blobKey: string;
}

export interface NewJob {
  /** Chosen before the upload is stored, since blob keys carry it. */
  id: string;
  tenantId: string;
  files: NewJobFile[];
  categories: string[] | null;
  maxAttempts: number;
  idempotencyKey?: string;
  /** What the upload was (file hashes, options): a reused key with another upload is a conflict. */
  fingerprint?: string;
  /** Where the job's end is posted (checked already); unset: the tenant's default, if any. */
  callbackUrl?: string;
}

/** A job a worker holds under a lease, with the documents it has still to do. */
export interface ClaimedJob {
  id: string;
  tenantId: string;
  attempts: number;
  maxAttempts: number;
  categories: string[] | null;
  documents: PendingDocument[];
  createdAt: Date;
  /** Since when the job was runnable (created, retried, handed back or its backoff over). */
  runAt: Date;
  /** The database's clock at the claim, so pickup latency is free of clock skew between hosts. */
  claimedAt: Date;
  /** False for a takeover after a lease ran out: the job did not wait in the queue. */
  fromPending: boolean;
}

export interface PendingDocument {
  index: number;
  filePosition: number;
  pageFrom: number;
  pageTo: number | null;
  filename: string;
  contentType: string;
  size: number;
  blobKey: string | null;
}

/** A page's text as kept for later stages (splitting, extraction, review, preview). */
export interface StoredPage {
  number: number;
  text: string;
  source: TextSource;
  confidence: number | null;
}

export type DocumentOutcome =
  | {
      jobId: string;
      index: number;
      filePosition: number;
      status: 'completed';
      result: DocumentResult;
      /** The file's pages that were read, and how many it has. */
      pages: StoredPage[];
      pageCount: number;
    }
  | { jobId: string; index: number; filePosition: number; status: 'failed'; error: DocumentFailure };
