import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { ApiMetrics } from '../metrics/api-metrics';

/**
 * Times every request into docinbox_http_request_duration_seconds, labelled by the route
 * template Express matched (`/job/:job_id`), never the raw path; `unmatched` for a path no
 * controller has (a 404, Swagger UI's static files), so scanners cannot mint series.
 */
@Injectable()
export class RequestMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: ApiMetrics) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const route = (req.route as { path?: unknown } | undefined)?.path;
      this.metrics.requestFinished(
        req.method,
        // Nest answers a path no controller has through its catch-all route, `{/*splat}`.
        typeof route === 'string' && !route.includes('*') ? route : 'unmatched',
        res.statusCode,
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    });
    next();
  }
}
