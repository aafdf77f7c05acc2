import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { DbFunctions } from '../database/db-functions.port';
import type { Tenant } from './tenant.model';

/** A new Standard Webhooks signing secret: 'whsec_' and the base64 of 24 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

/** Tenants' own settings, through the migration's functions (inbox_tenants). */
@Injectable()
export class TenantStore {
  constructor(private readonly db: DbFunctions) {}

  /** The tenant, created (with a new signing secret) when it does not exist yet. */
  async ensure(tenantId: string, webhookSecret = newWebhookSecret()): Promise<Tenant & { created: boolean }> {
    return this.db.call('inbox_ensure_tenant', { p_tenant: tenantId, p_webhook_secret: webhookSecret });
  }

  get(tenantId: string): Promise<Tenant | null> {
    return this.db.call('inbox_get_tenant', { p_tenant: tenantId });
  }

  /** A key left out keeps its value; null clears it. Null when there is no such tenant. */
  update(
    tenantId: string,
    changes: Partial<Pick<Tenant, 'webhook_secret' | 'callback_url' | 'taxonomy'>>,
  ): Promise<Tenant | null> {
    return this.db.call('inbox_update_tenant', { p_tenant: tenantId, p_changes: changes });
  }
}
