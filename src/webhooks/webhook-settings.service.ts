import { Injectable } from '@nestjs/common';
import { JobNotFound } from '../common/errors';
import { isUuid } from '../common/uuid';
import { AppConfig } from '../config/app-config';
import { TenantStore } from '../tenants/tenant-store';
import { checkCallbackUrl } from './callback-url';
import { WebhookStore, type DeliveryWithAttemptsJson } from './webhook-store';

/** What the API does about webhooks: checks callback URLs, sets a tenant's default, reads deliveries. */
@Injectable()
export class WebhookSettingsService {
  constructor(
    private readonly store: WebhookStore,
    private readonly tenants: TenantStore,
    private readonly config: AppConfig,
  ) {}

  /** The URL as it will be stored; throws CallbackUrlRefused (400) saying what is wrong with it. */
  async checkCallbackUrl(raw: string, field = 'callback_url'): Promise<string> {
    const url = await checkCallbackUrl(raw, { allowPrivate: this.config.webhooks.allowPrivate, field });
    return url.toString();
  }

  /** Sets (or with null clears) where the tenant's jobs are posted when an upload names no callback_url. */
  async setDefaultCallbackUrl(
    tenantId: string,
    raw: string | null,
  ): Promise<{ tenant_id: string; callback_url: string | null }> {
    const url = raw === null ? null : await this.checkCallbackUrl(raw);
    await this.tenants.ensure(tenantId);
    const tenant = await this.tenants.update(tenantId, { callback_url: url });
    return { tenant_id: tenantId, callback_url: tenant?.callback_url ?? null };
  }

  async deliveriesOf(tenantId: string, jobId: string): Promise<DeliveryWithAttemptsJson[]> {
    const deliveries = isUuid(jobId) ? await this.store.forJob(tenantId, jobId) : null;
    if (!deliveries) throw new JobNotFound(jobId);
    return deliveries;
  }
}
