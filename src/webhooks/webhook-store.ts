import { Injectable } from '@nestjs/common';
import { DbFunctions } from '../database/db-functions.port';
import type { JobDetailsJson } from '../jobs/job-json';

export const WEBHOOK_EVENT_TYPES = ['job.completed', 'job.failed', 'job.cancelled'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export const DELIVERY_STATUSES = ['pending', 'delivering', 'delivered', 'failed', 'gone'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** A delivery as the migration's functions answer it (inbox_webhook_delivery_json). */
export interface DeliveryJson {
  id: string;
  job_id: string;
  event_type: WebhookEventType;
  event_at: string;
  url: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  finished_at: string | null;
}

export interface AttemptJson {
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number | null;
  attempted_at: string;
}

export type DeliveryWithAttemptsJson = DeliveryJson & { attempt_log: AttemptJson[] };

/** A delivery a worker holds under a lease, for one attempt. */
export interface ClaimedDelivery {
  /** The webhook-id header. */
  id: string;
  tenant_id: string;
  job_id: string;
  event_type: WebhookEventType;
  event_at: string;
  url: string;
  attempt: number;
  /** Fixed by the first attempt; null before it. */
  body: string | null;
  webhook_secret: string | null;
  /** The job as GET /job reads it, without its timeline, while there is no body yet. */
  job: Omit<JobDetailsJson, 'events'> | null;
}

export interface RecordedAttempt {
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** The body this attempt sent (kept by the first). */
  body: string;
}

/**
 * Webhook deliveries through the migration's functions (20261202000200_webhooks.sql): the
 * worker claims and records attempts, the API reads a job's deliveries.
 */
@Injectable()
export class WebhookStore {
  constructor(private readonly db: DbFunctions) {}

  claim(workerId: string, limit: number, leaseSeconds: number): Promise<ClaimedDelivery[]> {
    return this.db.call('inbox_claim_webhooks', { p_worker: workerId, p_limit: limit, p_lease_seconds: leaseSeconds });
  }

  /** Null when this worker no longer holds the delivery (its lease ran out and another took it). */
  recordAttempt(
    workerId: string,
    delivery: Pick<ClaimedDelivery, 'id' | 'attempt'>,
    result: RecordedAttempt,
    backoff: { baseSeconds: number; giveUpSeconds?: number },
  ): Promise<DeliveryJson | null> {
    return this.db.call('inbox_record_webhook_attempt', {
      p_worker: workerId,
      p_id: delivery.id,
      p_attempt: delivery.attempt,
      p_status_code: result.statusCode,
      p_error: result.error,
      p_duration_ms: result.durationMs,
      p_body: result.body,
      p_base_seconds: backoff.baseSeconds,
      p_give_up_seconds: backoff.giveUpSeconds ?? 86_400,
    });
  }

  /** The job's deliveries with every attempt; null when the tenant has no such job. */
  forJob(tenantId: string, jobId: string): Promise<DeliveryWithAttemptsJson[] | null> {
    return this.db.call('inbox_get_job_webhooks', { p_tenant: tenantId, p_job: jobId });
  }
}
