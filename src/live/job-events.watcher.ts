import { Logger, type OnModuleDestroy } from '@nestjs/common';
import type { SqlClient } from '../database/sql-client.port';

/** The channel the migration's statement trigger notifies, with the changed jobs' ids. */
export const JOB_EVENTS_CHANNEL = 'inbox_job_events';

/** How long a watch lasts unless renewed; renewed at a third of it while anyone follows the job. */
export const WATCH_SECONDS = 60;

export interface JobEventsWatcherSettings {
  /** LISTEN, where the transport has it (pg, PGlite); without it the watcher polls. */
  listen?: SqlClient['listen'];
  /** Asks the database to notify these jobs' events (inbox_watch_jobs); needed with `listen`. */
  watch?: (jobIds: string[], seconds: number) => Promise<void>;
  pollIntervalMs: number;
  safetyPollIntervalMs: number;
}

/**
 * Tells the followers of a job that it may have new events. One LISTEN for the whole process
 * (opened on the first subscription, closed at shutdown), and a watch on each followed job so the
 * database notifies its events (renewed while followed; only watched jobs are notified, to keep
 * NOTIFY off the workers' hot path). Without LISTEN, or on top of it at a slower pace, a timer
 * wakes every follower while there are any. A wake-up is only a hint: each follower reads the log
 * after the last event it has, so a spurious one costs a query and a lost one is caught by the
 * next tick.
 */
export class JobEventsWatcher implements OnModuleDestroy {
  private readonly logger = new Logger(JobEventsWatcher.name);
  private readonly followers = new Map<string, Set<() => void>>();
  private listening: Promise<boolean> | null = null;
  private stopListening: (() => Promise<void>) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private renewal: NodeJS.Timeout | null = null;
  /** Each followed job's watch, once asked for; a later subscriber waits for the same one. */
  private readonly watches = new Map<string, Promise<void>>();
  private closed = false;
  private readonly shutdown = new AbortController();

  constructor(private readonly settings: JobEventsWatcherSettings) {}

  /** Calls onChange whenever the job may have changed, until the returned function is called. */
  async subscribe(jobId: string, onChange: () => void): Promise<() => void> {
    const listening = await this.ensureListening();
    // Before the follower's next read: an event committed after the watch is notified, one
    // committed before it is in that read. (A commit racing the watch, its trigger run before the
    // watch and its commit after the read, is caught by the safety tick: late, never lost.)
    if (listening) await this.ensureWatched(jobId);
    let set = this.followers.get(jobId);
    if (!set) this.followers.set(jobId, (set = new Set()));
    // A fresh function per subscription, so one follower subscribing twice is two subscribers.
    const callback = (): void => onChange();
    set.add(callback);
    this.ensureTimer(listening);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.remove(jobId, callback);
    };
  }

  private remove(jobId: string, callback: () => void): void {
    const current = this.followers.get(jobId);
    current?.delete(callback);
    if (current?.size === 0) {
      this.followers.delete(jobId);
      // Not unwatched in the database: the watch runs out by itself within WATCH_SECONDS.
      this.watches.delete(jobId);
    }
    if (this.followers.size === 0) this.clearTimer();
  }

  private ensureWatched(jobId: string): Promise<void> {
    const watch = this.settings.watch;
    if (!watch) return Promise.resolve();
    let watched = this.watches.get(jobId);
    // A watch asked for while nobody followed the job may have run out: ask again.
    if (!watched || !this.followers.has(jobId)) {
      watched = watch([jobId], WATCH_SECONDS);
      this.watches.set(jobId, watched);
      watched.catch(() => this.watches.delete(jobId));
    }
    return watched;
  }

  private renewWatches(): void {
    const watch = this.settings.watch;
    const ids = [...this.followers.keys()];
    if (!watch || ids.length === 0) return;
    watch(ids, WATCH_SECONDS).catch((err: unknown) =>
      this.logger.warn(`could not renew ${ids.length} live watch(es): ${(err as Error).message}`),
    );
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
    if (listening) {
      this.renewal = setInterval(() => this.renewWatches(), (WATCH_SECONDS * 1000) / 3);
      this.renewal.unref();
    }
  }

  private clearTimer(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.renewal) clearInterval(this.renewal);
    this.timer = null;
    this.renewal = null;
  }
}
