import { Webhook } from 'standardwebhooks';
import { toJobDto, type JobDto } from '../http/dto/job.response';
import { jobDetailsFromJson } from '../jobs/job-json';
import type { ClaimedDelivery, WebhookEventType } from './webhook-store';

/** The body of a webhook, in the Standard Webhooks payload convention: type, timestamp, data. */
export interface WebhookPayload {
  type: WebhookEventType;
  /** When the job ended (the event's time), ISO 8601. */
  timestamp: string;
  /** The job as GET /job/{job_id} answers it, without its timeline. */
  data: Omit<JobDto, 'events'>;
}

/** The body a delivery's first attempt sends (and every retry sends again). */
export function webhookBody(delivery: Pick<ClaimedDelivery, 'event_type' | 'event_at' | 'job'>): string {
  if (!delivery.job) throw new Error('the job of this delivery is gone');
  const { events: _timeline, ...data } = toJobDto(jobDetailsFromJson({ ...delivery.job, events: [] }));
  const payload: WebhookPayload = {
    type: delivery.event_type,
    timestamp: new Date(delivery.event_at).toISOString(),
    data,
  };
  return JSON.stringify(payload);
}

/** The Standard Webhooks headers: the delivery's id, the send time, and v1,<HMAC-SHA256 of id.timestamp.body>. */
export function signedHeaders(secret: string, id: string, body: string, now = new Date()): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, now, body),
  };
}
