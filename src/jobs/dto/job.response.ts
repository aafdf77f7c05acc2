import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { JOB_STATUSES, FILE_STATUSES, type Job, type JobFile, type JobStatus, type JobWithFiles } from '../job.model';

export class JobAcceptedDto {
  @ApiProperty({ format: 'uuid' })
  job_id!: string;

  @ApiProperty({ enum: JOB_STATUSES, example: 'pending' })
  status!: JobStatus;

  @ApiProperty({ example: '/job/6f1c2b9e-2a5e-4d7f-9a43-2f7b8e3c1d10' })
  status_url!: string;

  @ApiProperty()
  total_files!: number;
}

export class FileErrorDto {
  @ApiProperty({ example: 'encrypted_pdf' })
  code!: string;

  @ApiProperty({ example: 'the PDF is password-protected' })
  message!: string;
}

export class UsageDto {
  @ApiProperty() prompt_tokens!: number;
  @ApiProperty() completion_tokens!: number;
  @ApiProperty() total_tokens!: number;
}

export class DocumentDto {
  @ApiProperty({ description: '0-based position of the file in the upload' })
  position!: number;
  @ApiProperty() filename!: string;
  @ApiProperty({ example: 'application/pdf' }) content_type!: string;
  @ApiProperty() size!: number;
  @ApiProperty() sha256!: string;
  @ApiProperty({ enum: FILE_STATUSES }) status!: string;
  @ApiPropertyOptional({ nullable: true, example: 'invoice', type: String }) document_type!: string | null;
  @ApiPropertyOptional({ nullable: true, minimum: 0, maximum: 1, type: Number }) confidence!: number | null;
  @ApiProperty({ type: [String] }) reasons!: string[];
  @ApiPropertyOptional({ nullable: true, type: Number, description: 'pages read' }) pages!: number | null;
  @ApiPropertyOptional({ nullable: true, type: Number, description: 'pages in the document' }) page_count!:
    number | null;
  @ApiProperty({
    type: [String],
    description: "per page: 'text-layer', 'plain-text', 'tesseract', 'paddle', 'textract' or 'none'",
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

export class JobResultDto {
  @ApiProperty({ type: [DocumentDto] })
  documents!: DocumentDto[];

  @ApiProperty({ description: 'documents per document_type', example: { invoice: 2, other: 1 } })
  counts_by_type!: Record<string, number>;

  @ApiPropertyOptional({ type: UsageDto, description: 'LLM tokens summed over the documents' })
  usage?: UsageDto;
}

export class JobSummaryDto {
  @ApiProperty({ format: 'uuid' }) job_id!: string;
  @ApiProperty({ example: 'classify' }) type!: string;
  @ApiProperty({ enum: JOB_STATUSES }) status!: JobStatus;
  @ApiProperty({ minimum: 0, maximum: 100 }) progress!: number;
  @ApiProperty() total_files!: number;
  @ApiProperty() processed_files!: number;
  @ApiProperty() failed_files!: number;
  @ApiProperty() attempts!: number;
  @ApiProperty() max_attempts!: number;
  @ApiPropertyOptional({ nullable: true, type: String }) error!: string | null;
  @ApiPropertyOptional({ nullable: true, type: [String] }) categories!: string[] | null;
  @ApiProperty() created_at!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) started_at!: string | null;
  @ApiPropertyOptional({ nullable: true, type: String }) completed_at!: string | null;
  @ApiProperty() updated_at!: string;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'when a retried job runs next' })
  next_attempt_at!: string | null;
}

export class JobDto extends JobSummaryDto {
  @ApiProperty({ type: JobResultDto })
  result!: JobResultDto;
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
    processed_files: job.processedFiles,
    failed_files: job.failedFiles,
    attempts: job.attempts,
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

export function toJobDto(job: JobWithFiles): JobDto {
  const documents = job.files.map(toDocumentDto);
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
  return { ...toJobSummary(job), result: { documents, counts_by_type: counts, ...(usage ? { usage } : {}) } };
}

function toDocumentDto(file: JobFile): DocumentDto {
  const r = file.result;
  // A failed document's spent tokens travel with its error; clients see them as its usage.
  const usage = r?.usage ?? file.error?.usage;
  return {
    position: file.position,
    filename: file.filename,
    content_type: file.contentType,
    size: file.size,
    sha256: file.sha256,
    status: file.status,
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
    error: file.error ? { code: file.error.code, message: file.error.message } : null,
  };
}
