import { Module } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { SqlClient } from '../database/sql-client.port';
import { TenantsModule } from '../tenants/tenants.module';
import { TenantStore } from '../tenants/tenant-store';
import { WebhookDispatcher } from './webhook.dispatcher';
import { WebhookSender } from './webhook-sender';
import { WebhookSettingsService } from './webhook-settings.service';
import { WebhookStore } from './webhook-store';

/** The worker's side of webhooks: the dispatcher that sends deliveries (imported by WorkerModule). */
@Module({
  imports: [TenantsModule],
  providers: [
    WebhookStore,
    {
      provide: WebhookSender,
      useFactory: (config: AppConfig) =>
        new WebhookSender({ timeoutMs: config.webhooks.timeoutMs, allowPrivate: config.webhooks.allowPrivate }),
      inject: [AppConfig],
    },
    {
      provide: WebhookDispatcher,
      // No SQL session over Supabase's RPC, so no LISTEN: the dispatcher polls.
      useFactory: (
        store: WebhookStore,
        tenants: TenantStore,
        sender: WebhookSender,
        config: AppConfig,
        sql: SqlClient | null,
      ) => new WebhookDispatcher(store, tenants, sender, config, sql ?? null),
      inject: [WebhookStore, TenantStore, WebhookSender, AppConfig, { token: SqlClient, optional: true }],
    },
  ],
  exports: [WebhookDispatcher],
})
export class WebhooksModule {}

/** The API's side: callback URL checks, a tenant's default URL, a job's deliveries. */
@Module({
  imports: [TenantsModule],
  providers: [WebhookStore, WebhookSettingsService],
  exports: [WebhookSettingsService],
})
export class WebhookSettingsModule {}
