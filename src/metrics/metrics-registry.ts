import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * This process's Prometheus registry, with Node's process metrics (CPU, memory, event loop, GC).
 * One per app instead of prom-client's global default registry, so tests can build several apps
 * in one process and each scrape shows only its own app.
 */
export class MetricsRegistry extends Registry {
  constructor() {
    super();
    collectDefaultMetrics({ register: this });
  }
}
