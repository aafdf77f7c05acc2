import { Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { ThrottlerModule } from '@nestjs/throttler';
import { memoryStorage } from 'multer';
import { ClassifierModule } from '../classifier/classifier.module';
import { AppConfig } from '../config/app-config';
import { JobStoreModule } from './job-store.module';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';

@Module({
  imports: [
    JobStoreModule,
    ClassifierModule,
    MulterModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        storage: memoryStorage(),
        defParamCharset: 'utf8',
        limits: {
          fileSize: config.uploads.maxFileBytes,
          files: config.uploads.maxFiles,
          fields: 20,
          fieldSize: 64 * 1024,
          parts: config.uploads.maxFiles + 20,
        },
      }),
    }),
    ThrottlerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        throttlers: [{ name: 'default', ttl: 60_000, limit: config.uploads.rateLimitPerMinute }],
        skipIf: () => config.uploads.rateLimitPerMinute === 0,
      }),
    }),
  ],
  controllers: [JobsController],
  providers: [JobsService],
  exports: [JobStoreModule],
})
export class JobsModule {}
