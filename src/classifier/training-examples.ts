import { Logger } from '@nestjs/common';
import { DEFAULT_TENANT } from '../jobs/job.model';
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

/** One tenant's examples as this process last saw them. */
interface TenantSnapshot {
  snapshot: ExampleSnapshot;
  checkedAt: number;
  inflight: Promise<ExampleSnapshot> | null;
}

/**
 * The recorded corrections as this process last saw them, one set per tenant (a tenant's
 * corrections train only that tenant's model). The server records corrections and separate
 * worker processes classify, so each process polls the store's cheap revision at most every
 * `refreshMs` per tenant and reloads only when it changed. A store outage never fails a
 * document: the last snapshot (or none) is used and a warning logged.
 */
export class TrainingExamples {
  private readonly logger = new Logger(TrainingExamples.name);
  private readonly tenants = new Map<string, TenantSnapshot>();

  constructor(
    private readonly store: CorrectionStore,
    private readonly settings: TrainingExamplesSettings = DEFAULT_TRAINING_EXAMPLES_SETTINGS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** The tenant's examples; the revision is the tenant's, prefixed with its id. */
  current(tenantId: string = DEFAULT_TENANT): Promise<ExampleSnapshot> {
    let state = this.tenants.get(tenantId);
    if (!state) {
      state = {
        snapshot: { revision: `${tenantId}:none`, examples: [] },
        checkedAt: Number.NEGATIVE_INFINITY,
        inflight: null,
      };
      this.tenants.set(tenantId, state);
    }
    if (this.now() - state.checkedAt < this.settings.refreshMs) return Promise.resolve(state.snapshot);
    // One refresh at a time per tenant: concurrent documents share it.
    const tenant = state;
    tenant.inflight ??= this.refresh(tenantId, tenant).finally(() => (tenant.inflight = null));
    return tenant.inflight;
  }

  private async refresh(tenantId: string, state: TenantSnapshot): Promise<ExampleSnapshot> {
    try {
      // Revisions are per tenant and could coincide across tenants: models are cached by this.
      const revision = `${tenantId}:${await this.store.revision(tenantId)}`;
      if (revision !== state.snapshot.revision) {
        const examples = await this.store.list(this.settings.limit, tenantId);
        state.snapshot = { revision, examples };
      }
    } catch (e) {
      this.logger.warn(
        `could not read tenant ${tenantId}'s corrections, using the last ones seen: ${(e as Error).message}`,
      );
    }
    state.checkedAt = this.now();
    return state.snapshot;
  }
}
