import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  DOCUMENT_STATUSES,
  JOB_STATUSES,
  type DocumentStatus,
  type Job,
  type JobDetails,
  type JobDocument,
  type JobEvent,
  type JobFile,
  type JobStatus,
} from '../../jobs/job.model';
import type { TextSource } from '../../ocr/text-extractor.port';

/** Every TextSource, as a value for the OpenAPI document (the check below keeps it complete). */
export const TEXT_SOURCES = [
  'text-layer',
  'plain-text',
  'tesseract',
  'paddle',
  'textract',
  'none',
] as const satisfies readonly TextSource[];
const _everyTextSource: [Exclude<TextSource, (typeof TEXT_SOURCES)[number]>] extends [never] ? true : never = true;

export const JOB_TYPES = ['classify'] as const satisfies readonly Job['type'][];

export class JobAcceptedDto {
  @ApiProperty({ format: 'uuid' })
  job_id!: string;

  @ApiProperty({ enum: JOB_STATUSES, enumName: 'JobStatus', example: 'pending' })
  status!: JobStatus;

  @ApiProperty({ example: '/job/6f1c2b9e-2a5e-4d7f-9a43-2f7b8e3c1d10' })
  status_url!: string;

  @ApiProperty({ type: 'integer', example: 2 })
  total_files!: number;
}

export class FileErrorDto {
  @ApiProperty({ example: 'encrypted_pdf' })
  code!: string;

  @ApiProperty({ example: 'the PDF is password-protected' })
  message!: string;
}

export class UsageDto {
  @ApiProperty({ type: 'integer' }) prompt_tokens!: number;
  @ApiProperty({ type: 'integer' }) completion_tokens!: number;
  @ApiProperty({ type: 'integer' }) total_tokens!: number;
}

export class DocumentDto {
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: "0-based index of the document in the job (the label endpoint's position)",
  })
  index!: number;
  @ApiProperty({ type: 'integer', minimum: 0, description: '0-based position of its file in the upload' })
  position!: number;
  @ApiProperty({
    type: 'integer',
    minimum: 1,
    description: 'first page of the file that belongs to this document, from 1',
  })
  page_from!: number;
  @ApiPropertyOptional({ nullable: true, type: 'integer', description: 'last page; null until the file is read' })
  page_to!: number | null;
  @ApiProperty() filename!: string;
  @ApiProperty({ example: 'application/pdf' }) content_type!: string;
  @ApiProperty({ type: 'integer', description: 'bytes' }) size!: number;
  @ApiProperty() sha256!: string;
  @ApiProperty({ enum: DOCUMENT_STATUSES, enumName: 'DocumentStatus' }) status!: DocumentStatus;
  @ApiPropertyOptional({ nullable: true, example: 'invoice', type: String }) document_type!: string | null;
  @ApiPropertyOptional({ nullable: true, minimum: 0, maximum: 1, type: Number }) confidence!: number | null;
  @ApiProperty({ type: [String] }) reasons!: string[];
  @ApiPropertyOptional({ nullable: true, type: 'integer', description: 'pages read' }) pages!: number | null;
  @ApiPropertyOptional({ nullable: true, type: 'integer', description: 'pages in the document' }) page_count!:
    number | null;
  @ApiProperty({
    enum: TEXT_SOURCES,
    enumName: 'TextSource',
    isArray: true,
    // Swagger copies the first description of a named enum into its schema: describe one value.
    description: "Where a page's text came from: the PDF's text layer, a plain-text file, OCR, or none",
  })
  text_sources!: string[];
  @ApiPropertyOptional({ nullable: true, type: Number }) ocr_confidence!: number | null;
  @ApiPropertyOptional({ nullable: true, type: String, example: 'local' }) classifier!: string | null;
  @ApiPropertyOptional({ type: String }) model?: string;
  @ApiPropertyOptional({ type: String }) prompt_version?: string;
  @ApiPropertyOptional({ type: UsageDto }) usage?: UsageDto;
  @ApiProperty({ type: [String] }) warnings!: string[];
  @ApiPropertyOptional({ type: FileErrorDto, nullable: true }) error!: FileErrorDto | null;
}

export class JobEventDto {
  @ApiProperty({ description: 'increasing id in the event log', example: '42' }) id!: string;
  @ApiProperty({ example: 'document.completed' }) type!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { index: 0, label: 'invoice' } })
  payload!: Record<string, unknown>;
  @ApiProperty() created_at!: string;
}

export class JobResultDto {
  @ApiProperty({ type: [DocumentDto] })
  documents!: DocumentDto[];

  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: 'documents per document_type',
    example: { invoice: 2, other: 1 },
  })
  counts_by_type!: Record<string, number>;

  @ApiPropertyOptional({ type: UsageDto, description: 'LLM tokens summed over the documents' })
  usage?: UsageDto;
}

export class JobSummaryDto {
  @ApiProperty({ format: 'uuid' }) job_id!: string;
  @ApiProperty({ enum: JOB_TYPES, enumName: 'JobType', example: 'classify' }) type!: Job['type'];
  @ApiProperty({ enum: JOB_STATUSES, enumName: 'JobStatus' }) status!: JobStatus;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 100, description: 'percent of documents done' })
  progress!: number;
  @ApiProperty({ type: 'integer' }) total_files!: number;
  @ApiProperty({ type: 'integer', description: 'documents done (completed or failed); today one document per file' })
  processed_files!: number;
  @ApiProperty({ type: 'integer' }) failed_files!: number;
  @ApiProperty({ type: 'integer' }) total_documents!: number;
  @ApiProperty({ type: 'integer' }) processed_documents!: number;
  @ApiProperty({ type: 'integer' }) failed_documents!: number;
  @ApiProperty({ type: 'integer' }) attempts!: number;
  @ApiProperty({ type: 'integer', description: 'times a worker died while holding the job (not counted as attempts)' })
  crashes!: number;
  @ApiProperty({ type: 'integer' }) max_attempts!: number;
  @ApiPropertyOptional({ nullable: true, type: String }) error!: string | null;
  @ApiPropertyOptional({ nullable: true, type: [String] }) categories!: string[] | null;
  @ApiProperty() created_at!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) started_at!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) completed_at!: string | null;
  @ApiProperty() updated_at!: string;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'when a retried job runs next' })
  next_attempt_at!: string | null;
}

export class JobFileDto {
  @ApiProperty({ description: '0-based position in the upload' }) position!: number;
  @ApiProperty() filename!: string;
  @ApiProperty({ example: 'application/pdf' }) content_type!: string;
  @ApiProperty() size!: number;
  @ApiProperty() sha256!: string;
  @ApiPropertyOptional({ nullable: true, type: Number, description: 'known once the file is read' })
  page_count!: number | null;
  @ApiProperty({ example: '/job/6f1c2b9e-2a5e-4d7f-9a43-2f7b8e3c1d10/files/0', description: 'GET downloads it' })
  download_url!: string;
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'when retention deleted its bytes and page text (results are kept); null while stored',
  })
  purged_at!: string | null;
}

export class JobDto extends JobSummaryDto {
  @ApiProperty({ type: JobResultDto })
  result!: JobResultDto;

  @ApiProperty({ type: [JobFileDto], description: 'the uploaded files' })
  files!: JobFileDto[];

  @ApiProperty({ type: [JobEventDto], description: "the job's timeline, oldest first" })
  events!: JobEventDto[];
}

export class JobListDto {
  @ApiProperty({ type: [JobSummaryDto] })
  jobs!: JobSummaryDto[];

  @ApiPropertyOptional({ nullable: true, type: String })
  next_cursor!: string | null;
}

export function toJobSummary(job: Job): JobSummaryDto {
  return {
    job_id: job.id,
    type: job.type,
    status: job.status,
    progress: job.progress,
    total_files: job.totalFiles,
    processed_files: job.processedDocuments,
    failed_files: job.failedDocuments,
    total_documents: job.totalDocuments,
    processed_documents: job.processedDocuments,
    failed_documents: job.failedDocuments,
    attempts: job.attempts,
    crashes: job.crashes,
    max_attempts: job.maxAttempts,
    error: job.error,
    categories: job.categories,
    created_at: job.createdAt.toISOString(),
    started_at: job.startedAt?.toISOString() ?? null,
    completed_at: job.completedAt?.toISOString() ?? null,
    updated_at: job.updatedAt.toISOString(),
    next_attempt_at: job.status === 'pending' && job.attempts > 0 ? job.runAt.toISOString() : null,
  };
}

export function toJobDto(job: JobDetails): JobDto {
  const files = new Map(job.files.map((f) => [f.position, f]));
  const documents = job.documents.map((d) => toDocumentDto(d, files.get(d.filePosition)!));
  const counts: Record<string, number> = {};
  let usage: UsageDto | undefined;
  for (const d of documents) {
    if (d.document_type) counts[d.document_type] = (counts[d.document_type] ?? 0) + 1;
    if (d.usage) {
      usage ??= { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
      usage.prompt_tokens += d.usage.prompt_tokens;
      usage.completion_tokens += d.usage.completion_tokens;
      usage.total_tokens += d.usage.total_tokens;
    }
  }
  return {
    ...toJobSummary(job),
    result: { documents, counts_by_type: counts, ...(usage ? { usage } : {}) },
    files: job.files.map((f) => toFileDto(job.id, f)),
    events: job.events.map(toEventDto),
  };
}

function toFileDto(jobId: string, f: JobFile): JobFileDto {
  return {
    position: f.position,
    filename: f.filename,
    content_type: f.contentType,
    size: f.size,
    sha256: f.sha256,
    page_count: f.pageCount,
    download_url: `/job/${jobId}/files/${f.position}`,
    purged_at: f.purgedAt?.toISOString() ?? null,
  };
}

function toEventDto(e: JobEvent): JobEventDto {
  return { id: e.id, type: e.type, payload: e.payload, created_at: e.createdAt.toISOString() };
}

function toDocumentDto(document: JobDocument, file: JobFile): DocumentDto {
  const r = document.result;
  // A failed document's spent tokens travel with its error; clients see them as its usage.
  const usage = r?.usage ?? document.error?.usage;
  return {
    index: document.index,
    position: file.position,
    page_from: document.pageFrom,
    page_to: document.pageTo ?? file.pageCount,
    filename: file.filename,
    content_type: file.contentType,
    size: file.size,
    sha256: file.sha256,
    status: document.status,
    document_type: r?.document_type ?? null,
    confidence: r?.confidence ?? null,
    reasons: r?.reasons ?? [],
    pages: r?.pages ?? null,
    page_count: r?.page_count ?? null,
    text_sources: r?.text_sources ?? [],
    ocr_confidence: r?.ocr_confidence ?? null,
    classifier: r?.classifier ?? null,
    ...(r?.model ? { model: r.model } : {}),
    ...(r?.prompt_version ? { prompt_version: r.prompt_version } : {}),
    ...(usage ? { usage } : {}),
    warnings: r?.warnings ?? [],
    error: document.error ? { code: document.error.code, message: document.error.message } : null,
  };
}
