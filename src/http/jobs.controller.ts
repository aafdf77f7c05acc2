import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Post,
  Query,
  Req,
  Res,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiNoContentResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnprocessableEntityResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { ErrorResponseDto } from '../common/error-response.dto';
import { ClassifyDocumentsDto } from './dto/upload.dto';
import { JobAcceptedDto, JobDto, JobListDto, JobSummaryDto, toJobDto, toJobSummary } from './dto/job.response';
import { ListJobsQuery } from './dto/list-jobs.query';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { DEFAULT_TENANT } from '../jobs/job.model';
import { JobsService, type StagedFile } from '../jobs/jobs.service';
import { blobKeyFor } from '../storage/blob-key';
import { BlobStore } from '../storage/blob-store.port';
import { JobIdParam } from './pipes/parse-job-id.pipe';
import { UploadInterceptor } from './upload.interceptor';

interface UploadedDocument {
  originalname: string;
  buffer: Buffer;
}

@ApiTags('jobs')
@ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'the database is unreachable' })
@Controller()
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly blobs: BlobStore,
  ) {}

  @Post('classify-documents-async')
  @HttpCode(202)
  @UseGuards(ThrottlerGuard)
  @UseInterceptors(UploadInterceptor)
  @ApiOperation({
    operationId: 'classifyDocumentsAsync',
    summary: 'Upload documents; answers at once with a job id to poll',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: ClassifyDocumentsDto })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'a retried request with the same key returns the same job',
  })
  @ApiAcceptedResponse({ type: JobAcceptedDto, headers: { Location: { description: 'the status URL' } } })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'no files, an empty file, unknown categories' })
  @ApiPayloadTooLargeResponse({ type: ErrorResponseDto, description: 'a file or the file count is over the limit' })
  @ApiUnsupportedMediaTypeResponse({
    type: ErrorResponseDto,
    description: 'a file is not PDF, PNG, JPEG, TIFF, WebP or text',
  })
  @ApiUnprocessableEntityResponse({
    type: ErrorResponseDto,
    description: 'the Idempotency-Key was used before for another upload',
  })
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto })
  async classifyDocumentsAsync(
    @Req() req: Request,
    @Body() body: ClassifyDocumentsDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<JobAcceptedDto> {
    const jobId = randomUUID();
    const files = await this.stage(jobId, (req.files as UploadedDocument[] | undefined) ?? []);
    const job = await this.jobs.submit({
      tenantId: DEFAULT_TENANT,
      jobId,
      files,
      categories: body.categories,
      idempotencyKey: idempotencyKey?.slice(0, 200) || undefined,
    });
    const statusUrl = `/job/${job.id}`;
    res.location(statusUrl);
    return { job_id: job.id, status: job.status, status_url: statusUrl, total_files: job.totalFiles };
  }

  @Get('job/:job_id')
  @ApiOperation({ operationId: 'getJob', summary: 'Status, progress and per-document results of a job' })
  @ApiOkResponse({ type: JobDto })
  async getJob(@JobIdParam() jobId: string): Promise<JobDto> {
    return toJobDto(await this.jobs.get(DEFAULT_TENANT, jobId));
  }

  @Get('jobs')
  @ApiOperation({ operationId: 'listJobs', summary: 'Recent jobs, newest first, filtered by status' })
  @ApiOkResponse({ type: JobListDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  async listJobs(@Query() query: ListJobsQuery): Promise<JobListDto> {
    const page = await this.jobs.list(DEFAULT_TENANT, query);
    return { jobs: page.jobs.map(toJobSummary), next_cursor: page.nextCursor };
  }

  @Post('job/:job_id/cancel')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'cancelJob',
    summary: 'Cancel a pending or running job (a finished job is returned unchanged)',
  })
  @ApiOkResponse({ type: JobSummaryDto })
  async cancelJob(@JobIdParam() jobId: string): Promise<JobSummaryDto> {
    return toJobSummary(await this.jobs.cancel(DEFAULT_TENANT, jobId));
  }

  @Post('job/:job_id/retry')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'retryJob',
    summary: 'Run a failed or cancelled job again, from its first unfinished document',
  })
  @ApiOkResponse({ type: JobSummaryDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'the job is pending, running or completed' })
  async retryJob(@JobIdParam() jobId: string): Promise<JobSummaryDto> {
    return toJobSummary(await this.jobs.retry(DEFAULT_TENANT, jobId));
  }

  @Delete('job/:job_id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteJob', summary: 'Delete a job, its files and their text, now' })
  @ApiNoContentResponse({ description: 'deleted' })
  async deleteJob(@JobIdParam() jobId: string): Promise<void> {
    await this.jobs.delete(DEFAULT_TENANT, jobId);
  }

  /** The parsed upload's files, written to the BlobStore under the job's keys. */
  private async stage(jobId: string, uploads: UploadedDocument[]): Promise<StagedFile[]> {
    const staged: StagedFile[] = [];
    for (const [position, upload] of uploads.entries()) {
      const blobKey = blobKeyFor(DEFAULT_TENANT, jobId, position);
      const blob = await this.blobs.put(blobKey, Readable.from([upload.buffer]));
      staged.push({ originalname: upload.originalname, size: blob.size, sha256: blob.sha256, blobKey, head: upload.buffer.subarray(0, 8192) });
    }
    return staged;
  }
}
