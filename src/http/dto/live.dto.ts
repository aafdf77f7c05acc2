import { ApiProperty } from '@nestjs/swagger';
import { OptionalBoundedInt } from './bounded-int.decorator';

/** The largest event id a client can name (ids are bigints, far below this in practice). */
export const MAX_EVENT_ID = Number.MAX_SAFE_INTEGER;

/** The longest `?wait` on GET /job/{job_id}. */
export const MAX_WAIT_SECONDS = 60;

export class GetJobQuery {
  @OptionalBoundedInt({
    min: 0,
    max: MAX_WAIT_SECONDS,
    default: 0,
    description:
      'Long poll: while the job is pending or processing, wait up to this many seconds for its next event ' +
      '(answer at once when it is finished). 0 answers at once.',
  })
  wait?: number;

  @OptionalBoundedInt({
    min: 0,
    max: MAX_EVENT_ID,
    description:
      'With wait: the id of the last event you have seen (events[-1].id of your previous read). A job that ' +
      'already has a later event answers at once, so nothing that happened between your reads is waited through.',
  })
  since_event?: number;
}

export class JobEventsQuery {
  @OptionalBoundedInt({
    min: 0,
    max: MAX_EVENT_ID,
    description:
      'Send only the events after this id, as the Last-Event-ID header does (for clients that cannot set ' +
      'headers); the header wins when both are sent.',
  })
  after?: number;
}

/** The `data` of one event of GET /job/{job_id}/events. */
export class JobStreamEventDto {
  @ApiProperty({ description: 'the event id: send it as Last-Event-ID to resume after it', example: '42' })
  id!: string;
  @ApiProperty({ format: 'uuid', example: '6f1c2a9e-0d7b-4c1e-9a43-2f5b8c1d7e60' }) job_id!: string;
  @ApiProperty({
    description:
      'job.created, job.started, document.completed, document.failed, job.retry_scheduled, job.lease_expired, ' +
      'job.released, job.completed, job.failed, job.cancelled, job.retried',
    example: 'document.completed',
  })
  type!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    example: { index: 0, label: 'invoice', confidence: 0.97 },
  })
  payload!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time', example: '2026-12-02T10:00:01.480Z' }) created_at!: string;
}
