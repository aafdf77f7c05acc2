import { Module } from '@nestjs/common';
import { ClassifierModule } from '../classifier/classifier.module';
import { MetricsModule } from '../metrics/metrics.module';
import { StorageModule } from '../storage/storage.module';
import { WebhookSettingsModule } from '../webhooks/webhooks.module';
import { CorrectionsService } from './corrections.service';
import { JobStoreModule } from './job-store.module';
import { JobsService } from './jobs.service';

/**
 * What the API does with jobs: uploads in, jobs out, corrections. Its routes are in src/http, for
 * the HTTP role only; the worker imports JobQueueModule instead and never holds this store.
 */
@Module({
  // MetricsModule is global in the app; named here so the module stands alone (JobsService counts uploads).
  imports: [ClassifierModule, MetricsModule, StorageModule, JobStoreModule, WebhookSettingsModule],
  providers: [JobsService, CorrectionsService],
  exports: [JobsService, CorrectionsService, StorageModule, WebhookSettingsModule],
})
export class JobsModule {}
