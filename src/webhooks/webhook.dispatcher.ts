import { AsyncResource } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import type { SqlClient } from '../database/sql-client.port';
import { DEFAULT_TENANT } from '../jobs/job.model';
import { TenantStore, newWebhookSecret } from '../tenants/tenant-store';
import { signedHeaders, webhookBody } from './webhook-payload';
import { WebhookSender, type AttemptResult } from './webhook-sender';
import { WebhookStore, type ClaimedDelivery } from './webhook-store';

/** The channel inbox_webhook_enqueue notifies when a job's end made deliveries. */
export const WEBHOOKS_CHANNEL = 'inbox_webhooks';

/**
 * Sends webhooks from the deliveries table: wakes on NOTIFY (where there is a LISTEN session) and
 * on the worker's polling interval, claims as many due deliveries as it has free slots (each under
 * a lease longer than an attempt can take), POSTs each on its own (a slow or dead receiver holds
 * one slot for at most the timeout, never the others), and records every attempt; the SQL decides
 * delivered, gone, the next try or giving up. On shutdown it stops claiming and lets the attempts
 * in flight end (each bounded by the timeout).
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly workerId = `${hostname()}:${process.pid}:webhooks:${randomBytes(3).toString('hex')}`;
  private readonly logger = new Logger('Webhooks');
  private readonly inFlight = new Set<Promise<void>>();
  private readonly context = new AsyncResource('doc-inbox-webhooks');
  private stopListening?: () => Promise<void>;
  private poll?: NodeJS.Timeout;
  private stopping = false;
  private claiming = false;
  private wakeAgain = false;
  private claimRun?: Promise<void>;

  constructor(
    private readonly store: WebhookStore,
    private readonly tenants: TenantStore,
    private readonly sender: WebhookSender,
    private readonly config: AppConfig,
    private readonly sql: SqlClient | null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.ensureDefaultSecret().catch((err: unknown) =>
      this.logger.error(`could not set the default tenant's webhook secret: ${(err as Error).message}`),
    );
    if (this.sql) {
      try {
        this.stopListening = await this.sql.listen(WEBHOOKS_CHANNEL, () => this.wake());
      } catch (err) {
        this.logger.warn(`cannot LISTEN for webhooks (${(err as Error).message}); polling only`);
      }
    }
    this.poll = setInterval(() => this.wake(), this.config.worker.pollIntervalMs);
    this.wake();
  }

  /** WEBHOOK_SECRET becomes the default tenant's secret; without it, a tenant with none gets one. */
  private async ensureDefaultSecret(): Promise<void> {
    const wanted = this.config.webhooks.defaultTenantSecret;
    const tenant = await this.tenants.ensure(DEFAULT_TENANT, wanted ?? newWebhookSecret());
    if (wanted && tenant.webhook_secret !== wanted) {
      await this.tenants.update(DEFAULT_TENANT, { webhook_secret: wanted });
      this.logger.log("the default tenant's webhook secret was set from WEBHOOK_SECRET");
    }
  }

  /** Claims while there are free slots. Safe to call any number of times. */
  wake(): void {
    if (this.stopping) return;
    if (this.claiming) {
      this.wakeAgain = true;
      return;
    }
    this.claiming = true;
    this.claimRun = this.context
      .runInAsyncScope(() => this.claimWhileFree())
      .finally(() => {
        this.claiming = false;
        if (this.wakeAgain && !this.stopping) {
          this.wakeAgain = false;
          this.wake();
        }
      });
  }

  private async claimWhileFree(): Promise<void> {
    const { concurrency, leaseSeconds } = this.config.webhooks;
    while (!this.stopping) {
      const free = concurrency - this.inFlight.size;
      if (free <= 0) return;
      let claimed: ClaimedDelivery[];
      try {
        claimed = await this.store.claim(this.workerId, free, leaseSeconds);
      } catch (err) {
        this.logger.warn(`webhook claim failed (${(err as Error).message}); will retry on the next poll`);
        return;
      }
      if (claimed.length === 0) return;
      for (const delivery of claimed) {
        const run: Promise<void> = this.deliver(delivery).finally(() => {
          this.inFlight.delete(run);
          this.wake();
        });
        this.inFlight.add(run);
      }
    }
  }

  private async deliver(delivery: ClaimedDelivery): Promise<void> {
    const log = { deliveryId: delivery.id, jobId: delivery.job_id, attempt: delivery.attempt, workerId: this.workerId };
    try {
      const body = delivery.body ?? webhookBody(delivery);
      const secret = delivery.webhook_secret ?? (await this.tenants.ensure(delivery.tenant_id)).webhook_secret;
      let result: AttemptResult;
      if (!secret) result = { statusCode: null, error: 'the tenant has no webhook signing secret', durationMs: 0 };
      else result = await this.sender.send(delivery.url, signedHeaders(secret, delivery.id, body), body);
      const recorded = await this.store.recordAttempt(
        this.workerId,
        delivery,
        { ...result, body },
        { baseSeconds: this.config.webhooks.retryBaseSeconds },
      );
      const outcome = recorded?.status ?? 'lease lost';
      const message = `Webhook ${delivery.event_type} attempt ${delivery.attempt}: ${result.statusCode ?? 'no answer'} -> ${outcome}`;
      if (result.error) this.logger.warn({ ...log, error: result.error, outcome }, message);
      else this.logger.log({ ...log, outcome }, message);
    } catch (err) {
      // The lease runs out and another claim retries it (recorded as unanswered).
      this.logger.error({ ...log, err }, `webhook delivery failed: ${(err as Error).message}`);
    }
  }

  /** Before the database closes (that happens in onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    if (this.poll) clearInterval(this.poll);
    await this.stopListening?.().catch(() => undefined);
    await this.claimRun;
    if (this.inFlight.size > 0) {
      this.logger.log(`waiting for ${this.inFlight.size} webhook attempt(s) in flight`);
      await Promise.all([...this.inFlight]);
    }
  }
}
