import { timingSafeEqual } from 'node:crypto';
import { Controller, Get, Headers, Res, UnauthorizedException } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/auth.decorators';
import { AppConfig } from '../config/app-config';
import { MetricsRegistry } from '../metrics/metrics-registry';

/**
 * GET /metrics in Prometheus' text format, on the API and on the worker's health port. Open like
 * /health, unless METRICS_TOKEN is set: then it takes `Authorization: Bearer <METRICS_TOKEN>`.
 * Left out of the OpenAPI document: it is for the scraper, not for API clients.
 */
// Not behind API keys (METRICS_TOKEN is its own check): scrapers hold no tenant's key.
@Public()
@ApiExcludeController()
@Controller('metrics')
export class MetricsController {
  private readonly token?: Buffer;

  constructor(
    private readonly registry: MetricsRegistry,
    config: AppConfig,
  ) {
    const token = config.observability.metricsToken;
    this.token = token === undefined ? undefined : Buffer.from(token);
  }

  @Get()
  async getMetrics(
    @Headers('authorization') authorization: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    if (this.token && !this.authorized(authorization)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      throw new UnauthorizedException('GET /metrics needs the header Authorization: Bearer <METRICS_TOKEN>');
    }
    res.setHeader('Content-Type', this.registry.contentType);
    return this.registry.metrics();
  }

  private authorized(header: string | undefined): boolean {
    const match = /^Bearer (.+)$/i.exec(header ?? '');
    if (!match || !this.token) return false;
    const given = Buffer.from(match[1].trim());
    return given.length === this.token.length && timingSafeEqual(given, this.token);
  }
}
