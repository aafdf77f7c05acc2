import { Body, Controller, HttpCode, Param, ParseIntPipe, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { CorrectionDto, RecordCorrectionDto } from './correction.dto';
import { CorrectionsService } from './corrections.service';

@ApiTags('corrections')
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
  @ApiParam({ name: 'job_id', format: 'uuid' })
  @ApiParam({ name: 'position', type: Number, description: "The document's position in the upload, from 0" })
  @ApiOkResponse({ type: CorrectionDto })
  @ApiBadRequestResponse({ description: 'The label is not a category id (see GET /categories) or other.' })
  @ApiNotFoundResponse({ description: 'No such job, or no document at that position.' })
  @ApiConflictResponse({ description: 'The document has no text yet (still pending) or none could be read.' })
  async labelDocument(
    @Param('job_id') jobId: string,
    @Param('position', ParseIntPipe) position: number,
    @Body() body: RecordCorrectionDto,
  ): Promise<CorrectionDto> {
    const c = await this.corrections.record(jobId, position, body.label);
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
