import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { BlobSweeper } from './blob-sweeper';

/**
 * Runs the BlobSweeper every BLOB_SWEEP_INTERVAL_MINUTES (0: never), one sweep at a time. A
 * failed sweep is logged and tried again at the next tick: it is a backstop, never urgent.
 */
@Injectable()
export class BlobSweepSchedule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(BlobSweepSchedule.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly sweeper: BlobSweeper,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.blobs.sweepIntervalMs;
    if (every <= 0) return;
    this.timer = setInterval(() => this.tick(), every);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.sweeper
      .sweepOnce()
      .catch((err: unknown) => this.logger.warn(`blob sweep failed: ${(err as Error).message}`))
      .finally(() => (this.running = undefined));
  }
}
