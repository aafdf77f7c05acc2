import { Injectable } from '@nestjs/common';
import { DbFunctions } from '../database/db-functions.port';

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window opens again; 0 when allowed. */
  retryAfterSeconds: number;
}

/**
 * Per-tenant request counters kept in the database (inbox_take_rate), so a limit holds across
 * every server process that shares it: one atomic upsert per request, a fixed window per
 * (tenant, bucket) that starts with the first request after the last one ended.
 */
@Injectable()
export class TenantRateLimiter {
  constructor(private readonly db: DbFunctions) {}

  async take(tenantId: string, bucket: string, limit: number, windowSeconds: number): Promise<RateDecision> {
    const answer = await this.db.call<{
      allowed: boolean;
      limit: number;
      remaining: number;
      retry_after_seconds: number;
    }>('inbox_take_rate', { p_tenant: tenantId, p_bucket: bucket, p_limit: limit, p_window_seconds: windowSeconds });
    return {
      allowed: answer.allowed,
      limit: answer.limit,
      remaining: answer.remaining,
      retryAfterSeconds: answer.retry_after_seconds,
    };
  }
}
