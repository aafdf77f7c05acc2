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
import { CurrentTenant } from '../tenants/request-principal';
import { JobsService } from '../jobs/jobs.service';
import { JobIdParam } from './pipes/parse-job-id.pipe';
import { BlobUploadInterceptor } from './blob-upload.interceptor';
import type { StreamedUpload, UploadRequest } from './blob-upload.engine';

@ApiTags('jobs')
@ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'the database is unreachable' })
@Controller()
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

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
  @ApiOperation({ operationId: 'getJob', summary: 'Status, progress and per-document results of a job' })
  @ApiOkResponse({ type: JobDto })
  async getJob(@JobIdParam() jobId: string, @CurrentTenant() tenantId: string): Promise<JobDto> {
    return toJobDto(await this.jobs.get(tenantId, jobId));
  }

  @Get('jobs')
  @ApiOperation({ operationId: 'listJobs', summary: 'Recent jobs, newest first, filtered by status' })
  @ApiOkResponse({ type: JobListDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  async listJobs(@Query() query: ListJobsQuery, @CurrentTenant() tenantId: string): Promise<JobListDto> {
    const page = await this.jobs.list(tenantId, query);
    return { jobs: page.jobs.map(toJobSummary), next_cursor: page.nextCursor };
  }

  @Post('job/:job_id/cancel')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'cancelJob',
    summary: 'Cancel a pending or running job (a finished job is returned unchanged)',
  })
  @ApiOkResponse({ type: JobSummaryDto })
  async cancelJob(@JobIdParam() jobId: string, @CurrentTenant() tenantId: string): Promise<JobSummaryDto> {
    return toJobSummary(await this.jobs.cancel(tenantId, jobId));
  }

  @Post('job/:job_id/retry')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'retryJob',
    summary: 'Run a failed or cancelled job again, from its first unfinished document',
  })
  @ApiOkResponse({ type: JobSummaryDto })
  @ApiConflictResponse({ type: ErrorResponseDto, description: 'the job is pending, running or completed' })
  async retryJob(@JobIdParam() jobId: string, @CurrentTenant() tenantId: string): Promise<JobSummaryDto> {
    return toJobSummary(await this.jobs.retry(tenantId, jobId));
  }

  @Delete('job/:job_id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteJob', summary: 'Delete a job, its files and their text, now' })
  @ApiNoContentResponse({ description: 'deleted' })
  async deleteJob(@JobIdParam() jobId: string, @CurrentTenant() tenantId: string): Promise<void> {
    await this.jobs.delete(tenantId, jobId);
  }
}
