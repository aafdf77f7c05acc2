import type { DbFunctions } from '../database/db-functions.port';
import type { JobStatus } from '../jobs/job.model';

/** One entry of a job's event log, as the API sends it. */
export interface LoggedJobEvent {
  /** Increasing across the whole log (a bigint, as a string). */
  id: string;
  type: string;
  payload: Record<string, unknown>;
  created_at: string;
}

/** A job's events after some id, with the job's status and last event id from the same snapshot. */
export interface JobEventPage {
  status: JobStatus;
  lastEventId: string | null;
  events: LoggedJobEvent[];
}

/** Where a job's events are read from: `inbox_job_events_after`, on any transport. */
export class JobEventLog {
  constructor(private readonly db: DbFunctions) {}

  /** The tenant's job's events after `afterId` (oldest first, at most `limit`); null: no such job. */
  async after(tenantId: string, jobId: string, afterId: string, limit: number): Promise<JobEventPage | null> {
    const page = await this.db.call<{
      status: JobStatus;
      last_event_id: string | null;
      events: LoggedJobEvent[];
    } | null>('inbox_job_events_after', { p_tenant: tenantId, p_job: jobId, p_after_id: afterId, p_limit: limit });
    if (!page) return null;
    // As GET /job/{job_id} shows them: ISO 8601 in UTC.
    const events = page.events.map((e) => ({ ...e, created_at: new Date(e.created_at).toISOString() }));
    return { status: page.status, lastEventId: page.last_event_id, events };
  }

  /** Asks for NOTIFY on these jobs' events for `seconds` more (only watched jobs are notified). */
  async watch(jobIds: string[], seconds: number): Promise<void> {
    if (jobIds.length > 0) await this.db.call('inbox_watch_jobs', { p_jobs: jobIds, p_seconds: seconds });
  }
}

/** Statuses a job stays in unless someone retries it: a live stream ends there. */
export const FINISHED_STATUSES: ReadonlySet<JobStatus> = new Set(['completed', 'failed', 'cancelled']);
