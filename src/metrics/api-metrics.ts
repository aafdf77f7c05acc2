import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { HTTP_SECONDS } from './buckets';
import { MetricsRegistry } from './metrics-registry';

/** What the HTTP role counts: jobs created and request durations. */
@Injectable()
export class ApiMetrics {
  /** Tenants are bounded by the API keys that exist, so the label stays small. */
  private readonly jobsCreated: Counter<'tenant'>;
  private readonly requestDuration: Histogram<'method' | 'route' | 'status'>;

  constructor(registry: MetricsRegistry) {
    this.jobsCreated = new Counter({
      name: 'docinbox_jobs_created_total',
      help: 'Jobs created by uploads (an idempotent replay of an upload is not counted again)',
      labelNames: ['tenant'],
      registers: [registry],
    });
    this.requestDuration = new Histogram({
      name: 'docinbox_http_request_duration_seconds',
      help: 'HTTP requests by route template (never the raw path, so job ids do not become series) and status',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_SECONDS,
      registers: [registry],
    });
  }

  jobCreated(tenantId: string): void {
    this.jobsCreated.inc({ tenant: tenantId });
  }

  requestFinished(method: string, route: string, status: number, seconds: number): void {
    this.requestDuration.observe({ method, route, status: String(status) }, seconds);
  }
}
