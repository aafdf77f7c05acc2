import { Logger } from '@nestjs/common';
import type { Correction, CorrectionStore } from './correction-store.port';

export interface TrainingExamplesSettings {
  /** How often, at most, the store is asked whether corrections changed. */
  refreshMs: number;
  /** How many recent corrections are kept in memory for training and few-shot prompts. */
  limit: number;
}

export const DEFAULT_TRAINING_EXAMPLES_SETTINGS: TrainingExamplesSettings = { refreshMs: 5_000, limit: 2_000 };

export interface ExampleSnapshot {
  /** Changes when the examples change; models are cached by it. */
  revision: string;
  /** Most recent first. */
  examples: readonly Correction[];
}

/**
 * The recorded corrections as this process last saw them. The server records corrections and
 * separate worker processes classify, so each process polls the store's cheap revision at most
 * every `refreshMs` and reloads only when it changed. A store outage never fails a document:
 * the last snapshot (or none) is used and a warning logged.
 */
export class TrainingExamples {
  private readonly logger = new Logger(TrainingExamples.name);
  private snapshot: ExampleSnapshot = { revision: 'none', examples: [] };
  private checkedAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<ExampleSnapshot> | null = null;

  constructor(
    private readonly store: CorrectionStore,
    private readonly settings: TrainingExamplesSettings = DEFAULT_TRAINING_EXAMPLES_SETTINGS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  current(): Promise<ExampleSnapshot> {
    if (this.now() - this.checkedAt < this.settings.refreshMs) return Promise.resolve(this.snapshot);
    // One refresh at a time: concurrent documents share it.
    this.inflight ??= this.refresh().finally(() => (this.inflight = null));
    return this.inflight;
  }

  private async refresh(): Promise<ExampleSnapshot> {
    try {
      const revision = await this.store.revision();
      if (revision !== this.snapshot.revision) {
        const examples = await this.store.list(this.settings.limit);
        this.snapshot = { revision, examples };
      }
    } catch (e) {
      this.logger.warn(`could not read corrections, using the last ones seen: ${(e as Error).message}`);
    }
    this.checkedAt = this.now();
    return this.snapshot;
  }
}
