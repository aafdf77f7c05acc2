import { Controller, Get, Res, StreamableFile } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { FileGone, FileNotFound } from '../common/errors';
import { ApiErrorResponses } from './api-error-responses.decorator';
import { EXAMPLE_JOB_ID } from './dto/examples';
import { boundedIntMessage } from './pipes/parse-bounded-int.pipe';
import { JobsService } from '../jobs/jobs.service';
import { CurrentTenant } from '../tenants/request-principal';
import { attachmentDisposition } from './content-disposition';
import { BoundedIntParam } from './pipes/parse-bounded-int.pipe';
import { JobIdParam } from './pipes/parse-job-id.pipe';

@ApiTags('jobs')
@ApiErrorResponses({ 401: true, 403: true })
@Controller('job/:job_id/files/:position')
export class JobFilesController {
  constructor(private readonly jobs: JobsService) {}

  @Get()
  @ApiOperation({
    operationId: 'downloadJobFile',
    summary: 'Download an uploaded file, as it was uploaded',
    description: 'Streams the bytes with the sniffed content type. Gone (410) once retention purged them.',
  })
  @ApiOkResponse({
    description: 'the file; Content-Type is its sniffed type, Content-Disposition an attachment with its name',
    content: {
      'application/octet-stream': {
        schema: { type: 'string', format: 'binary' },
        example: '%PDF-1.7 (the bytes as uploaded)',
      },
    },
    headers: {
      'Content-Disposition': { description: "attachment; filename*=UTF-8''<name>", schema: { type: 'string' } },
      'Content-Length': { schema: { type: 'integer' } },
    },
  })
  @ApiErrorResponses({
    400: {
      description: 'The position is no integer from 0 to 999.',
      examples: { 'bad position': boundedIntMessage('position', { min: 0, max: 999 }) },
    },
    404: {
      description: "Another tenant's job, an unknown job, or no file at that position.",
      examples: { 'no such file': new FileNotFound(EXAMPLE_JOB_ID, 3).message },
    },
    410: {
      description: 'The file was purged by retention (RETENTION_FILES_DAYS); the job keeps its results.',
      examples: { purged: new FileGone(EXAMPLE_JOB_ID, 0, new Date('2026-11-01T03:00:00Z')).message },
    },
    503: true,
  })
  async downloadJobFile(
    @CurrentTenant() tenantId: string,
    @JobIdParam() jobId: string,
    // Positions run from 0 to UPLOAD_MAX_FILES - 1, and UPLOAD_MAX_FILES is at most 1000.
    @BoundedIntParam('position', { min: 0, max: 999 }, "The file's position in the upload, from 0") position: number,
    @Res({ passthrough: true }) res: Response,
  ): Promise<StreamableFile> {
    const { file, body } = await this.jobs.download(tenantId, jobId, position);
    // The type was sniffed from the bytes; never let a browser guess another (an HTML "text" file).
    res.setHeader('X-Content-Type-Options', 'nosniff');
    return new StreamableFile(body, {
      type: file.contentType,
      length: file.size,
      disposition: attachmentDisposition(file.filename),
    });
  }
}
