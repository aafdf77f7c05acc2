import { AsyncResource } from 'node:async_hooks';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap, type BeforeApplicationShutdown } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '../config/app-config';
import type { ClaimedJob } from '../jobs/job.model';
import { JobQueue } from '../jobs/job-queue.port';
import { JobRunner } from './job-runner';
import { OutcomeWriter } from './outcome-writer';

interface RunningJob {
  abort: AbortController;
  done: Promise<void>;
}

/**
 * Jobs shorter than this on average are claimed ahead: more are held locally (under lease,
 * renewed by the heartbeat) so the next batch is at hand when a slot frees, instead of a claim
 * round trip away. Longer jobs are not: a job waiting behind seconds-long work here could be
 * running on an idle worker.
 */
const CLAIM_AHEAD_MAX_JOB_MS = 200;
/**
 * How much work is held ahead: about this long of it at full concurrency (at least one more job
 * per slot), so short jobs come in claims of hundreds, as graphile-worker's local queue does.
 */
const CLAIM_AHEAD_WORK_MS = 100;
/** And never more jobs ahead than this, however short they are (graphile-worker's default local queue). */
const CLAIM_AHEAD_MAX_JOBS = 500;

/**
 * The claim loop. Wakes on a NOTIFY (a job was created, retried or handed back) and on a polling
 * interval, claims as many jobs as it has room for in one call (its free slots, and as many again
 * held locally while jobs are short), renews leases by heartbeat, stops a job the moment it is
 * cancelled (NOTIFY; the heartbeat is the fallback), and on shutdown stops claiming, hands the
 * jobs waiting locally back at once, lets running jobs finish within the grace period and hands
 * the rest back.
 */
@Injectable()
export class WorkerService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  private readonly logger = new Logger('Worker');
  /** Jobs started and not done: computing, or with their last outcome still being written. */
  private readonly running = new Map<string, RunningJob>();
  /** Slots in use: jobs still computing (a job writing its last outcome has given its slot up). */
  private busy = 0;
  /** Claimed ahead, in claim order, waiting for a free slot. */
  private readonly waiting = new Map<string, ClaimedJob>();
  /** Moving average of how long a job runs, which decides whether to claim ahead. */
  private averageJobMs?: number;
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
    while (!this.draining) {
      const room = concurrency + this.claimAhead();
      const held = this.running.size + this.waiting.size;
      const free = room - held;
      // Claim in batches: with jobs held, wait until a quarter of the room is free, so a busy
      // worker makes one claim per several jobs instead of one per job.
      const batch = Math.max(1, Math.floor(room / 4));
      if (free <= 0 || (held > 0 && free < batch)) return;
      let jobs;
      try {
        jobs = await this.queue.claim(this.workerId, free);
      } catch (err) {
        this.logger.warn(`claim failed (${(err as Error).message}); will retry on the next poll`);
        return;
      }
      if (jobs.length === 0) return;
      this.logger.log({ workerId: this.workerId }, `Found ${jobs.length} pending job(s)`);
      // Even when shutdown began meanwhile: it hands back whatever waits here.
      for (const job of jobs) this.waiting.set(job.id, job);
      this.startWaiting();
    }
  }

  /** How many jobs to hold beyond the running ones. */
  private claimAhead(): number {
    const { concurrency } = this.config.worker;
    const average = this.averageJobMs;
    if (average === undefined || average >= CLAIM_AHEAD_MAX_JOB_MS) return 0;
    const perSlot = Math.max(1, Math.floor(CLAIM_AHEAD_WORK_MS / Math.max(average, 0.001)));
    return Math.min(CLAIM_AHEAD_MAX_JOBS, concurrency * perSlot);
  }

  /** Starts waiting jobs, in claim order, while slots are free. */
  private startWaiting(): void {
    const { concurrency } = this.config.worker;
    for (const job of this.waiting.values()) {
      if (this.draining || this.busy >= concurrency) return;
      this.waiting.delete(job.id);
      this.start(job);
    }
  }

  private start(job: ClaimedJob): void {
    const abort = new AbortController();
    const began = performance.now();
    this.busy++;
    let slotFreed = false;
    const freeSlot = () => {
      if (slotFreed) return;
      slotFreed = true;
      this.busy--;
      const ms = performance.now() - began;
      this.averageJobMs = this.averageJobMs === undefined ? ms : this.averageJobMs * 0.9 + ms * 0.1;
      this.startWaiting();
      this.wake();
    };
    const done = this.runner
      .run(job, this.workerId, this.writer, abort.signal, freeSlot)
      .catch((err: unknown) => this.logger.error({ jobId: job.id, err }, 'job runner failed'))
      .finally(() => {
        this.running.delete(job.id);
        freeSlot();
        // Held jobs count against the room to claim: one written may make room for a claim.
        this.wake();
      });
    this.running.set(job.id, { abort, done });
  }

  private async heartbeat(): Promise<void> {
    // The jobs waiting locally too: their leases must not run out while they wait.
    const ids = [...this.running.keys(), ...this.waiting.keys()];
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
    if (this.waiting.delete(jobId)) {
      this.logger.warn({ jobId, workerId: this.workerId }, `Job ${why} before it started; dropping it`);
      return;
    }
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
    // Jobs claimed ahead and not started go back at once, for other workers to start now.
    const waiting = [...this.waiting.keys()];
    this.waiting.clear();
    if (waiting.length > 0) {
      await this.queue
        .release(this.workerId, waiting)
        .then(() => this.logger.log(`released ${waiting.length} job(s) claimed ahead back to the queue`))
        .catch((err: unknown) =>
          this.logger.warn(
            `could not release ${waiting.length} job(s): ${(err as Error).message}; their leases will expire`,
          ),
        );
    }
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
