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
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { StorageUnavailable } from '../common/errors';
import { ClassifyDocumentsDto } from './dto/upload.dto';
import { JobAcceptedDto, JobDto, JobListDto, JobSummaryDto, toJobDto, toJobSummary } from './dto/job.response';
import { ListJobsQuery } from './dto/list-jobs.query';
import { GetJobQuery } from './dto/live.dto';
import { JobFollower } from '../live/job-follower';
import { CurrentTenant } from '../tenants/request-principal';
import { JobsService } from '../jobs/jobs.service';
import { JobIdParam } from './pipes/parse-job-id.pipe';
import { ApiErrorResponses, FILE_STORE_DOWN_EXAMPLE, STORAGE_FULL_EXAMPLE } from './api-error-responses.decorator';
import {
  JOB_ACCEPTED_EXAMPLE,
  JOB_CANCELLED_SUMMARY_EXAMPLE,
  JOB_COMPLETED_EXAMPLE,
  JOB_LIST_EXAMPLE,
  JOB_RETRIED_SUMMARY_EXAMPLE,
} from './dto/examples';
import { fileTooLargeMessage, notMultipartMessage } from './upload-messages';
import { BAD_CURSOR_MESSAGE, OTHER_IMPLIED_MESSAGE } from '../jobs/jobs.service';
import { boundedIntMessage } from './pipes/parse-bounded-int.pipe';
import { BlobUploadInterceptor } from './blob-upload.interceptor';
import { UploadRateLimitGuard } from './upload-rate-limit.guard';
import type { StreamedUpload, UploadRequest } from './blob-upload.engine';

@ApiTags('jobs')
@ApiErrorResponses({ 503: true })
@ApiErrorResponses({ 401: true, 403: true })
@Controller()
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly follower: JobFollower,
  ) {}

  @Post('classify-documents-async')
  @HttpCode(202)
  @UseGuards(UploadRateLimitGuard)
  @UseInterceptors(BlobUploadInterceptor)
  @ApiOperation({
    operationId: 'classifyDocumentsAsync',
    summary: 'Upload documents; answers at once with a job id to poll',
    description:
      "Send one or more files as multipart/form-data in the field 'files' (PDF, PNG, JPEG, TIFF, WebP or text; " +
      'the type is read from the bytes). The answer is 202 with the job id and its status URL; poll ' +
      'GET /job/{job_id} until the status is completed. A broken document fails on its own, not the upload.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: ClassifyDocumentsDto })
  @ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description: 'a retried request with the same key returns the same job',
  })
  @ApiAcceptedResponse({
    type: JobAcceptedDto,
    description: 'the job was recorded, pending',
    headers: { Location: { description: 'the status URL', schema: { type: 'string' } } },
    example: JOB_ACCEPTED_EXAMPLE,
  })
  @ApiErrorResponses({
    400: {
      description:
        'No files, an empty file, a wrong field name, categories that are not category ids, or a callback_url refused.',
      examples: {
        'no files': "no files: send one or more documents in the multipart field 'files'",
        'an empty file': "file 'scan.pdf' is empty",
        'wrong field name': "unexpected file field 'document': send documents in the field 'files'",
        'unknown categories': 'unknown categories: spaceship (see GET /categories)',
        'callback_url refused':
          'callback_url: 10.0.0.5 is a private (RFC 1918) address; only public addresses are delivered to (WEBHOOK_ALLOW_PRIVATE=true allows others)',
        "'other' in categories": OTHER_IMPLIED_MESSAGE,
      },
    },
    413: {
      description: 'A file, or the number of files, is over the upload limit.',
      examples: {
        'file too large': fileTooLargeMessage('scan.pdf', 25 * 1024 * 1024),
        'too many files': 'too many files: at most 20 per job',
      },
    },
    415: {
      description:
        'A file is not PDF, PNG, JPEG, TIFF, WebP or text (judged from its bytes), or the body is not multipart.',
      examples: {
        'unsupported type':
          "file 'photo.gif' is image/gif; supported types are PDF, PNG, JPEG, TIFF, WebP and plain text",
        'not multipart': notMultipartMessage('application/json'),
      },
    },
    422: true,
    429: true,
    503: {
      examples: {
        'database down': new StorageUnavailable().message,
        'file store down': FILE_STORE_DOWN_EXAMPLE,
        'storage full': STORAGE_FULL_EXAMPLE,
      },
    },
  })
  async classifyDocumentsAsync(
    @Req() req: UploadRequest,
    @Body() body: ClassifyDocumentsDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<JobAcceptedDto> {
    // The interceptor streamed each file into the BlobStore under this tenant and job id.
    const target = req.uploadTarget;
    if (!target) throw new Error('BlobUploadInterceptor did not run before classifyDocumentsAsync');
    const job = await this.jobs.submit({
      tenantId: target.tenantId,
      jobId: target.jobId,
      files: (req.files as StreamedUpload[] | undefined) ?? [],
      categories: body.categories,
      idempotencyKey: idempotencyKey?.slice(0, 200) || undefined,
      callbackUrl: body.callback_url?.trim() || undefined,
    });
    const statusUrl = `/job/${job.id}`;
    res.location(statusUrl);
    return { job_id: job.id, status: job.status, status_url: statusUrl, total_files: job.totalFiles };
  }

  @Get('job/:job_id')
  @ApiOperation({
    operationId: 'getJob',
    summary: 'Status, progress and per-document results of a job',
    description:
      'Poll until status is completed, failed or cancelled. result.documents has one entry per document, ' +
      'each with its own status, document_type, confidence and error; events is the timeline. ' +
      'With ?wait=N (at most 60) a pending or processing job is answered when its next event is written, or after ' +
      'N seconds, whichever comes first; pass ?since_event= with the last event id you saw so a change between ' +
      'your reads answers at once.',
  })
  @ApiOkResponse({ type: JobDto, description: 'the job', example: JOB_COMPLETED_EXAMPLE })
  @ApiErrorResponses({
    400: {
      description: 'wait or since_event is out of range.',
      examples: { 'wait too long': boundedIntMessage('wait', { min: 0, max: 60 }) },
    },
  })
  async getJob(
    @JobIdParam() jobId: string,
    @CurrentTenant() tenantId: string,
    @Query() query: GetJobQuery,
    @Res({ passthrough: true }) res: Response,
  ): Promise<JobDto> {
    if (query.wait) await this.waitForChange(tenantId, jobId, query, res);
    return toJobDto(await this.jobs.get(tenantId, jobId));
  }

  /** Long poll: until the job's next event, N seconds, or the client hanging up. */
  private async waitForChange(tenantId: string, jobId: string, query: GetJobQuery, res: Response): Promise<void> {
    const gone = new AbortController();
    const onClose = (): void => gone.abort();
    res.once('close', onClose);
    const signal = AbortSignal.any([gone.signal, AbortSignal.timeout(query.wait! * 1000)]);
    try {
      const since = query.since_event === undefined ? undefined : String(query.since_event);
      await this.follower.waitForChange(tenantId, jobId, since, signal);
    } finally {
      res.off('close', onClose);
    }
  }

  @Get('jobs')
  @ApiOperation({
    operationId: 'listJobs',
    summary: 'Recent jobs, newest first, filtered by status',
    description: 'Pages of at most limit jobs; pass next_cursor as cursor for the next page (null on the last).',
  })
  @ApiOkResponse({ type: JobListDto, description: 'one page of jobs', example: JOB_LIST_EXAMPLE })
  @ApiErrorResponses({
    400: {
      description: 'A query parameter is out of range or unknown.',
      examples: {
        'limit out of range': boundedIntMessage('limit', { min: 1, max: 100 }),
        'unknown status':
          'status must be one of the following values: pending, processing, completed, failed, cancelled',
        'bad cursor': BAD_CURSOR_MESSAGE,
      },
    },
  })
  async listJobs(@Query() query: ListJobsQuery, @CurrentTenant() tenantId: string): Promise<JobListDto> {
    const page = await this.jobs.list(tenantId, query);
    return { jobs: page.jobs.map(toJobSummary), next_cursor: page.nextCursor };
  }

  @Post('job/:job_id/cancel')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'cancelJob',
    summary: 'Cancel a pending or running job (a finished job is returned unchanged)',
    description:
      'Unfinished documents end skipped; a worker running the job stops within a second. ' +
      'Documents already classified keep their results. Retry the job to run the rest.',
  })
  @ApiOkResponse({
    type: JobSummaryDto,
    description: 'the job after the cancel',
    example: JOB_CANCELLED_SUMMARY_EXAMPLE,
  })
  async cancelJob(@JobIdParam() jobId: string, @CurrentTenant() tenantId: string): Promise<JobSummaryDto> {
    return toJobSummary(await this.jobs.cancel(tenantId, jobId));
  }

  @Post('job/:job_id/retry')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'retryJob',
    summary: 'Run a failed or cancelled job again, from its first unfinished document',
    description: 'The job is pending again with fresh attempts; documents already done are not read again.',
  })
  @ApiOkResponse({ type: JobSummaryDto, description: 'the job, pending again', example: JOB_RETRIED_SUMMARY_EXAMPLE })
  @ApiErrorResponses({ 409: 'The job is pending, processing or completed: only a failed or cancelled job is retried.' })
  async retryJob(@JobIdParam() jobId: string, @CurrentTenant() tenantId: string): Promise<JobSummaryDto> {
    return toJobSummary(await this.jobs.retry(tenantId, jobId));
  }

  @Delete('job/:job_id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteJob',
    summary: 'Delete a job, its files and their text, now',
    description: "Removes the job, its files' bytes, their page text and its timeline, at once and for good.",
  })
  @ApiNoContentResponse({ description: 'deleted (the body is empty)' })
  async deleteJob(@JobIdParam() jobId: string, @CurrentTenant() tenantId: string): Promise<void> {
    await this.jobs.delete(tenantId, jobId);
  }
}
