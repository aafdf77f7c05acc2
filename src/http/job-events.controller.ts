import { Controller, Get, Headers, Logger, Query, Res } from '@nestjs/common';
import {
  ApiHeader,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiExtraModels,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiErrorResponses } from './api-error-responses.decorator';
import { InvalidRequest, JobNotFound } from '../common/errors';
import type { LoggedJobEvent } from '../live/job-event-log';
import { JobFollower } from '../live/job-follower';
import { LiveSettings } from '../live/live-settings';
import { CurrentTenant } from '../tenants/request-principal';
import { JobEventsQuery, JobStreamEventDto, MAX_EVENT_ID } from './dto/live.dto';
import { boundedIntMessage, parseBoundedInt } from './pipes/parse-bounded-int.pipe';
import { JobIdParam } from './pipes/parse-job-id.pipe';

const STREAM_EXAMPLE = [
  ': job 6f1c2a9e-0d7b-4c1e-9a43-2f5b8c1d7e60',
  '',
  'id: 41',
  'event: job.started',
  'data: {"id":"41","job_id":"6f1c2a9e-0d7b-4c1e-9a43-2f5b8c1d7e60","type":"job.started","payload":{"attempt":1,"worker":"host-1234"},"created_at":"2026-12-02T10:00:00.120Z"}',
  '',
  'id: 42',
  'event: document.completed',
  'data: {"id":"42","job_id":"6f1c2a9e-0d7b-4c1e-9a43-2f5b8c1d7e60","type":"document.completed","payload":{"index":0,"label":"invoice","confidence":0.97},"created_at":"2026-12-02T10:00:01.480Z"}',
  '',
  'id: 43',
  'event: job.completed',
  'data: {"id":"43","job_id":"6f1c2a9e-0d7b-4c1e-9a43-2f5b8c1d7e60","type":"job.completed","payload":{"documents":1,"completed":1,"failed":0},"created_at":"2026-12-02T10:00:01.480Z"}',
  '',
  '',
].join('\n');

@ApiTags('jobs')
@ApiErrorResponses({ 401: true, 403: true })
@Controller()
export class JobEventsController {
  private readonly logger = new Logger('JobEvents');

  constructor(
    private readonly follower: JobFollower,
    private readonly settings: LiveSettings,
  ) {}

  @Get('job/:job_id/events')
  @ApiOperation({
    operationId: 'streamJobEvents',
    summary: "The job's events as Server-Sent Events, live, until the job is finished",
    description:
      'Sends the events of the job timeline (as in GET /job/{job_id} events[]) from the first, or after ' +
      'Last-Event-ID / ?after=, then each new one as it is written, and closes the stream after the job is ' +
      'completed, failed or cancelled. Each event carries `id` (resume with it), `event` (its type) and `data` ' +
      '(the event as JSON). A reconnecting EventSource sends Last-Event-ID itself and misses nothing. A comment ' +
      'line keeps an idle stream open every 15 s. 204 when the job is finished and has no event after the one named.',
  })
  @ApiExtraModels(JobStreamEventDto)
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'the id of the last event received: the stream resumes after it',
  })
  @ApiOkResponse({
    description: "an event stream: each event's `data` is one JobStreamEventDto as JSON",
    content: {
      'text/event-stream': { schema: { $ref: getSchemaPath(JobStreamEventDto) }, example: STREAM_EXAMPLE },
    },
  })
  @ApiNoContentResponse({ description: 'the job is finished and has no event after Last-Event-ID: nothing to follow' })
  @ApiErrorResponses({
    400: {
      description: 'Last-Event-ID or after is not an event id.',
      examples: {
        'bad Last-Event-ID': `${boundedIntMessage('Last-Event-ID', { min: 0, max: MAX_EVENT_ID })}: send the id of the last event received`,
      },
    },
    503: true,
  })
  async streamJobEvents(
    @JobIdParam() jobId: string,
    @CurrentTenant() tenantId: string,
    @Query() query: JobEventsQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const after = resumeAfter(lastEventId, query.after);
    const disconnected = new AbortController();
    res.on('close', () => disconnected.abort());
    const feed = await this.follower.follow(tenantId, jobId, after, disconnected.signal);
    if (!feed) throw new JobNotFound(jobId);
    if (feed.finished) {
      // An EventSource reconnects after a stream ends; a 204 tells it to stop.
      res.status(204).end();
      return;
    }
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    res.write(`: job ${jobId}\n\n`);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), this.settings.heartbeatIntervalMs);
    try {
      for await (const batch of feed.batches) {
        if (!(await write(res, batch.map((e) => frame(jobId, e)).join('')))) break;
      }
    } catch (err) {
      // The headers are sent: the client sees the stream end and reconnects with Last-Event-ID.
      this.logger.warn(`event stream of job ${jobId} stopped: ${(err as Error).message}`);
    } finally {
      clearInterval(heartbeat);
      disconnected.abort();
      res.end();
    }
  }
}

/** Where the stream starts: after Last-Event-ID (an EventSource's reconnect), else `?after=`, else at the start. */
function resumeAfter(header: string | undefined, after: number | undefined): string {
  if (header !== undefined && header.trim() !== '') {
    const id = parseBoundedInt(header.trim(), { min: 0, max: MAX_EVENT_ID });
    if (id === undefined) {
      throw new InvalidRequest(
        `${boundedIntMessage('Last-Event-ID', { min: 0, max: MAX_EVENT_ID })}: send the id of the last event received`,
      );
    }
    return String(id);
  }
  return String(after ?? 0);
}

/** One SSE event: the id to resume from, the type, and the event as one line of JSON. */
function frame(jobId: string, e: LoggedJobEvent): string {
  const event: JobStreamEventDto = {
    id: e.id,
    job_id: jobId,
    type: e.type,
    payload: e.payload,
    created_at: e.created_at,
  };
  const data = JSON.stringify(event);
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${data}\n\n`;
}

/** Writes, waiting for the socket to drain; false when the client went away first. */
function write(res: Response, chunk: string): Promise<boolean> {
  if (res.destroyed) return Promise.resolve(false);
  if (res.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = (): void => done(true);
    const onClose = (): void => done(false);
    res.once('drain', onDrain);
    res.once('close', onClose);
  });
}
