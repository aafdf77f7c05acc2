import { Body, Controller, Get, HttpCode, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/error-response.dto';
import { CurrentTenant } from '../tenants/request-principal';
import { WebhookSettingsService } from '../webhooks/webhook-settings.service';
import { TenantWebhookDto, TenantWebhookResponseDto, toDeliveryDto, WebhookDeliveryListDto } from './dto/webhooks.dto';
import { JobIdParam } from './pipes/parse-job-id.pipe';

@ApiTags('webhooks')
@ApiServiceUnavailableResponse({ type: ErrorResponseDto, description: 'the database is unreachable' })
@Controller()
export class WebhooksController {
  constructor(private readonly webhooks: WebhookSettingsService) {}

  @Get('job/:job_id/webhooks')
  @ApiOperation({ operationId: 'getJobWebhooks', summary: "A job's webhook deliveries, each with every attempt" })
  @ApiOkResponse({ type: WebhookDeliveryListDto })
  async getJobWebhooks(
    @CurrentTenant() tenantId: string,
    @JobIdParam() jobId: string,
  ): Promise<WebhookDeliveryListDto> {
    const deliveries = await this.webhooks.deliveriesOf(tenantId, jobId);
    return { deliveries: deliveries.map(toDeliveryDto) };
  }

  @Put('tenant/webhook')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'setTenantWebhook',
    summary: "Set (or clear with null) the tenant's default callback URL",
  })
  @ApiOkResponse({ type: TenantWebhookResponseDto })
  @ApiBadRequestResponse({ type: ErrorResponseDto, description: 'the URL is refused (not http(s), not public)' })
  setTenantWebhook(
    @CurrentTenant() tenantId: string,
    @Body() body: TenantWebhookDto,
  ): Promise<TenantWebhookResponseDto> {
    const raw = body.callback_url === undefined || body.callback_url === null ? null : body.callback_url.trim();
    return this.webhooks.setDefaultCallbackUrl(tenantId, raw === '' ? null : raw);
  }
}
