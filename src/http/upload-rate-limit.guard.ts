import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Response } from 'express';
import { RateLimited } from '../common/errors';
import { AppConfig } from '../config/app-config';
import { TenantRateLimiter } from '../rate-limits/tenant-rate-limiter';
import { principalOf, type PrincipalRequest } from '../tenants/request-principal';

export const UPLOAD_BUCKET = 'uploads';
const MINUTE = 60;

/**
 * RATE_LIMIT_PER_MINUTE uploads per tenant, counted in the database. Runs before the upload
 * interceptor, so a refused request streams no bytes anywhere. 429 with Retry-After; allowed
 * requests carry RateLimit-Limit and RateLimit-Remaining.
 */
@Injectable()
export class UploadRateLimitGuard implements CanActivate {
  constructor(
    private readonly limiter: TenantRateLimiter,
    private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const limit = this.config.uploads.rateLimitPerMinute;
    if (limit === 0) return true;
    const http = context.switchToHttp();
    const { tenantId } = principalOf(http.getRequest<PrincipalRequest>());
    const decision = await this.limiter.take(tenantId, UPLOAD_BUCKET, limit, MINUTE);
    const res = http.getResponse<Response>();
    res.setHeader('RateLimit-Limit', String(limit));
    res.setHeader('RateLimit-Remaining', String(decision.remaining));
    if (!decision.allowed) {
      throw new RateLimited(
        `too many uploads: ${limit} a minute for this tenant; try again in ${decision.retryAfterSeconds} s`,
        decision.retryAfterSeconds,
      );
    }
    return true;
  }
}
