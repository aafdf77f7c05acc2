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
import type { Response } from 'express';
import { ErrorResponseDto } from '../common/error-response.dto';
import { ClassifyDocumentsDto } from './dto/upload.dto';
import { JobAcceptedDto, JobDto, JobListDto, JobSummaryDto, toJobDto, toJobSummary } from './dto/job.response';
import { ListJobsQuery } from './dto/list-jobs.query';
import { GetJobQuery } from './dto/live.dto';
import { JobFollower } from '../live/job-follower';
import { CurrentTenant } from '../tenants/request-principal';
import { DEFAULT_TENANT } from '../jobs/job.model';
import { JobsService } from '../jobs/jobs.service';
import { JobIdParam } from './pipes/parse-job-id.pipe';
import { BlobUploadInterceptor } from './blob-upload.interceptor';
import type { StreamedUpload, UploadRequest } from './blob-upload.engine';

@ApiTags('jobs')
@ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'the database is unreachable' })
@Controller()
export class JobsController {
  constructor(
    private readonly jobs: JobsService,
    private readonly follower: JobFollower,
  ) {}

  @Post('classify-documents-async')
  @HttpCode(202)
  @UseGuards(ThrottlerGuard)
  @UseInterceptors(BlobUploadInterceptor)
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
      'With ?wait=N (at most 60) a pending or processing job is answered when its next event is written, or after ' +
      'N seconds, whichever comes first; pass ?since_event= with the last event id you saw so a change between ' +
      'your reads answers at once.',
  })
  @ApiOkResponse({ type: JobDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'wait or since_event is out of range' })
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
}
