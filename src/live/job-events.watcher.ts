import { Logger, type OnModuleDestroy } from '@nestjs/common';
import type { SqlClient } from '../database/sql-client.port';

/** The channel the migration's statement trigger notifies, with the changed jobs' ids. */
export const JOB_EVENTS_CHANNEL = 'inbox_job_events';

export interface JobEventsWatcherSettings {
  /** LISTEN, where the transport has it (pg, PGlite); without it the watcher polls. */
  listen?: SqlClient['listen'];
  pollIntervalMs: number;
  safetyPollIntervalMs: number;
}

/**
 * Tells the followers of a job that it may have new events. One LISTEN for the whole process
 * (opened on the first subscription, closed at shutdown); without LISTEN, or on top of it at a
 * slower pace, a timer wakes every follower while there are any. A wake-up is only a hint: each
 * follower reads the log after the last event it has, so a spurious one costs a query and a lost
 * one is caught by the next tick.
 */
export class JobEventsWatcher implements OnModuleDestroy {
  private readonly logger = new Logger(JobEventsWatcher.name);
  private readonly followers = new Map<string, Set<() => void>>();
  private listening: Promise<boolean> | null = null;
  private stopListening: (() => Promise<void>) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly shutdown = new AbortController();

  constructor(private readonly settings: JobEventsWatcherSettings) {}

  /** Calls onChange whenever the job may have changed, until the returned function is called. */
  async subscribe(jobId: string, onChange: () => void): Promise<() => void> {
    let set = this.followers.get(jobId);
    if (!set) this.followers.set(jobId, (set = new Set()));
    // A fresh function per subscription, so one follower subscribing twice is two subscribers.
    const callback = (): void => onChange();
    set.add(callback);
    const listening = await this.ensureListening();
    this.ensureTimer(listening);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const current = this.followers.get(jobId);
      current?.delete(callback);
      if (current?.size === 0) this.followers.delete(jobId);
      if (this.followers.size === 0) this.clearTimer();
    };
  }

  /** Subscriptions open now, for tests and diagnostics. */
  subscriberCount(): number {
    let n = 0;
    for (const set of this.followers.values()) n += set.size;
    return n;
  }

  /**
   * Aborts at shutdown, before the HTTP server closes: open streams and long polls end then (a
   * client resumes with Last-Event-ID elsewhere) instead of holding the server open.
   */
  get stopping(): AbortSignal {
    return this.shutdown.signal;
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    this.shutdown.abort();
    this.clearTimer();
    const stop = this.stopListening;
    this.stopListening = null;
    if (stop) await stop();
  }

  /** A notification's payload: comma-separated job ids, or empty for "any job". */
  private notified(payload: string): void {
    if (payload === '') return this.wakeAll();
    for (const id of payload.split(',')) {
      for (const wake of this.followers.get(id) ?? []) wake();
    }
  }

  private wakeAll(): void {
    for (const set of this.followers.values()) for (const wake of set) wake();
  }

  private ensureListening(): Promise<boolean> {
    const listen = this.settings.listen;
    if (!listen || this.closed) return Promise.resolve(false);
    this.listening ??= listen(JOB_EVENTS_CHANNEL, (payload) => this.notified(payload)).then(
      async (stop) => {
        if (this.closed) {
          await stop();
          return false;
        }
        this.stopListening = stop;
        return true;
      },
      (err: unknown) => {
        this.logger.warn(`LISTEN ${JOB_EVENTS_CHANNEL} failed (${(err as Error).message}); live progress polls`);
        return false;
      },
    );
    return this.listening;
  }

  private ensureTimer(listening: boolean): void {
    if (this.timer || this.followers.size === 0 || this.closed) return;
    const interval = listening ? this.settings.safetyPollIntervalMs : this.settings.pollIntervalMs;
    this.timer = setInterval(() => this.wakeAll(), interval);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
