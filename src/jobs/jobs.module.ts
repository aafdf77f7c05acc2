import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { ClassifierModule } from '../classifier/classifier.module';
import { AppConfig } from '../config/app-config';
import { StorageModule } from '../storage/storage.module';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';
import { UploadInterceptor } from './upload.interceptor';

@Module({
  imports: [
    ClassifierModule,
    StorageModule,
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        throttlers: [{ name: 'default', ttl: 60_000, limit: config.uploads.rateLimitPerMinute }],
        skipIf: () => config.uploads.rateLimitPerMinute === 0,
      }),
    }),
  ],
  controllers: [JobsController],
  providers: [JobsService, UploadInterceptor],
})
export class JobsModule {}
