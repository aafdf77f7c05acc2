export const JOB_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const FILE_STATUSES = ['pending', 'completed', 'failed'] as const;
export type FileStatus = (typeof FILE_STATUSES)[number];

export interface FileError {
  /** Stable machine-readable cause, e.g. 'encrypted_pdf', 'timeout', 'too_many_pages'. */
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

export interface JobFile {
  position: number;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  status: FileStatus;
  result: DocumentResult | null;
  error: FileError | null;
}

export interface Job {
  id: string;
  type: 'classify';
  status: JobStatus;
  progress: number;
  totalFiles: number;
  processedFiles: number;
  failedFiles: number;
  attempts: number;
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

export interface JobWithFiles extends Job {
  files: JobFile[];
}

export interface NewJobFile {
  filename: string;
  contentType: string;
  bytes: Buffer;
  sha256: string;
}

export interface NewJob {
  files: NewJobFile[];
  categories: string[] | null;
  maxAttempts: number;
  idempotencyKey?: string;
}

/** A job a worker holds under a lease, with the files it has still to do. */
export interface ClaimedJob {
  id: string;
  attempts: number;
  maxAttempts: number;
  categories: string[] | null;
  pendingFiles: PendingFile[];
}

export interface PendingFile extends Pick<JobFile, 'position' | 'filename' | 'contentType' | 'size'> {
  /** Small files come with the claim (one query per batch instead of one per file). */
  bytes?: Buffer;
}

export type FileOutcome =
  | { jobId: string; position: number; status: 'completed'; result: DocumentResult; text: string }
  | { jobId: string; position: number; status: 'failed'; error: FileError };
