import { Gauge } from 'prom-client';
import { DbFunctions } from '../database/db-functions.port';
import { MetricsRegistry } from './metrics-registry';

/** What inbox_queue_stats() answers (supabase/migrations/20261202000400_queue_stats.sql). */
export interface QueueStats {
  pending: number;
  runnable: number;
  processing: number;
  expired_leases: number;
  /** null when no pending job is runnable. */
  oldest_runnable_age_seconds: number | null;
}

/** A scrape storm (several Prometheus replicas, a dashboard refreshing) costs one query per this long. */
export const QUEUE_STATS_TTL_MS = 2000;

/**
 * The queue's depth as gauges, read from the database when /metrics is scraped (one call of
 * inbox_queue_stats, cached for QUEUE_STATS_TTL_MS and shared by concurrent scrapes). A database
 * that does not answer leaves the gauges out and docinbox_queue_stats_up at 0; the scrape succeeds.
 * Built by MetricsModule's factory (the TTL and the clock are for tests).
 */
export class QueueStatsCollector {
  private cached?: { at: number; stats: Promise<QueueStats | null> };

  constructor(
    registry: MetricsRegistry,
    private readonly db: DbFunctions,
    private readonly ttlMs = QUEUE_STATS_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {
    const registers = [registry];
    const read = this.read.bind(this);
    new Gauge({
      name: 'docinbox_queue_stats_up',
      help: 'Whether the last read of the queue stats from the database succeeded',
      registers,
      async collect() {
        this.set((await read()) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'docinbox_queue_depth',
      help: 'Unfinished jobs by status (finished ones are counted by docinbox_jobs_*_total)',
      labelNames: ['status'],
      registers,
      async collect() {
        const stats = await read();
        this.reset();
        if (!stats) return;
        this.set({ status: 'pending' }, stats.pending);
        this.set({ status: 'processing' }, stats.processing);
      },
    });
    new Gauge({
      name: 'docinbox_queue_runnable_jobs',
      help: 'Pending jobs whose run_at has come (the others wait out a retry backoff)',
      registers,
      async collect() {
        await setOrReset(this, read, (s) => s.runnable);
      },
    });
    new Gauge({
      name: 'docinbox_queue_expired_leases',
      help: 'Processing jobs whose lease ran out (their worker died); the next claim takes them over',
      registers,
      async collect() {
        await setOrReset(this, read, (s) => s.expired_leases);
      },
    });
    new Gauge({
      name: 'docinbox_queue_oldest_pending_age_seconds',
      help: 'How long the oldest runnable pending job has waited; 0 when none waits',
      registers,
      async collect() {
        await setOrReset(this, read, (s) => s.oldest_runnable_age_seconds ?? 0);
      },
    });
  }

  /** The stats, at most QUEUE_STATS_TTL_MS old; null when the database did not answer. */
  read(): Promise<QueueStats | null> {
    const now = this.now();
    if (this.cached && now - this.cached.at < this.ttlMs) return this.cached.stats;
    const stats = this.db.call<QueueStats>('inbox_queue_stats', {}).then(
      (s) => s,
      () => null,
    );
    this.cached = { at: now, stats };
    return stats;
  }
}

async function setOrReset(gauge: Gauge, read: () => Promise<QueueStats | null>, pick: (s: QueueStats) => number) {
  const stats = await read();
  gauge.reset();
  if (stats) gauge.set(pick(stats));
}
