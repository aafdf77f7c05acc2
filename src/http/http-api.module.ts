import { Module, ValidationPipe } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { AuthModule } from '../auth/auth.module';
import { ClassifierModule } from '../classifier/classifier.module';
import { AllExceptionsFilter } from '../common/all-exceptions.filter';
import { AppConfig } from '../config/app-config';
import { JobsModule } from '../jobs/jobs.module';
import { CategoriesController } from './categories.controller';
import { CorrectionsController } from './corrections.controller';
import { HealthHttpModule } from './health-http.module';
import { JobsController } from './jobs.controller';
import { KeysController } from './keys.controller';
import { TenantController } from './tenant.controller';
import { BlobUploadInterceptor } from './blob-upload.interceptor';

/**
 * The HTTP API: every controller, the API key guard (global: a route is public only with
 * @Public()), the upload interceptor, the rate limit, validation and the one exception filter. Imported by the HTTP role only; the domain modules it wraps hold no routes.
 */
@Module({
  imports: [
    JobsModule,
    ClassifierModule,
    AuthModule,
    HealthHttpModule,
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        throttlers: [{ name: 'default', ttl: 60_000, limit: config.uploads.rateLimitPerMinute }],
        skipIf: () => config.uploads.rateLimitPerMinute === 0,
      }),
    }),
  ],
  controllers: [JobsController, CategoriesController, CorrectionsController, KeysController, TenantController],
  providers: [
    BlobUploadInterceptor,
    // Every route needs an API key unless it is @Public() (src/auth/auth.decorators.ts).
    { provide: APP_GUARD, useExisting: ApiKeyGuard },
    {
      provide: APP_PIPE,
      useValue: new ValidationPipe({ transform: true, whitelist: true, forbidNonWhitelisted: true }),
    },
    { provide: APP_FILTER, useClass: AllExceptionsFilter },
  ],
})
export class HttpApiModule {}
