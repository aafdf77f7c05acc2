import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { AuthModule } from '../auth/auth.module';
import { ClassifierModule } from '../classifier/classifier.module';
import { AllExceptionsFilter } from '../common/all-exceptions.filter';
import { JobsModule } from '../jobs/jobs.module';
import { CategoriesController } from './categories.controller';
import { CorrectionsController } from './corrections.controller';
import { HealthHttpModule } from './health-http.module';
import { JobsController } from './jobs.controller';
import { WebhooksController } from './webhooks.controller';
import { JobFilesController } from './job-files.controller';
import { TenantRateLimiter } from '../rate-limits/tenant-rate-limiter';
import { UploadRateLimitGuard } from './upload-rate-limit.guard';
import { JobEventsController } from './job-events.controller';
import { LiveModule } from '../live/live.module';
import { KeysController } from './keys.controller';
import { TenantController } from './tenant.controller';
import { BlobUploadInterceptor } from './blob-upload.interceptor';
import { createValidationPipe } from './pipes/validation.pipe';

/**
 * The HTTP API: every controller, the API key guard (global: a route is public only with
 * @Public()), the upload interceptor, the per-tenant upload rate limit (counted in the database),
 * validation and the one exception filter. Imported by the HTTP role only; the domain modules it
 * wraps hold no routes.
 */
@Module({
  imports: [JobsModule, ClassifierModule, AuthModule, HealthHttpModule, LiveModule],
  controllers: [
    JobsController,
    JobEventsController,
    JobFilesController,
    CategoriesController,
    CorrectionsController,
    WebhooksController,
    KeysController,
    TenantController,
  ],
  providers: [
    BlobUploadInterceptor,
    TenantRateLimiter,
    UploadRateLimitGuard,
    // Every route needs an API key unless it is @Public() (src/auth/auth.decorators.ts); global
    // guards run before a route's own, so the rate limit knows the tenant.
    { provide: APP_GUARD, useExisting: ApiKeyGuard },
    { provide: APP_PIPE, useValue: createValidationPipe() },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
  ],
})
export class HttpApiModule {}
