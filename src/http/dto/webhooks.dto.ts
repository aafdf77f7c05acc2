import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import {
  DELIVERY_STATUSES,
  WEBHOOK_EVENT_TYPES,
  type DeliveryStatus,
  type DeliveryWithAttemptsJson,
  type WebhookEventType,
} from '../../webhooks/webhook-store';

export class WebhookAttemptDto {
  @ApiProperty({ description: '1 for the first try' }) attempt!: number;
  @ApiPropertyOptional({ nullable: true, type: Number, description: "the receiver's status; null: no answer" })
  status_code!: number | null;
  @ApiPropertyOptional({ nullable: true, type: String, example: 'HTTP 500: internal error' }) error!: string | null;
  @ApiPropertyOptional({ nullable: true, type: Number }) duration_ms!: number | null;
  @ApiProperty() attempted_at!: string;
}

export class WebhookDeliveryDto {
  @ApiProperty({ description: 'the webhook-id header, the same on every retry (dedupe on it)' }) id!: string;
  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, enumName: 'WebhookEventType' }) event_type!: WebhookEventType;
  @ApiProperty() url!: string;
  @ApiProperty({
    enum: DELIVERY_STATUSES,
    enumName: 'WebhookDeliveryStatus',
    description: 'delivered (2xx), gone (the receiver answered 410: no more tries), failed (gave up after a day)',
  })
  status!: DeliveryStatus;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'when the next try is due' })
  next_attempt_at!: string | null;
  @ApiProperty() created_at!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) finished_at!: string | null;
  @ApiProperty({ type: [WebhookAttemptDto], description: 'every attempt, oldest first' })
  attempts!: WebhookAttemptDto[];
}

export class WebhookDeliveryListDto {
  @ApiProperty({ type: [WebhookDeliveryDto] }) deliveries!: WebhookDeliveryDto[];
}

export class TenantWebhookDto {
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    format: 'uri',
    example: 'https://example.com/hooks/inbox',
    description: "where the tenant's jobs are posted when an upload names no callback_url; null clears it",
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  callback_url!: string | null;
}

export class TenantWebhookResponseDto {
  @ApiProperty() tenant_id!: string;
  @ApiPropertyOptional({ nullable: true, type: String }) callback_url!: string | null;
}

export function toDeliveryDto(d: DeliveryWithAttemptsJson): WebhookDeliveryDto {
  return {
    id: d.id,
    event_type: d.event_type,
    url: d.url,
    status: d.status,
    next_attempt_at: d.next_attempt_at,
    created_at: d.created_at,
    finished_at: d.finished_at,
    attempts: d.attempt_log.map((a) => ({
      attempt: a.attempt,
      status_code: a.status_code,
      error: a.error,
      duration_ms: a.duration_ms,
      attempted_at: a.attempted_at,
    })),
  };
}
