import { AsyncResource } from 'node:async_hooks';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config';
import { JobQueue } from '../jobs/job-queue.port';
import { JobRunner } from './job-runner';
import { OutcomeWriter } from './outcome-writer';

interface RunningJob {
  abort: AbortController;
  done: Promise<void>;
}

/**
 * The claim loop. Wakes on a NOTIFY (a job was created, retried or handed back) and on a polling
 * interval, claims as many jobs as it has free slots in one call, renews leases by heartbeat,
 * stops a job the moment it is cancelled (NOTIFY; the heartbeat is the fallback), and on shutdown
 * stops claiming, lets running jobs finish within the grace period and hands the rest back.
 */
@Injectable()
export class WorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly logger = new Logger('Worker');
  private readonly running = new Map<string, RunningJob>();
  private readonly writer: OutcomeWriter;
  private stopListening?: () => Promise<void>;
  private draining = false;
  private claiming = false;
  private wakeAgain = false;
  /** The claim loop in flight, if any: shutdown waits for it. */
  private claimRun?: Promise<void>;
  /**
   * Created at boot, outside any request: jobs run in this async context, so a wake-up that
   * comes from an upload (NOTIFY in-process) does not carry the request's log context.
   */
  private readonly context = new AsyncResource('doc-inbox-worker');

  constructor(
    private readonly queue: JobQueue,
    private readonly runner: JobRunner,
    private readonly scheduler: SchedulerRegistry,
    private readonly config: AppConfig,
  ) {
    this.writer = new OutcomeWriter(queue, this.workerId);
  }

  async onApplicationBootstrap(): Promise<void> {
    const { concurrency, pollIntervalMs, leaseSeconds } = this.config.worker;
    this.logger.log({ workerId: this.workerId, concurrency, pollIntervalMs, leaseSeconds }, 'Worker Process Starting');
    try {
      this.stopListening = await this.queue.subscribe({
        onRunnable: () => this.wake(),
        onCancelled: (jobId) => this.stop(jobId, 'cancelled or deleted'),
      });
    } catch (err) {
      this.logger.warn(`cannot LISTEN for jobs (${(err as Error).message}); polling only`);
    }
    this.scheduler.addInterval(
      'worker-poll',
      setInterval(() => this.wake(), pollIntervalMs),
    );
    // Renew well before the lease runs out: a third of it, so two missed beats are survivable.
    this.scheduler.addInterval(
      'worker-heartbeat',
      setInterval(() => void this.heartbeat(), (leaseSeconds * 1000) / 3),
    );
    this.wake();
  }

  /** Claims jobs while there are free slots. Safe to call any number of times. */
  wake(): void {
    if (this.draining) return;
    if (this.claiming) {
      this.wakeAgain = true;
      return;
    }
    this.claiming = true;
    this.claimRun = this.context
      .runInAsyncScope(() => this.claimWhileFree())
      .finally(() => {
        this.claiming = false;
        if (this.wakeAgain && !this.draining) {
          this.wakeAgain = false;
          this.wake();
        }
      });
  }

  private async claimWhileFree(): Promise<void> {
    const { concurrency } = this.config.worker;
    // Claim in batches: with jobs running, wait until a quarter of the slots are free, so a
    // busy worker makes one claim per several jobs instead of one per job.
    const batch = Math.max(1, Math.floor(concurrency / 4));
    while (!this.draining) {
      const free = concurrency - this.running.size;
      if (free <= 0 || (this.running.size > 0 && free < batch)) return;
      let jobs;
      try {
        jobs = await this.queue.claim(this.workerId, free);
      } catch (err) {
        this.logger.warn(`claim failed (${(err as Error).message}); will retry on the next poll`);
        return;
      }
      if (jobs.length === 0) return;
      this.logger.log({ workerId: this.workerId }, `Found ${jobs.length} pending job(s)`);
      for (const job of jobs) {
        const abort = new AbortController();
        const done = this.runner
          .run(job, this.workerId, this.writer, abort.signal)
          .catch((err: unknown) => this.logger.error({ jobId: job.id, err }, 'job runner failed'))
          .finally(() => {
            this.running.delete(job.id);
            this.wake();
          });
        this.running.set(job.id, { abort, done });
      }
    }
  }

  private async heartbeat(): Promise<void> {
    const ids = [...this.running.keys()];
    if (ids.length === 0) return;
    try {
      const held = new Set(await this.queue.heartbeat(this.workerId, ids));
      // Cancelled, or the lease was lost to another worker: stop spending work on it.
      for (const id of ids) if (!held.has(id)) this.stop(id, 'no longer held: cancelled or lease lost');
    } catch (err) {
      this.logger.warn(`heartbeat failed (${(err as Error).message})`);
    }
  }

  private stop(jobId: string, why: string): void {
    const job = this.running.get(jobId);
    if (!job || job.abort.signal.aborted) return;
    this.logger.warn({ jobId, workerId: this.workerId }, `Job ${why}; stopping it`);
    job.abort.abort();
  }

  /** Before the database closes (that happens in onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    this.draining = true;
    for (const name of ['worker-poll', 'worker-heartbeat']) {
      if (this.scheduler.doesExist('interval', name)) this.scheduler.deleteInterval(name);
    }
    await this.stopListening?.().catch(() => undefined);
    // A claim in flight may still hand us jobs: they must be running (or released) below.
    await this.claimRun;
    if (this.running.size > 0) {
      this.logger.log(`draining ${this.running.size} running job(s), up to ${this.config.worker.shutdownGraceMs} ms`);
      const heartbeat = setInterval(() => void this.heartbeat(), (this.config.worker.leaseSeconds * 1000) / 3);
      const all = Promise.all([...this.running.values()].map((r) => r.done));
      const grace = new Promise((r) => setTimeout(r, this.config.worker.shutdownGraceMs).unref());
      await Promise.race([all, grace]);
      clearInterval(heartbeat);
    }
    const left = [...this.running.keys()];
    if (left.length > 0) {
      for (const job of this.running.values()) job.abort.abort();
      await this.queue
        .release(this.workerId, left)
        .catch((err: unknown) =>
          this.logger.warn(
            `could not release ${left.length} job(s): ${(err as Error).message}; their leases will expire`,
          ),
        );
      this.logger.log(`released ${left.length} unfinished job(s) back to the queue`);
    }
  }
}
