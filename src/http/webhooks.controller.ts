import { Body, Controller, Get, HttpCode, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequiresRole } from '../auth/auth.decorators';
import { ApiErrorResponses } from './api-error-responses.decorator';
import { CurrentTenant } from '../tenants/request-principal';
import { WebhookSettingsService } from '../webhooks/webhook-settings.service';
import { TenantWebhookDto, TenantWebhookResponseDto, toDeliveryDto, WebhookDeliveryListDto } from './dto/webhooks.dto';
import { JobIdParam } from './pipes/parse-job-id.pipe';

const WEBHOOK_DELIVERIES_EXAMPLE: WebhookDeliveryListDto = {
  deliveries: [
    {
      id: '3b9e2f4a-8c1d-4e7f-a2b5-9d6c3e1f7a40',
      event_type: 'job.completed',
      url: 'https://example.com/hooks/inbox',
      status: 'delivered',
      next_attempt_at: null,
      created_at: '2026-11-30T09:14:05.120Z',
      finished_at: '2026-11-30T09:14:10.410Z',
      attempts: [
        {
          attempt: 1,
          status_code: 500,
          error: 'HTTP 500: internal error',
          duration_ms: 84,
          attempted_at: '2026-11-30T09:14:05.200Z',
        },
        { attempt: 2, status_code: 204, error: null, duration_ms: 31, attempted_at: '2026-11-30T09:14:10.380Z' },
      ],
    },
  ],
};

@ApiTags('webhooks')
@ApiErrorResponses({ 503: true })
@ApiErrorResponses({ 401: true, 403: true })
@Controller()
export class WebhooksController {
  constructor(private readonly webhooks: WebhookSettingsService) {}

  @Get('job/:job_id/webhooks')
  @ApiOperation({
    operationId: 'getJobWebhooks',
    summary: "A job's webhook deliveries, each with every attempt",
    description:
      'One delivery per terminal event (job.completed, job.failed, job.cancelled), with its webhook-id, ' +
      'status and every attempt: status code, error and duration. Retries back off exponentially for up to a day.',
  })
  @ApiOkResponse({ type: WebhookDeliveryListDto, example: WEBHOOK_DELIVERIES_EXAMPLE })
  async getJobWebhooks(
    @CurrentTenant() tenantId: string,
    @JobIdParam() jobId: string,
  ): Promise<WebhookDeliveryListDto> {
    const deliveries = await this.webhooks.deliveriesOf(tenantId, jobId);
    return { deliveries: deliveries.map(toDeliveryDto) };
  }

  @Put('tenant/webhook')
  @HttpCode(200)
  @RequiresRole('admin')
  @ApiOperation({
    operationId: 'setTenantWebhook',
    summary: "Set (or clear with null) the tenant's default callback URL",
    description:
      'Finished jobs whose upload named no callback_url are posted here, signed with the tenant secret. ' +
      'Only public http(s) addresses are accepted (WEBHOOK_ALLOW_PRIVATE=true allows others).',
  })
  @ApiOkResponse({
    type: TenantWebhookResponseDto,
    example: { tenant_id: 'acme', callback_url: 'https://example.com/hooks/inbox' },
  })
  @ApiErrorResponses({
    400: {
      description: 'The URL is refused: not http(s), or not a public address.',
      examples: {
        'private address':
          'callback_url: 10.0.0.5 is a private (RFC 1918) address; only public addresses are delivered to (WEBHOOK_ALLOW_PRIVATE=true allows others)',
      },
    },
  })
  setTenantWebhook(
    @CurrentTenant() tenantId: string,
    @Body() body: TenantWebhookDto,
  ): Promise<TenantWebhookResponseDto> {
    const raw = body.callback_url === undefined || body.callback_url === null ? null : body.callback_url.trim();
    return this.webhooks.setDefaultCallbackUrl(tenantId, raw === '' ? null : raw);
  }
}
