/** A tenant's own settings (inbox_tenants). */
export interface Tenant {
  tenant_id: string;
  /** Standard Webhooks signing secret, 'whsec_' + base64; null until one is made. */
  webhook_secret: string | null;
  /** Where finished jobs are posted when an upload names no callback_url. */
  callback_url: string | null;
  /** The tenant's own taxonomy document; null: the service's. */
  taxonomy: unknown;
  created_at: string;
  updated_at: string;
}
