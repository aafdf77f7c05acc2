import { FINISHED_STATUSES, type JobEventLog, type JobEventPage, type LoggedJobEvent } from './job-event-log';
import type { JobEventsWatcher } from './job-events.watcher';
import { Wakeup } from './wakeup';

/** Events read per query; a longer backlog is read in several. */
const PAGE_SIZE = 200;

export interface JobEventFeed {
  /** True when the job is finished and has no event after the one the client named. */
  finished: boolean;
  /** Batches of the job's events, oldest first, ending after the job's last event once it is finished. */
  batches: AsyncGenerator<LoggedJobEvent[], void, undefined>;
}

/**
 * Follows jobs' event logs: the events after an id as they are written (SSE), or the first change
 * after an id (long polling). Reads go to the log, wake-ups come from the watcher.
 */
export class JobFollower {
  constructor(
    private readonly log: JobEventLog,
    private readonly watcher: JobEventsWatcher,
  ) {}

  /**
   * The job's events after `afterId` ('0': all), as they come, until the job is finished or the
   * signal aborts; null when the tenant has no such job. The first read checks the job before
   * anything is watched; the subscription ends when the batches end or the signal aborts.
   */
  async follow(tenantId: string, jobId: string, afterId: string, until: AbortSignal): Promise<JobEventFeed | null> {
    const first = await this.log.after(tenantId, jobId, afterId, PAGE_SIZE);
    if (!first) return null;
    if (first.events.length === 0 && FINISHED_STATUSES.has(first.status)) return { finished: true, batches: nothing() };
    const signal = AbortSignal.any([until, this.watcher.stopping]);
    const wakeup = new Wakeup();
    const unsubscribe = await this.watcher.subscribe(jobId, () => wakeup.set());
    // What was committed between the first read and the subscription is read at once.
    wakeup.set();
    // A generator's finally runs only once it has started: the abort ends the subscription too.
    signal.addEventListener('abort', unsubscribe, { once: true });
    if (signal.aborted) unsubscribe();
    const batches = this.batches({ tenantId, jobId, afterId, first, wakeup, signal, unsubscribe });
    return { finished: false, batches };
  }

  private async *batches(f: {
    tenantId: string;
    jobId: string;
    afterId: string;
    first: JobEventPage;
    wakeup: Wakeup;
    signal: AbortSignal;
    unsubscribe: () => void;
  }): AsyncGenerator<LoggedJobEvent[], void, undefined> {
    try {
      let cursor = f.afterId;
      let page: JobEventPage | null = f.first;
      while (page && !f.signal.aborted) {
        const events = page.events;
        if (events.length > 0) {
          cursor = events[events.length - 1].id;
          yield events;
        }
        const backlog = events.length === PAGE_SIZE;
        if (!backlog) {
          if (FINISHED_STATUSES.has(page.status)) return;
          await f.wakeup.wait(f.signal);
          if (f.signal.aborted) return;
        }
        page = await this.log.after(f.tenantId, f.jobId, cursor, PAGE_SIZE);
      }
    } finally {
      f.signal.removeEventListener('abort', f.unsubscribe);
      f.unsubscribe();
    }
  }

  /**
   * Waits until the job has an event after `sinceEventId`, is finished, is gone, or the signal
   * aborts. Without `sinceEventId` it waits for an event after the job's last one now. A job that
   * already moved past `sinceEventId` answers at once: that closes the gap between a client's
   * read and its wait.
   */
  async waitForChange(
    tenantId: string,
    jobId: string,
    sinceEventId: string | undefined,
    until: AbortSignal,
  ): Promise<void> {
    const first = await this.log.after(tenantId, jobId, sinceEventId ?? '0', 1);
    if (!first || FINISHED_STATUSES.has(first.status)) return;
    if (sinceEventId !== undefined && first.events.length > 0) return;
    const since = sinceEventId ?? first.lastEventId ?? '0';
    const signal = AbortSignal.any([until, this.watcher.stopping]);
    const wakeup = new Wakeup();
    const unsubscribe = await this.watcher.subscribe(jobId, () => wakeup.set());
    try {
      // Read again once subscribed: a change between the first read and the subscription counts.
      for (;;) {
        const page = await this.log.after(tenantId, jobId, since, 1);
        if (!page || FINISHED_STATUSES.has(page.status) || page.events.length > 0) return;
        await wakeup.wait(signal);
        if (signal.aborted) return;
      }
    } finally {
      unsubscribe();
    }
  }
}

async function* nothing(): AsyncGenerator<LoggedJobEvent[], void, undefined> {}
