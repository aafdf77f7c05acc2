import { Global, Module } from '@nestjs/common';
import { DbFunctions } from '../database/db-functions.port';
import { ApiMetrics } from './api-metrics';
import { MetricsRegistry } from './metrics-registry';
import { QueueStatsCollector } from './queue-stats.collector';
import { WorkerMetrics } from './worker-metrics';

/**
 * This process's metrics: one registry (never prom-client's global one), the facades the API and
 * the worker record through, and the queue gauges read at scrape time. Global, so a domain
 * module injects a facade without importing this module. Every role registers all of them, so
 * a server's scrape shows the worker's unlabelled counters at 0 (labelled series appear once
 * moved). Served by src/http/observability-http.module.ts.
 */
@Global()
@Module({
  providers: [
    { provide: MetricsRegistry, useFactory: () => new MetricsRegistry() },
    ApiMetrics,
    WorkerMetrics,
    {
      provide: QueueStatsCollector,
      useFactory: (registry: MetricsRegistry, db: DbFunctions) => new QueueStatsCollector(registry, db),
      inject: [MetricsRegistry, DbFunctions],
    },
  ],
  exports: [MetricsRegistry, ApiMetrics, WorkerMetrics, QueueStatsCollector],
})
export class MetricsModule {}
