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
