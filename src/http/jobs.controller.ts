import {
  Body,
  Controller,
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
  ApiConsumes,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnsupportedMediaTypeResponse,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { ErrorResponseDto } from '../common/error-response.dto';
import { JobsService, type UploadedDocument } from '../jobs/jobs.service';
import { ClassifyDocumentsDto } from './dto/upload.dto';
import { JobAcceptedDto, JobDto, JobListDto, JobSummaryDto, toJobDto, toJobSummary } from './dto/job.response';
import { ListJobsQuery } from './dto/list-jobs.query';
import { JobIdParam } from './pipes/parse-job-id.pipe';
import { UploadInterceptor } from './upload.interceptor';

@ApiTags('jobs')
@ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'the database is unreachable' })
@Controller()
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

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
  @ApiTooManyRequestsResponse({ type: ErrorResponseDto })
  async classifyDocumentsAsync(
    @Req() req: Request,
    @Body() body: ClassifyDocumentsDto,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<JobAcceptedDto> {
    const job = await this.jobs.submit((req.files as UploadedDocument[] | undefined) ?? [], {
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
    return toJobDto(await this.jobs.get(jobId));
  }

  @Get('jobs')
  @ApiOperation({ operationId: 'listJobs', summary: 'Recent jobs, newest first, filtered by status' })
  @ApiOkResponse({ type: JobListDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto })
  async listJobs(@Query() query: ListJobsQuery): Promise<JobListDto> {
    const page = await this.jobs.list(query);
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
    return toJobSummary(await this.jobs.cancel(jobId));
  }
}
