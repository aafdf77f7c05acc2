import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CorrectionsService } from '../jobs/corrections.service';
import { DocumentNotFound } from '../common/errors';
import { ApiErrorResponses } from './api-error-responses.decorator';
import { CORRECTION_EXAMPLE, EXAMPLE_JOB_ID } from './dto/examples';
import { CurrentTenant } from '../tenants/request-principal';
import { CorrectionDto, RecordCorrectionDto } from './dto/correction.dto';
import { boundedIntMessage, BoundedIntParam, MAX_INT32 } from './pipes/parse-bounded-int.pipe';
import { JobIdParam } from './pipes/parse-job-id.pipe';

@ApiTags('corrections')
@ApiErrorResponses({ 401: true, 403: true })
@Controller('job/:job_id/documents/:position/label')
export class CorrectionsController {
  constructor(private readonly corrections: CorrectionsService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    operationId: 'labelDocument',
    summary: "Records a document's right type",
    description:
      'The label becomes training data for the local classifier and a few-shot example for the OpenAI prompt. ' +
      'Labelling the same document again replaces the earlier label.',
  })
  @ApiOkResponse({ type: CorrectionDto, description: 'the label as recorded', example: CORRECTION_EXAMPLE })
  @ApiErrorResponses({
    400: {
      description: 'The label is not a category id (see GET /categories) or other, or the position is no integer.',
      examples: {
        'unknown label': "label 'spaceship' is not a document type; expected one of: invoice, receipt, …, other",
        'bad position': boundedIntMessage('position', { min: 0, max: MAX_INT32 }),
      },
    },
    404: {
      description: 'The job has no document at that position.',
      examples: { 'no such document': new DocumentNotFound(EXAMPLE_JOB_ID, 7).message },
    },
    409: {
      description: 'The document has no text yet (still pending) or none could be read.',
      examples: {
        'not processed yet': `document 1 of job ${EXAMPLE_JOB_ID} has no text yet (status pending); label it once it is processed`,
      },
    },
    503: true,
  })
  async labelDocument(
    @JobIdParam() jobId: string,
    @BoundedIntParam('position', { min: 0, max: MAX_INT32 }, "The document's position in the upload, from 0")
    position: number,
    @Body() body: RecordCorrectionDto,
    @CurrentTenant() tenantId: string,
  ): Promise<CorrectionDto> {
    const c = await this.corrections.record(tenantId, jobId, position, body.label);
    return {
      job_id: c.jobId ?? jobId,
      position: c.position ?? position,
      filename: c.filename,
      label: c.label,
      predicted_label: c.predictedLabel,
      created_at: c.createdAt.toISOString(),
      updated_at: c.updatedAt.toISOString(),
    };
  }
}
