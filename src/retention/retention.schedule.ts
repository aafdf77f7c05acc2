import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { Interval } from '@nestjs/schedule';
import { RetentionPurger } from './retention-purger';

/** How often the worker purges (RETENTION_FILES_DAYS, RETENTION_JOBS_DAYS): ages are in days. */
export const RETENTION_INTERVAL_MS = 60 * 60 * 1000;

/**
 * Runs the retention purge once at boot and then every hour, one run at a time, when either
 * setting is on. A failed run is logged and tried again at the next tick.
 */
@Injectable()
export class RetentionSchedule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(RetentionSchedule.name);
  private running?: Promise<unknown>;

  constructor(private readonly purger: RetentionPurger) {}

  onApplicationBootstrap(): void {
    this.tick();
  }

  @Interval('retention', RETENTION_INTERVAL_MS)
  tick(): void {
    if (!this.purger.enabled || this.running) return;
    this.running = this.purger
      .purgeOnce()
      .catch((err: unknown) => this.logger.warn(`retention purge failed: ${(err as Error).message}`))
      .finally(() => (this.running = undefined));
  }

  /** Resolves when no purge is running (tests, shutdown). */
  async idle(): Promise<void> {
    await this.running;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.running;
  }
}
